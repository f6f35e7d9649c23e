// Queue Kiosk — Staff page: the buttons (call, serve, move, walk-in) and what their answers do.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, toast } from "/lib/ui.js";
import { waitingOf, inView } from "/lib/staff-extras.js";
import { S, SHOP, callTarget } from "./state.js";
import { providerLabel, serviceLabel, refetchQueue } from "./data.js";
import { reach } from "./render.js";
import { showSignin } from "./signin.js";
import { live } from "./main.js";
import { t, has } from "/lib/i18n.js";
import { callNextConfirmed } from "./duty.js";

// ------------------------------------------------------------------ actions

function entryOf(id) {
  return S.queue && S.queue.queue_items.find((e) => e.id === id);
}

/** The page's own words for an API error (API messages stay English, SPEC §14). */
export function errorText(err) {
  if (!(err instanceof ApiError)) return t("staff.error.unknown");
  const code = err.status === 0 ? "network" : err.code;
  // A ticket sent to a provider who does not do its service (SPEC §10): say that, not
  // "something entered is not valid".
  if (code === "invalid_field" && err.details.field === "provider_id" && /does not offer/.test(err.details.reason || "")) {
    return t("staff.error.notOffered");
  }
  if (code && has(`staff.error.${code}`)) return t(`staff.error.${code}`);
  return t("staff.error.status", { status: String(err.status) });
}

async function write(method, path, body, label, button) {
  if (button) button.disabled = true;
  try {
    const data = await apiFetch(method, path, body, { label });
    if (data && data.queued) {
      toast(t("staff.toast.queued", { action: label }), "warning");
    } else if (!live || !live.connected) {
      refetchQueue();
    }
    return data;
  } catch (err) {
    failed(err, label);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

export function failed(err, label) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    showSignin(err.status === 403 ? "staff.signin.whyRole" : "staff.signin.whyInvalid");
  }
  toast(t("staff.toast.failed", { action: label, reason: errorText(err) }), "error", { timeoutMs: 8000 });
}

// Each button: the status it sets, and how a toast names that action ("Call A 12").
const STATUS_FOR = {
  call: ["CALLED", "staff.do.call"], start: ["IN_SERVICE", "staff.do.start"],
  complete: ["COMPLETED", "staff.do.complete"], recall: ["CHECKED_IN", "staff.do.recall"],
  noshow: ["NO_SHOW", "staff.do.noshow"], left: ["LEFT", "staff.do.left"],
};

document.addEventListener("click", async (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (!button) {
    // A click outside an open menu closes it.
    for (const d of document.querySelectorAll("details.more[open]")) if (!d.contains(ev.target)) d.open = false;
    return;
  }
  const action = button.dataset.action;
  if (action === "checkin") {
    const id = Number(button.closest("[data-appointment-id]").dataset.appointmentId);
    const data = await write("POST", "/api/v1/checkins", { appointment_id: id }, t("staff.do.checkin"), button);
    if (data && data.ticket) toast(t("staff.toast.checkedIn", { ticket: data.ticket, name: data.full_name }), "success");
    return;
  }
  const holder = button.closest("[data-id]");
  if (holder && action === "announce") { await callAgain(Number(holder.dataset.id), button); return; }
  if (holder && action === "priority") { await togglePriority(button); return; }
  if (!holder || !STATUS_FOR[action]) return;
  const id = Number(holder.dataset.id);
  const e = entryOf(id);
  const [status, labelKey] = STATUS_FOR[action];
  const menu = button.closest("details");
  if (menu) menu.open = false;
  // A ticket called from a device that serves somewhere goes there (SPEC §9).
  const body = action === "call" && S.chair != null ? { status, provider_id: S.chair } : { status };
  const data = await write("PATCH", `/api/v1/queue/${id}`, body, t(labelKey, { ticket: e ? e.ticket : "" }).trim(), button);
  if (data && action === "call" && !data.queued) toast(t("staff.toast.called", { ticket: data.ticket, name: data.full_name }), "success");
});

/** Call again (SPEC §9): every TV repeats the call-out; the ticket stays called. Not
 * kept for later when offline: a call-out minutes late would call nobody. */
async function callAgain(id, button) {
  const e = entryOf(id);
  const label = t("staff.do.announce", { ticket: e ? e.ticket : "" }).trim();
  button.disabled = true;
  try {
    const data = await apiFetch("POST", `/api/v1/queue/${id}/announce`, undefined, { label, outbox: false });
    toast(t("staff.toast.announced", { ticket: data.ticket, name: data.full_name }), "success");
  } catch (err) {
    failed(err, label);
  } finally {
    button.disabled = false;
  }
}

/** A change made from a row's ⋯ menu: close the menu, PATCH the ticket, and hand back
 * the answer (null when it failed or waits in the outbox for the connection). */
