// Queue Kiosk — Admin page: time off that staff asked for and that waits for the owner
// (SPEC §11). Approve or refuse here (or on /staff signed in as an admin). The list is
// read again after every change in the shop (main.js follows the queue socket).
import { apiFetch } from "/lib/api.js";
import { $, h, toast } from "/lib/ui.js";
import { formatDate, t } from "/lib/i18n.js";
import { A, act, redrawOnChange, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";

let pending = [];

export async function loadPendingTimeoff() {
  try {
    const list = await apiFetch("GET", `/api/v1/shops/${SHOP}/timeoff`);
    pending = list.filter((o) => o.status === "requested");
  } catch { return; }  // shown again with the next change
  drawPending();
}

function providerName(id) {
  const p = (A.providers || []).find((x) => x.id === id);
  return p ? p.name : `#${id}`;
}

function dates(o) {
  const style = { weekday: "short", day: "numeric", month: "short" };
  const from = formatDate(o.start_date, style);
  return o.start_date === o.end_date ? from : t("admin.timeoff.dates", { from, to: formatDate(o.end_date, style) });
}

function decide(o, status, button) {
  return act(async () => {
    await apiFetch("PATCH", `/api/v1/timeoff/${o.id}`, { status }, { outbox: false });
    toast(t(status === "approved" ? "admin.timeoff.approved" : "admin.timeoff.rejected", { provider: providerName(o.provider_id) }), "success");
    pending = pending.filter((x) => x.id !== o.id);
    drawPending();
    loadAudit();
  }, "admin.timeoff.failed", button);
}

function item(o) {
  const approve = h("button", { type: "button", class: "btn primary slim", dataset: { decide: "approved" }, text: t("admin.timeoff.approve") });
  const reject = h("button", { type: "button", class: "btn slim", dataset: { decide: "rejected" }, text: t("admin.timeoff.reject") });
  approve.addEventListener("click", () => decide(o, "approved", approve));
  reject.addEventListener("click", () => decide(o, "rejected", reject));
  return h("li", { class: "hours-timeoff-item", dataset: { timeoffId: String(o.id) } },
    h("span", { class: "grow" }, h("b", { text: providerName(o.provider_id) }), " ",
      h("span", { class: "muted small", text: dates(o) }),
      o.reason ? h("span", { class: "hours-timeoff-reason", text: o.reason }) : null),
    approve, reject);
}

function drawPending() {
  $("hours-timeoff").hidden = pending.length === 0;
  $("timeoff-pending").replaceChildren(...pending.map(item));
}
redrawOnChange(drawPending);
