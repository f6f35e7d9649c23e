// Queue Kiosk — Staff page: the provider pickers and the per-provider view.
import { $, h, setText } from "/lib/ui.js";
import { S, VIEW_KEY } from "./state.js";
import { providerLabel } from "./data.js";
import { render } from "./render.js";

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
  optionsFor($("view"), { anyLabel: "Everyone", value: S.view });
  const walkinSel = $("walkin-provider");
  const keep = walkinSel.value ? Number(walkinSel.value) : S.view;
  optionsFor(walkinSel, { anyLabel: "Anyone", value: keep });
  for (const li of document.querySelectorAll("[data-move]")) li.dataset.stale = "1";
}

function setView(id, save = true) {
  S.view = id;
  if (save) { try { localStorage.setItem(VIEW_KEY, id == null ? "" : String(id)); } catch { /* ok */ } }
  $("view").value = id == null ? "" : String(id);
  $("walkin-provider").value = id == null ? "" : String(id);
  setText($("call-next"), id == null ? "Call next" : `Call next for ${providerLabel(id)}`);
  if (S.queue) render();
}

$("view").addEventListener("change", (ev) => setView(ev.target.value ? Number(ev.target.value) : null));
