// Queue Kiosk — Staff page: paper tickets (SPEC §12). "Print ticket again" in a ticket's ⋯ menu
// (POST /api/v1/queue/{id}/print), and the printer's news from the `printer` room (on the
// page's one rooms socket, main.js) as toasts: every failure (offline, out of paper, not
// printed), and "printed" for this device's reprints.
// With no printer set up the menu item is hidden (html[data-printer="none"], staff.css).
import { apiFetch } from "/lib/api.js";
import { toast } from "/lib/ui.js";
import { t } from "/lib/i18n.js";
import { S } from "./state.js";
import { failed } from "./actions.js";

const RETRY_MS = 30000;
const mine = new Set(); // entry ids this device asked to reprint
// Reprints whose outcome arrived before their own answer: "sent to the printer" would
// then come after "printed" and, on a phone where only the newest toast shows, hide it.
const settled = new Set();
let lastSeq = 0;

export function joinPrinterRoom(live) {
  live.send({ command: "join_room", room: "printer" });
}

export function onPrinterMessage(m) {
  if (!m || m.type !== "printer_status" || !m.data) return;
  if (Number.isFinite(m.seq) && m.seq <= lastSeq) return;  // a replay after a reconnect
  if (Number.isFinite(m.seq)) lastSeq = m.seq;
  const { status, entry_id: id } = m.data;
  const asked = mine.delete(id);
  if (asked) settled.add(id);
  if (status === "ok" && !asked) return;  // a kiosk's ticket came out: nothing to do
  const key = ["ok", "offline", "paper_out"].includes(status) ? status : "error";
  toast(t(`staff.printer.${key}`), status === "ok" ? "success" : status === "error" ? "error" : "warning",
    { timeoutMs: status === "ok" ? 4000 : 10000 });
}

async function watchPrinter() {
  let state;
  try {
    state = await apiFetch("GET", "/api/v1/printer", undefined, { outbox: false });
  } catch {
    setTimeout(watchPrinter, RETRY_MS);  // not signed in yet
    return;
  }
  document.documentElement.dataset.printer = state.kind;
}
watchPrinter();

document.addEventListener("click", async (ev) => {
  const button = ev.target.closest('button[data-action="reprint"]');
  const holder = button && button.closest("[data-id]");
  if (!holder) return;
  const id = Number(holder.dataset.id);
  const e = S.queue && S.queue.queue_items.find((x) => x.id === id);
  const menu = button.closest("details");
  if (menu) menu.open = false;
  const label = t("staff.reprint");
  button.disabled = true;
  try {
    settled.delete(id);
    mine.add(id);
    const data = await apiFetch("POST", `/api/v1/queue/${id}/print`, undefined, { label, outbox: false });
    if (!settled.delete(id)) {
      toast(t("staff.reprint.queued", { ticket: data.ticket || (e ? e.ticket : "") }), "info");
    }
  } catch (err) {
    mine.delete(id);
    if (err && err.code === "conflict") toast(t("staff.printer.none"), "warning");
    else failed(err, label);
  } finally {
    button.disabled = false;
  }
});
