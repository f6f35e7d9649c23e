// Queue Kiosk — Staff page: the provider pickers, the per-provider view and where this
// device serves (its chair; see state.js for how the two choices differ).
import { $, h, setText } from "/lib/ui.js";
import { S, VIEW_KEY, CHAIR_KEY } from "./state.js";
import { render, callNextLabel } from "./render.js";
import { t } from "/lib/i18n.js";
import { choosable, offers } from "/lib/services.js";

// ------------------------------------------------------------------ pickers

/** The providers a customer can be sent to now (a retired one keeps only its name). */
export function activeProviders() {
  return [...S.providers.values()].filter((p) => p.active !== false);
}

export function optionsFor(select, { anyLabel, value, only = () => true }) {
  const opts = [h("option", { value: "", text: anyLabel })];
  for (const p of activeProviders().filter(only)) opts.push(h("option", { value: String(p.id), text: p.name }));
  select.replaceChildren(...opts);
  select.value = value == null ? "" : String(value);
  if (select.value !== (value == null ? "" : String(value))) select.value = "";
}

const serving = (id) => id != null && activeProviders().some((p) => p.id === id);

export function fillProviderPickers() {
  if (S.view != null && !serving(S.view)) setView(null, false);
  if (S.chair != null && !serving(S.chair)) setChair(null, false);
  optionsFor($("view"), { anyLabel: t("staff.view.everyone"), value: S.view });
  optionsFor($("chair"), { anyLabel: t("staff.chair.none"), value: S.chair });
  $("chair-picker").hidden = activeProviders().length === 0;
  fillWalkinProviders();
  for (const li of document.querySelectorAll("[data-move]")) li.dataset.stale = "1";
  showChairHint();
}

/** The walk-in's provider choice offers only those who do the service chosen (SPEC §10). */
function fillWalkinProviders() {
  const walkinSel = $("walkin-provider");
  const keep = walkinSel.value ? Number(walkinSel.value) : S.chair ?? S.view;
  const service = S.services.get(Number($("walkin-service").value));
  optionsFor(walkinSel, { anyLabel: t("staff.provider.anyone"), value: keep,
    only: (p) => offers(service, p.id, S.providers) });
}

/** The walk-in's service choice: shown only when the shop has more than one (SPEC §10).
 * The ⋯ menus' service choices are re-filled when their rows are next drawn. */
export function fillServicePickers() {
  const select = $("walkin-service");
  const keep = select.value;
  const list = choosable(S.services);
  select.replaceChildren(h("option", { value: "", text: t("staff.walkin.serviceNone") }),
    ...list.map((s) => h("option", { value: String(s.id), text: s.name })));
  select.value = list.some((s) => String(s.id) === keep) ? keep : "";
  select.hidden = list.length === 0;
  for (const menu of document.querySelectorAll("select.transfer, select.move")) menu.dataset.stale = "1";
  fillWalkinProviders();
}

function remember(key, id) {
  try { localStorage.setItem(key, id == null ? "" : String(id)); } catch { /* private mode: this visit only */ }
}

export function remembered(key) {
  try { const saved = localStorage.getItem(key); return saved ? Number(saved) : null; } catch { return null; }
}

function setView(id, save = true) {
  S.view = id;
  if (save) remember(VIEW_KEY, id);
  $("view").value = id == null ? "" : String(id);
  $("walkin-provider").value = (S.chair ?? id) == null ? "" : String(S.chair ?? id);
  setText($("call-next"), callNextLabel());
  if (S.queue) render();
}

function setChair(id, save = true) {
  S.chair = id;
  if (save) remember(CHAIR_KEY, id);
  $("chair").value = id == null ? "" : String(id);
  setText($("call-next"), callNextLabel());
  showChairHint();
  if (S.queue) render();
}

/** Until this device says where it serves, a line under Call next asks it to. */
function showChairHint() {
  $("chair-hint").hidden = S.chair != null || activeProviders().length === 0;
}

$("walkin-service").addEventListener("change", fillWalkinProviders);
$("view").addEventListener("change", (ev) => setView(ev.target.value ? Number(ev.target.value) : null));
$("chair").addEventListener("change", (ev) => setChair(ev.target.value ? Number(ev.target.value) : null));
