// Queue Kiosk — Staff page: time off (SPEC §11). Staff request it for a provider and
// may withdraw a request; the owner (an admin sign-in) approves or rejects it. Approved
// time off shows in the week (week.js) and takes the provider off duty those days.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, syncList, toast } from "/lib/ui.js";
import { formatDate, has, onChange, t } from "/lib/i18n.js";
import { S, SHOP, W } from "./state.js";
import { activeProviders, optionsFor } from "./pickers.js";
import { errorLine } from "./errorline.js";
import { errorText } from "./actions.js";
import { providerLabel } from "./data.js";

const SHOWN = ["requested", "approved", "rejected"];

/** Time off overlapping [from, to] and every request from today on, in one map. */
export async function loadTimeoff(from, to) {
  const [week, ahead] = await Promise.all([
    apiFetch("GET", `/api/v1/shops/${SHOP}/timeoff?from=${from}&to=${to}`),
    apiFetch("GET", `/api/v1/shops/${SHOP}/timeoff`),
  ]);
  W.timeoff = new Map([...week, ...ahead].map((o) => [o.id, o]));
}

/** A provider's time off (asked or granted) on a day. */
export function timeoffOn(providerId, day) {
  return [...W.timeoff.values()].filter((o) => o.provider_id === providerId
    && (o.status === "requested" || o.status === "approved") && o.start_date <= day && o.end_date >= day);
}

function dates(o) {
  const style = { weekday: "short", day: "numeric", month: "short" };
  return o.start_date === o.end_date
    ? formatDate(o.start_date, style)
    : t("staff.timeoff.dates", { from: formatDate(o.start_date, style), to: formatDate(o.end_date, style) });
}

function button(key, status) {
  return h("button", { type: "button", class: "btn small", dataset: { timeoffStatus: status }, text: t(key) });
}

function createItem() {
  return h("li", { class: "timeoff-item" },
    h("span", { class: "timeoff-who" }, h("b", { class: "timeoff-provider" }), h("span", { class: "timeoff-dates" })),
    h("span", { class: "timeoff-reason" }),
    h("span", { class: "timeoff-status" }),
    h("span", { class: "timeoff-actions" }));
}

function updateItem(li, o) {
  li.dataset.timeoffId = String(o.id);
  li.dataset.status = o.status;
  setText(li.querySelector(".timeoff-provider"), providerLabel(o.provider_id));
  setText(li.querySelector(".timeoff-dates"), dates(o));
  setText(li.querySelector(".timeoff-reason"), o.reason || "");
  setText(li.querySelector(".timeoff-status"), t(`staff.timeoff.status.${o.status}`));
  const key = `${o.status}/${S.role}`;
  const actions = li.querySelector(".timeoff-actions");
  if (actions.dataset.key === key) return;
  actions.dataset.key = key;
  const buttons = [];
  if (o.status === "requested" && S.role === "admin") {
    buttons.push(button("staff.timeoff.approve", "approved"), button("staff.timeoff.reject", "rejected"));
  }
  if (o.status === "requested") buttons.push(button("staff.timeoff.withdraw", "cancelled"));
  if (o.status === "approved") buttons.push(button("staff.timeoff.cancel", "cancelled"));
  actions.replaceChildren(...buttons);
}

export function drawTimeoff() {
  const select = $("timeoff-provider");
  const keep = select.value ? Number(select.value) : S.chair ?? S.view;
  if (select.options.length !== activeProviders().length + 1 || select.dataset.stale !== "0") {
    optionsFor(select, { anyLabel: t("staff.timeoff.pick"), value: keep });
    select.dataset.stale = "0";
  }
  const today = W.today || "";
  const list = [...W.timeoff.values()]
    .filter((o) => SHOWN.includes(o.status) && o.end_date >= today)
    .sort((a, b) => (a.start_date < b.start_date ? -1 : a.start_date > b.start_date ? 1 : a.id - b.id));
  syncList($("timeoff-list"), list, (o) => o.id, createItem, updateItem);
  $("timeoff-empty").hidden = list.length > 0;
}

onChange(() => {
  $("timeoff-provider").dataset.stale = "1";
  for (const li of $("timeoff-list").children) delete li.querySelector(".timeoff-actions").dataset.key;
  errors.redraw();
});

const errors = errorLine("timeoff-error");
const showError = errors.show;
const hideError = errors.hide;

function reasonOf(err) {
  if (err instanceof ApiError && err.code === "invalid_field" && has(`staff.timeoff.bad.${err.details.field}`)) {
    return t(`staff.timeoff.bad.${err.details.field}`);
  }
  return errorText(err);
}

$("timeoff-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  hideError();
  const provider = $("timeoff-provider").value;
  const from = $("timeoff-from").value;
  if (!provider) { showError(() => t("staff.timeoff.need.provider")); return; }
  if (!from) { showError(() => t("staff.timeoff.need.from")); return; }
  const body = { provider_id: Number(provider), start_date: from, end_date: $("timeoff-to").value || from };
  const reason = $("timeoff-reason").value.trim();
  if (reason) body.reason = reason;
  const submit = $("timeoff-request");
  submit.disabled = true;
  try {
    const saved = await apiFetch("POST", `/api/v1/shops/${SHOP}/timeoff`, body, { outbox: false });
    W.timeoff.set(saved.id, saved);
    toast(t("staff.timeoff.requested", { provider: providerLabel(saved.provider_id) }), "success");
    $("timeoff-from").value = $("timeoff-to").value = $("timeoff-reason").value = "";
    drawTimeoffAndWeek();
  } catch (err) {
    showError(() => `${t("staff.timeoff.failedRequest")} ${reasonOf(err)}`);
  } finally {
    submit.disabled = false;
  }
});

let redrawWeek = () => drawTimeoff();
/** week.js hands over its redraw (it imports this module, not the other way round). */
export function onTimeoffChanged(fn) { redrawWeek = fn; }
function drawTimeoffAndWeek() { redrawWeek(); }

const DONE = { approved: "staff.timeoff.approved", rejected: "staff.timeoff.rejected", cancelled: "staff.timeoff.cancelled" };

$("timeoff-list").addEventListener("click", async (ev) => {
  const b = ev.target.closest("button[data-timeoff-status]");
  if (!b) return;
  const id = Number(b.closest("[data-timeoff-id]").dataset.timeoffId);
  const status = b.dataset.timeoffStatus;
  b.disabled = true;
  try {
    const saved = await apiFetch("PATCH", `/api/v1/timeoff/${id}`, { status }, { outbox: false });
    W.timeoff.set(saved.id, saved);
    toast(t(DONE[status], { provider: providerLabel(saved.provider_id) }), "success");
    drawTimeoffAndWeek();
  } catch (err) {
    toast(`${t("staff.timeoff.failedChange")} ${errorText(err)}`, "error", { timeoutMs: 8000 });
  } finally {
    b.disabled = false;
  }
});
