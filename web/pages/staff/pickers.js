// Queue Kiosk — Staff page: the provider pickers and the per-provider view.
import { $, h, setText } from "/lib/ui.js";
import { S, VIEW_KEY } from "./state.js";
import { render, callNextLabel } from "./render.js";
import { t } from "/lib/i18n.js";

// ------------------------------------------------------------------ pickers

export function optionsFor(select, { anyLabel, value }) {
  const opts = [h("option", { value: "", text: anyLabel })];
  for (const p of S.providers.values()) opts.push(h("option", { value: String(p.id), text: p.name }));
  select.replaceChildren(...opts);
  select.value = value == null ? "" : String(value);
  if (select.value !== (value == null ? "" : String(value))) select.value = "";
}

export function fillProviderPickers() {
  if (S.view != null && !S.providers.has(S.view)) setView(null, false);
  optionsFor($("view"), { anyLabel: t("staff.view.everyone"), value: S.view });
  const walkinSel = $("walkin-provider");
  const keep = walkinSel.value ? Number(walkinSel.value) : S.view;
  optionsFor(walkinSel, { anyLabel: t("staff.provider.anyone"), value: keep });
  for (const li of document.querySelectorAll("[data-move]")) li.dataset.stale = "1";
}

function setView(id, save = true) {
  S.view = id;
  if (save) { try { localStorage.setItem(VIEW_KEY, id == null ? "" : String(id)); } catch { /* ok */ } }
  $("view").value = id == null ? "" : String(id);
  $("walkin-provider").value = id == null ? "" : String(id);
  setText($("call-next"), callNextLabel());
  if (S.queue) render();
}

$("view").addEventListener("change", (ev) => setView(ev.target.value ? Number(ev.target.value) : null));
