// Queue Kiosk — Staff page: the buttons (call, serve, move, walk-in) and what their answers do.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, toast } from "/lib/ui.js";
import { waitingOf, inView } from "/lib/staff-extras.js";
import { S, SHOP } from "./state.js";
import { providerLabel, refetchQueue } from "./data.js";
import { showSignin } from "./signin.js";
import { live, start } from "./main.js";

// ------------------------------------------------------------------ actions

function entryOf(id) {
  return S.queue && S.queue.queue_items.find((e) => e.id === id);
}

function who(e) { return e ? `${e.ticket} ${e.full_name}` : "ticket"; }

async function write(method, path, body, label, button) {
  if (button) button.disabled = true;
  try {
    const data = await apiFetch(method, path, body, { label });
    if (data && data.queued) {
      toast(`No connection: "${label}" will be sent when the appliance is back.`, "warning");
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
    showSignin(err.status === 403
      ? "This token may not run the queue (it needs the staff role)."
      : "The sign-in is missing or no longer valid.");
  }
  const msg = err instanceof ApiError ? err.message : String(err);
  toast(`${label} failed: ${msg}`, "error", { timeoutMs: 8000 });
}

const STATUS_FOR = {
  call: ["CALLED", "Call"], start: ["IN_SERVICE", "Start"], complete: ["COMPLETED", "Complete"],
  recall: ["CHECKED_IN", "Recall"], noshow: ["NO_SHOW", "No-show"], left: ["LEFT", "Left"],
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
    const data = await write("POST", "/api/v1/checkins", { appointment_id: id }, "Check in", button);
    if (data && data.ticket) toast(`Checked in: ${data.ticket} ${data.full_name}`, "success");
    return;
  }
  const holder = button.closest("[data-id]");
  if (!holder || !STATUS_FOR[action]) return;
  const id = Number(holder.dataset.id);
  const e = entryOf(id);
  const [status, label] = STATUS_FOR[action];
  const menu = button.closest("details");
  if (menu) menu.open = false;
  const data = await write("PATCH", `/api/v1/queue/${id}`, { status }, `${label} ${e ? e.ticket : ""}`.trim(), button);
  if (data && action === "call" && !data.queued) toast(`Called ${who(data)}`, "success");
});

document.addEventListener("change", async (ev) => {
  const select = ev.target.closest("select.move");
  if (!select) return;
  const id = Number(select.closest("[data-id]").dataset.id);
  const e = entryOf(id);
  const provider = select.value ? Number(select.value) : null;
  const menu = select.closest("details");
  if (menu) menu.open = false;
  const data = await write("PATCH", `/api/v1/queue/${id}`, { provider_id: provider },
    `Move ${e ? e.ticket : ""}`.trim());
  if (data && !data.queued) toast(`${who(data)} moved to ${provider == null ? "anyone (first free)" : providerLabel(provider)}`, "success");
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
    const body = S.view == null ? {} : { provider_id: S.view };
    const data = await apiFetch("POST", `/api/v1/shops/${SHOP}/queue/call-next`, body, { label: "Call next", outbox: false });
    toast(`Called ${who(data)}${data.provider_id ? ` for ${providerLabel(data.provider_id)}` : ""}`, "success");
    if (!live || !live.connected) refetchQueue();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      toast(S.view == null ? "Nobody is waiting." : `Nobody is waiting for ${providerLabel(S.view)}.`, "info");
    } else {
      failed(err, "Call next");
    }
  } finally {
    button.disabled = !S.queue || waitingOf(S.queue.queue_items).filter((e) => inView(e, S.view)).length === 0;
  }
});

$("walkin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("walkin-name").value.trim();
  if (!name) { $("walkin-name").focus(); return; }
  const body = { full_name: name };
  const phone = $("walkin-phone").value.trim();
  if (phone) body.phone = phone;
  const provider = $("walkin-provider").value;
  if (provider) body.provider_id = Number(provider);
  const data = await write("POST", `/api/v1/shops/${SHOP}/queue`, body, `Add ${name}`, $("walkin-add"));
  if (data) {
    $("walkin-name").value = "";
    $("walkin-phone").value = "";
    $("walkin-name").focus();
  }
});
