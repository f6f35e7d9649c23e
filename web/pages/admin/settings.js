// Queue Kiosk — Admin page: the shop's name and the appliance settings.
import { apiFetch } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { LANGUAGES, language, t, use } from "/lib/i18n.js";
import { A, act, errorText, redrawOnChange, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";
import { showVoices } from "./voices.js";
import { drawKind } from "./real.js";
import { showHours } from "./hours.js";

// ------------------------------------------------------------------ settings

function showSettings(s) {
  A.settings = s;
  $("set-selfcheckin").checked = !!s.self_checkin;
  $("set-voice").checked = !!s.display_voice;
  for (const r of document.querySelectorAll('input[name="display_names"]')) r.checked = r.value === s.display_names;
  if (document.activeElement !== $("set-origins")) $("set-origins").value = (s.allowed_origins || []).join("\n");
  if (document.activeElement !== $("set-hosts")) $("set-hosts").value = (s.allowed_hosts || []).join("\n");
  showCarryOver(s);
}

// ------------------------------------------------------------------ carry over (SPEC §11)
// Beside the opening hours: whether yesterday's open tickets are kept at the first opening.

function showCarryOver(s) {
  $("set-carryover").checked = !!s.carry_over;
}

$("set-carryover").addEventListener("change", (ev) => patchSettings({ carry_over: ev.target.checked },
  ev.target.checked ? "admin.set.carryOverOn" : "admin.set.carryOverOff", ev.target));

export async function loadSettings() {
  try { showSettings(await apiFetch("GET", "/api/v1/settings")); } catch { /* shown on the next write */ }
}

async function patchSettings(changes, done, input) {
  if (input) input.disabled = true;
  try {
    const s = await apiFetch("PATCH", "/api/v1/settings", changes, { outbox: false });
    showSettings(s);
    toast(t(done), "success");
    loadAudit();
  } catch (err) {
    if (A.settings) showSettings(A.settings);  // put the switch back
    toast(t("admin.failed", { action: t("admin.act.settings"), reason: errorText(err) }), "error", { timeoutMs: 8000 });
  } finally {
    if (input) input.disabled = false;
  }
}

$("set-selfcheckin").addEventListener("change", (ev) => patchSettings({ self_checkin: ev.target.checked },
  ev.target.checked ? "admin.set.selfCheckinOn" : "admin.set.selfCheckinOff", ev.target));
$("set-voice").addEventListener("change", (ev) => patchSettings({ display_voice: ev.target.checked },
  ev.target.checked ? "admin.set.voiceOn" : "admin.set.voiceOff", ev.target));
for (const r of document.querySelectorAll('input[name="display_names"]')) {
  r.addEventListener("change", () => patchSettings({ display_names: r.value },
    r.value === "ticket" ? "admin.set.namesTicketDone" : "admin.set.namesInitialDone"));
}
$("origins-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const list = $("set-origins").value.split(/[\s,]+/).map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
  patchSettings({ allowed_origins: list }, list.length ? "admin.set.originsSaved" : "admin.set.originsNone", $("origins-save"));
});

$("hosts-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const list = $("set-hosts").value.split(/[\s,]+/).map((h) => h.trim()).filter(Boolean);
  patchSettings({ allowed_hosts: list }, list.length ? "admin.set.hostsSaved" : "admin.set.hostsNone", $("hosts-save"));
});

// ------------------------------------------------------------------ shop

function drawShop() {
  const shop = A.shop;
  if (!shop) return;
  setText($("shop-title"), shop.name);
  document.title = t("admin.titleShop", { shop: shop.name });
  setText($("shop-tz"), shop.timezone ? t("admin.shop.timezone", { zone: shop.timezone }) : "");
}

/** The language select: each language by its own name (a reader finds theirs in any language). */
function drawLanguages() {
  const select = $("shop-language");
  const chosen = (A.shop && A.shop.language) || language();
  if (!select.options.length) {
    select.append(...Object.entries(LANGUAGES).map(([code, name]) => {
      const option = new Option(name, code);
      option.lang = code;
      return option;
    }));
  }
  // Never undo the owner's pick before they save it (a live refresh redraws this).
  if (document.activeElement !== select && !select.dataset.dirty) select.value = chosen;
}

$("shop-language").addEventListener("change", (ev) => { ev.target.dataset.dirty = "1"; });

export async function loadShop() {
  try {
    const shop = await apiFetch("GET", `/api/v1/shops/${SHOP}`);
    A.shop = shop;
    drawShop();
    drawLanguages();
    drawKind();
    showHours(shop);
    if (document.activeElement !== $("shop-name")) $("shop-name").value = shop.name;
    showVoices(shop.language || language());
  } catch (err) { toast(t("admin.shop.readFailed", { reason: errorText(err) }), "error"); }
}

redrawOnChange(drawShop);

$("shop-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("shop-name").value.trim();
  if (!name) return;
  await act(async () => {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, { name }, { outbox: false });
    A.shop = shop;
    drawShop();
    toast(t("admin.shop.saved", { name: shop.name }), "success");
  }, "admin.act.shopName", $("shop-save"));
});

$("language-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const lang = $("shop-language").value;
  await act(async () => {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, { language: lang }, { outbox: false });
    A.shop = shop;
    delete $("shop-language").dataset.dirty;
    // The owner's own page follows the shop (a ?lang= in the address is dropped: it would win).
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) {
      url.searchParams.delete("lang");
      history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    }
    await use(shop.language);
    drawLanguages();
    showVoices(shop.language);
    toast(t("admin.language.saved", { language: LANGUAGES[shop.language] || shop.language }), "success");
    loadAudit();
  }, "admin.act.language", $("language-save"));
});
