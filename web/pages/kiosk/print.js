// Queue Kiosk — /kiosk: the paper ticket (SPEC §12). A paired kiosk's join is printed by the
// appliance when the owner turned auto-print on; the join answers `print: {status: "queued"}`
// and how it went arrives later as a `printer_status` event in this kiosk's own user room.
// When the paper did not come out, the ticket screen says to scan the QR code instead.
//
//   printStarted(entry)  from showTicket: remember the ticket whose paper is on its way
import { LiveSocket } from '/lib/live.js';
import { $, h, setText } from '/lib/ui.js';
import { onChange, t } from '/lib/i18n.js';

const outcomes = new Map(); // entry id -> printer status, for an event that beat the answer
let socket = null;
let waitingFor = null;

function note() {
  let el = $('t-print');
  if (!el) {
    // Under the ticket's facts, so the customer reads it where they look for their number.
    el = h('p', { id: 't-print', attrs: { role: 'status', 'aria-live': 'polite' } });
    el.style.cssText = 'font-weight:700;font-size:1.25rem;color:#9a3412;background:#fff7ed;'
      + 'border:2px solid #fdba74;border-radius:12px;padding:.6rem .9rem;margin:.8rem 0 0';
    const after = $('t-called');
    if (after && after.parentElement) after.parentElement.appendChild(el);
  }
  return el;
}

function paint() {
  const el = note();
  const status = waitingFor === null ? undefined : outcomes.get(waitingFor);
  const failed = status !== undefined && status !== 'ok';
  el.hidden = !failed;
  el.dataset.status = status || '';
  setText(el, failed ? t('kiosk.print.scanInstead') : '');
}
onChange(paint);

function listen(afterSeq) {
  socket = new LiveSocket({
    url: '/ws/connect',
    customer: true,
    indicator: false,
    onMessage: (m) => {
      if (!m || m.type !== 'printer_status' || !m.data) return;
      outcomes.set(m.data.entry_id, m.data.status);
      if (outcomes.size > 50) outcomes.delete(outcomes.keys().next().value);
      if (m.data.entry_id === waitingFor) paint();
    },
  });
  // From the join on: an outcome written before this socket opened is replayed to it.
  if (Number.isFinite(afterSeq)) socket.lastSeq = afterSeq - 1;
  socket.start();
}

export function printStarted(entry) {
  waitingFor = entry && entry.print && entry.print.status === 'queued' ? entry.id : null;
  if (waitingFor !== null && socket === null) listen(Number(entry.seq));
  paint();
}
