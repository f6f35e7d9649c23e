// Queue Kiosk — Staff page: queue bodies in (socket, poll, refetch) and the provider list.
import { apiFetch } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { loadProviders, providerName } from "/lib/providers.js";
import { servicesOf, serviceName } from "/lib/services.js";
import { S, SHOP } from "./state.js";
import { learnClock } from "/lib/clock.js";
import { fillProviderPickers, fillServicePickers } from "./pickers.js";
import { render } from "./render.js";
import { t } from "/lib/i18n.js";

// ------------------------------------------------------------------ data in

export function apply(body) {
  if (!body || !Array.isArray(body.queue_items)) return;
  if (S.drag || S.saving) { S.parked = newer(S.parked, body); return; }
  if (S.queue && typeof body.seq === "number" && typeof S.queue.seq === "number"
      && body.seq < S.queue.seq) return;          // an older answer overtaken by the socket
  S.queue = body;
  const services = servicesOf(body);
  const changed = services && !sameServices(services, S.services);
  if (services) S.services = services;
  learnClock(body.timestamp);
  showShopName();
  const unknown = body.queue_items.some((e) => e.provider_id != null && !S.providers.has(e.provider_id));
  if (unknown || Date.now() - S.providersAt > 15000) refreshProviders();
  if (changed) fillServicePickers();
  render();
}

function sameServices(a, b) {
  if (a.size !== b.size) return false;
  for (const [id, s] of a) {
    const o = b.get(id);
    if (!o || o.name !== s.name || o.active !== s.active || o.position !== s.position
        || String(o.provider_ids) !== String(s.provider_ids)) return false;
  }
  return true;
}

/** The shop's name in the top bar and the tab's title. */
export function showShopName() {
  const name = S.queue && S.queue.shop_name;
  if (!name) return;
  setText($("shop-name"), name);
  document.title = t("staff.titleShop", { shop: name });
}

export function newer(a, b) {
  if (!a) return b;
  return (b.seq ?? 0) >= (a.seq ?? 0) ? b : a;
}

export async function refreshProviders() {
  S.providersAt = Date.now();
  try {
    // Retired providers too: their tickets and appointments keep a name, not "#3".
    const list = await loadProviders(SHOP, { includeInactive: true });
    S.providers = new Map(list.map((p) => [p.id, p]));
    fillProviderPickers();
    if (S.queue) render();
  } catch (err) {
    S.providersAt = 0;
  }
}

export async function refetchQueue() {
  try { apply(await apiFetch("GET", `/api/v1/shops/${SHOP}/queue`)); } catch { /* socket or poll will catch up */ }
}

// Staff see whom every ticket waits for: "anyone" (first free), or #id for a provider
// this page has not read yet (apply() re-reads the list when it meets one).
export function providerLabel(id) {
  return providerName(S.providers, id) ?? (id == null ? t("staff.provider.anyoneLower") : t("staff.provider.unknown", { id: String(id) }));
}

/** A ticket's service by name ("Haircut"); null when it asks for none. */
export function serviceLabel(id) {
  return serviceName(S.services, id);
}