async function menuPatch(node, body, doKey, button) {
  const id = Number(node.closest("[data-id]").dataset.id);
  const e = entryOf(id);
  const menu = node.closest("details");
  if (menu) menu.open = false;
  const data = await write("PATCH", `/api/v1/queue/${id}`, body,
    t(doKey, { ticket: e ? e.ticket : "" }).trim(), button);
  return data && !data.queued ? data : null;
}

/** Mark or unmark priority (SPEC §10): marked, the server places the ticket again by the
 * owner's rule; the answer says where, and that is the calling order the row shows. */
async function togglePriority(button) {
  const e = entryOf(Number(button.closest("[data-id]").dataset.id));
  const data = await menuPatch(button, { priority: !(e && e.priority) }, "staff.do.priority", button);
  if (!data) return;
  const words = { ticket: data.ticket, name: data.full_name, position: data.position_in_queue };
  toast(t(data.priority ? "staff.toast.priorityOn" : "staff.toast.priorityOff", words), "success");
}

document.addEventListener("change", async (ev) => {
  const transfer = ev.target.closest("select.transfer");
  if (transfer) {
    // A transfer to another service keeps the ticket's check-in time and place (SPEC §10).
    const data = await menuPatch(transfer, { service_id: transfer.value ? Number(transfer.value) : null }, "staff.do.transfer");
    if (data) {
      toast(t("staff.toast.transferred", { ticket: data.ticket, name: data.full_name,
        service: serviceLabel(data.service_id) ?? "", position: data.position_in_queue }), "success");
    }
    return;
  }
  const select = ev.target.closest("select.move");
  if (!select) return;
  const provider = select.value ? Number(select.value) : null;
  const data = await menuPatch(select, { provider_id: provider }, "staff.do.move");
  if (data) {
    toast(provider == null
      ? t("staff.toast.movedAnyone", { ticket: data.ticket, name: data.full_name })
      : t("staff.toast.moved", { ticket: data.ticket, name: data.full_name, provider: providerLabel(provider) }), "success");
  }
});

document.addEventListener("toggle", (ev) => {
  const d = ev.target;
  if (d.matches && d.matches("details.more") && d.open) {
    for (const other of document.querySelectorAll("details.more[open]")) if (other !== d) other.open = false;
  }
}, true);

$("call-next").addEventListener("click", async () => {
  const button = $("call-next");
  button.disabled = true;
  try {
    const target = callTarget();
    const body = target == null ? {} : { provider_id: target };
    // A chair on a break or time off: asked first, then called with force (SPEC §11).
    const data = await callNextConfirmed(`/api/v1/shops/${SHOP}/queue/call-next`, body, { label: t("staff.callNext"), outbox: false });
    if (!data) return;
    toast(data.provider_id
      ? t("staff.toast.calledFor", { ticket: data.ticket, name: data.full_name, provider: providerLabel(data.provider_id) })
      : t("staff.toast.called", { ticket: data.ticket, name: data.full_name }), "success");
    if (!live || !live.connected) refetchQueue();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      toast(nobodyText(), "info");
    } else {
      failed(err, t("staff.callNext"));
    }
  } finally {
    button.disabled = !S.queue || !waitingOf(S.queue.queue_items).some((e) => inView(e, callTarget()));
  }
});

/** Why Call next found nobody, in the page's words: nobody waits, or those who wait are
 * for services this chair does not offer (call-next skips them, SPEC §10). */
function nobodyText() {
  const target = callTarget();
  if (target == null) return t("staff.toast.nobody");
  const { skipped } = reach();
  return skipped
    ? t("staff.toast.nobodyForService", { provider: providerLabel(target), count: skipped })
    : t("staff.toast.nobodyFor", { provider: providerLabel(target) });
}

$("walkin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("walkin-name").value.trim();
  if (!name) { $("walkin-name").focus(); return; }
  const body = { full_name: name };
  const phone = $("walkin-phone").value.trim();
  if (phone) body.phone = phone;
  const provider = $("walkin-provider").value;
  if (provider) body.provider_id = Number(provider);
  const service = $("walkin-service").hidden ? "" : $("walkin-service").value;
  if (service) body.service_id = Number(service);
  if ($("walkin-priority").checked) body.priority = true;
  const data = await write("POST", `/api/v1/shops/${SHOP}/queue`, body, t("staff.do.add", { name }), $("walkin-add"));
  if (data) {
    // Where the owner's rule put a priority walk-in: the calling order, as the row shows it.
    if (data.priority && !data.queued) {
      toast(t("staff.toast.addedPriority", { ticket: data.ticket, name: data.full_name, position: data.position_in_queue }), "success");
    }
    $("walkin-name").value = "";
    $("walkin-phone").value = "";
    $("walkin-priority").checked = false;
    $("walkin-name").focus();
  }
});
