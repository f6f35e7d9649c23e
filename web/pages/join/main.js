// Queue Kiosk — /join: the customer's own phone (the QR poster at the door, the QR on the
// TV and on an unpaired /kiosk). Join -> the customer's ticket page /t/{claim} (SPEC §9).
// When joining from a phone is not possible (self check-in off, the shop closed or past
// its last-join cutoff, SPEC §11) it says so, with the reason, before any form is shown,
// and shows the form again by itself at the opening (the server sends a queue body then).
import { LiveSocket } from '/lib/live.js';
import { shopId } from '/lib/api.js';
import { $, setText } from '/lib/ui.js';
import { customerWait } from '/lib/waits.js';
import { learnClock, mountClock } from '/lib/clock.js';
import { joinForm, languageSwitch, visitLanguage } from '/lib/join-form.js';
import { closedLine, closedWords, drawClosedCard, joinsClosed, paintClosedCard } from '/lib/hours.js';
import { language, onChange, startForShop, supported, t, use } from '/lib/i18n.js';

const SHOP = shopId();
let home = await startForShop(SHOP);
mountClock($('clock'));

drawClosedCard($('s-closed'));
const state = { queue: null, lastSeq: -1, refused: null };
languageSwitch($('languages-row'), { home: () => home });

// Why this phone may not join now, or null. The server's own refusal of a join wins
// until the next change of the queue (the switch may have been flipped meanwhile).
function whyNot() {
  if (state.refused) return state.refused;
  const q = state.queue;
  if (!q) return null;
  const closed = closedWords(q);
  if (closed) return { kind: closed.kind, words: closed };
  if (q.display && q.display.self_checkin === false) return { kind: 'off' };
  return null;
}

function paint() {
  const q = state.queue;
  if (q && q.shop_name) {
    setText($('shop-name'), q.shop_name);
    document.title = t('join.titleShop', { shop: q.shop_name });
  }
  if (q) {
    const waiting = (q.queue_items || []).filter((e) => e.status === 'CHECKED_IN');
    const last = waiting[waiting.length - 1];
    // "No wait right now" would invite people in while the door is shut: then it says nothing.
    setText($('line-info'), last ? t('kiosk.line.waiting', { count: waiting.length,
      wait: customerWait(last.estimated_wait_minutes, last.estimated_wait_range) })
      : joinsClosed(q) ? '' : t('kiosk.line.none'));
  }
  const why = whyNot();
  const screen = !q && !state.refused ? 's-wait' : why ? 's-closed' : 's-join';
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== screen;
  document.documentElement.dataset.screen = screen.slice(2);
  document.documentElement.dataset.why = why ? why.kind : '';
  if (!why) return;
  if (why.words) {
    paintClosedCard(why.words);
  } else if (why.kind === 'closed') {
    paintClosedCard({ heading: t('join.closed.heading'), hint: t('join.closed.hint'),
      line: closedLine(why.opensAt, q && String(q.timestamp || '').slice(0, 10)) });
  } else {
    paintClosedCard({ heading: t('join.off.heading'), line: t('join.off.reason'), hint: t('join.off.hint') });
  }
}

function onQueue(q) {
  if (!q || q.type !== 'queue_update') return;
  if (typeof q.seq === 'number' && q.seq < state.lastSeq) return;
  if (typeof q.seq === 'number') {
    if (q.seq > state.lastSeq) state.refused = null;
    state.lastSeq = q.seq;
  }
  // The opening itself writes nothing (the same seq comes again): the body's hours say it.
  if (state.refused && state.refused.kind === 'closed' && q.hours && !joinsClosed(q)) state.refused = null;
  state.queue = q;
  learnClock(q.timestamp);
  document.documentElement.dataset.seq = String(state.lastSeq);
  if (supported(q.language) && !new URLSearchParams(location.search).has('lang') && q.language !== home) {
    home = q.language;
    if (visitLanguage() === null && language() !== home) use(home);
  }
  form.follow(q);  // the services to ask from (a phone never offers priority: staff give it)
  paint();
}

onChange(paint);

const form = joinForm({
  shop: SHOP,
  outbox: false,  // a phone that lost its connection tries again itself, with its ticket page to come
  onTicket(entry) {
    const url = `/t/${encodeURIComponent(entry.claim)}`;
    location.assign(visitLanguage() ? `${url}?lang=${encodeURIComponent(visitLanguage())}` : url);
  },
  onPending() { /* outbox off: never queued */ },
  onRefused(err) {
    if (err.status === 409 && err.code !== 'closed') return;  // "already in", not a refusal
    const opensAt = err.details && err.details.opens_at;
    state.refused = err.status === 409 ? { kind: 'closed', opensAt: opensAt || null } : { kind: 'off' };
    paint();
  },
});
form.refreshProviders();

new LiveSocket({
  url: `/ws/queue/${SHOP}/`,
  customer: true,
  onMessage: onQueue,
  poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: onQueue },
}).start();
paint();
