// Queue Kiosk — Ticket page (/t/{claim}): the customer's own ticket on their phone.
import { LiveSocket } from '/lib/live.js';
import { apiFetch, ApiError } from '/lib/api.js';
import { $, h, setText, ordinal, toast } from '/lib/ui.js';
import { awayWords } from '/lib/hours.js';
import { customerWait } from '/lib/waits.js';
import { choosable, serviceName, servicesOf } from '/lib/services.js';
import { learnClock, mountClock } from '/lib/clock.js';
import { direction, language, onChange, start as startLanguage, supported, t as say, use } from '/lib/i18n.js';

// A name or a provider in a right-to-left page is isolated (U+2068 … U+2069), so that
// "John D." keeps its full stop at its end and never pulls the sentence around it.
const isolate = (text) => (text && direction() === 'rtl' ? `\u2068${text}\u2069` : text);

// Every text on this page comes from a language catalog (SPEC §14): English (or the
// ?lang= of the customer's visit at the kiosk) until the ticket names its shop, then
// the shop's language, following a change of it live. A ?lang= stays.
await startLanguage();
const ASKED_LANGUAGE = supported(new URLSearchParams(location.search).get('lang'));
let shopLanguageAsked = false;

async function followShop(shopId) {
  if (ASKED_LANGUAGE || shopLanguageAsked || shopId === undefined || shopId === null) return;
  shopLanguageAsked = true;
  try {
    const shop = await apiFetch('GET', `/api/v1/shops/${encodeURIComponent(shopId)}`);
    followLanguage(shop && shop.language);
  } catch { shopLanguageAsked = false; /* the next render asks again */ }
}

function followLanguage(lang) {
  if (!ASKED_LANGUAGE && supported(lang) && lang !== language()) use(lang);
}

const claim = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const TICKET_URL = `/api/v1/tickets/${encodeURIComponent(claim)}`;
const OPEN = new Set(['CHECKED_IN', 'CALLED', 'IN_SERVICE']);
// services: the shop's, while it has a choice of them (the ticket then says which is its own).
const state = { ticket: null, live: null, lastSeq: -1, buzzed: new Set(), fetching: null, services: null,
  duty: new Map() };  // duty: provider id -> the provider as the last queue body says it (SPEC §11)
const away = h('p', { id: 'away', class: 'qk-muted', hidden: true });
$('ahead').after(away);

mountClock($('clock'));

// Pages on the shop's LAN come over plain HTTP: no secure context, so no notifications,
// wake lock or service worker. While it is open, the page itself tells the customer:
// it vibrates and chimes (Web Audio) when the browser allows, once per moment. A tap on
// "sound on" is the gesture that allows both.
let audio = null;

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!audio && Context) audio = new Context();
  return audio;
}

function chime() {
  const ctx = audio || (navigator.userActivation && navigator.userActivation.hasBeenActive ? audioContext() : null);
  if (!ctx) return;
  if (ctx.state !== 'running') { ctx.resume().catch(() => {}); return; }
  const at = ctx.currentTime;
  [[0, 880], [0.35, 660]].forEach(([delay, hertz]) => {
    const tone = ctx.createOscillator();
    const volume = ctx.createGain();
    tone.frequency.value = hertz;
    volume.gain.setValueAtTime(0.0001, at + delay);
    volume.gain.exponentialRampToValueAtTime(0.5, at + delay + 0.02);
    volume.gain.exponentialRampToValueAtTime(0.0001, at + delay + 0.3);
    tone.connect(volume).connect(ctx.destination);
    tone.start(at + delay);
    tone.stop(at + delay + 0.32);
  });
}

function buzz(kind, pattern) {
  if (state.buzzed.has(kind)) return;
  state.buzzed.add(kind);
  try { if (navigator.vibrate) navigator.vibrate(pattern); } catch { /* not allowed yet */ }
  if (kind !== 'soon') chime();
}

function paintSound() {
  const on = !!audio && audio.state === 'running';
  document.documentElement.dataset.sound = on ? 'on' : 'off';
  $('sound-on').hidden = on || !state.ticket || !OPEN.has(state.ticket.status);
}

$('sound-on').addEventListener('click', async () => {
  const ctx = audioContext();
  try { if (ctx) await ctx.resume(); } catch { /* stays off */ }
  try { if (navigator.vibrate) navigator.vibrate(60); } catch { /* none */ }
  paintSound();
});

function render(t) {
  state.ticket = t;
  document.documentElement.dataset.status = t.status;
  $('card').hidden = false;
  $('missing').hidden = true;
  if (t.shop_name) { setText($('shop'), t.shop_name); document.title = say('ticket.titleShop', { ticket: t.ticket, shop: t.shop_name }); }
  setText($('code'), t.ticket);
  setText($('name'), isolate(t.full_name || ''));
  const service = serviceName(state.services, t.service_id);
  $('service').hidden = !service;
  setText($('service'), service ? say('ticket.service', { service: isolate(service) }) : '');
  const waiting = t.status === 'CHECKED_IN';
  $('facts').hidden = !waiting;
  setText($('pos'), waiting && t.position_in_queue ? ordinal(t.position_in_queue) : '–');
  // A range where the history is thin (SPEC §10), never a figure it cannot back.
  setText($('wait'), waiting ? customerWait(t.estimated_wait_minutes, t.estimated_wait_range, { short: true }) : '–');
  const ahead = waiting && t.position_in_queue ? t.position_in_queue - 1 : null;
  setText($('ahead'), ahead === null ? '' : ahead === 0 ? say('ticket.aheadNone') : say('ticket.ahead', { count: ahead }));
  // The provider this customer asked for is on a break or off (SPEC §11): say until when.
  const asked = waiting && t.provider_id != null ? state.duty.get(t.provider_id) : null;
  const awayLine = asked ? awayWords(asked, isolate(t.provider_name || asked.name)) : '';
  away.hidden = !awayLine;
  setText(away, awayLine);
  $('leave').hidden = !OPEN.has(t.status) || t.status === 'IN_SERVICE';

  const alert = $('alert');
  const where = t.provider_name ? say('ticket.alert.goTo', { provider: isolate(t.provider_name) }) : say('ticket.alert.desk');
  let kind = null; let title = ''; let sub = '';
  if (t.status === 'CALLED') {
    kind = 'called'; title = say('ticket.alert.called'); sub = where;
    // Once per call, and once more each time staff call again (SPEC §9).
    buzz(`called:${t.called_at || ''}:${t.announced_at || ''}`, [300, 120, 300, 120, 600]);
  }
  else if (t.status === 'IN_SERVICE') { kind = 'done'; title = say('ticket.alert.inService'); }
  else if (t.status === 'COMPLETED') { kind = 'done'; title = say('ticket.alert.completed'); }
  else if (t.status === 'LEFT' || t.status === 'CANCELLED') { kind = 'closed'; title = say('ticket.alert.left'); sub = say('ticket.alert.leftHint'); }
  else if (t.status === 'NO_SHOW') { kind = 'closed'; title = say('ticket.alert.noShow'); sub = say('ticket.alert.noShowHint'); }
  else if (waiting && t.position_in_queue === 1) { kind = 'next'; title = say('ticket.alert.next'); sub = say('ticket.alert.nextHint'); buzz('next', [200, 100, 200]); }
  else if (waiting && t.position_in_queue === 2) { kind = 'soon'; title = say('ticket.alert.soon'); sub = say('ticket.alert.soonHint'); buzz('soon', [200]); }
  alert.hidden = !kind;
  // "You're next" and "your turn": the whole page changes, not only a line of it.
  if (kind === 'next' || kind === 'called') document.documentElement.dataset.turn = kind;
  else delete document.documentElement.dataset.turn;
  paintSound();
  if (kind) {
    alert.dataset.kind = kind;
    alert.textContent = title;
    if (sub) { const s = document.createElement('small'); s.textContent = sub; alert.appendChild(s); }
  }
  $('foot').hidden = !OPEN.has(t.status);
  followShop(t.shop_id);
  if (!OPEN.has(t.status) && state.live) { state.live.stop(); state.live = null; }
  else if (OPEN.has(t.status) && !state.live) startLive(t.shop_id);
}

async function fetchTicket() {
  if (state.fetching) return state.fetching;
  state.fetching = (async () => {
    try {
      render(await apiFetch('GET', TICKET_URL));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        $('missing').hidden = false; $('card').hidden = true; $('leave').hidden = true; $('foot').hidden = true;
      }
    } finally { state.fetching = null; }
  })();
  return state.fetching;
}

function onQueue(q) {
  if (!q || q.type !== 'queue_update' || !state.ticket) return;
  if (typeof q.seq === 'number' && q.seq < state.lastSeq) return;
  if (typeof q.seq === 'number') state.lastSeq = q.seq;
  document.documentElement.dataset.seq = String(state.lastSeq);
  learnClock(q.timestamp);
  followLanguage(q.language);
  if (Array.isArray(q.providers)) state.duty = new Map(q.providers.map((p) => [p.id, p]));
  const known = servicesOf(q);
  state.services = known && choosable(known).length ? known : null;
  const mine = (q.queue_items || []).find((e) => e.id === state.ticket.id);
  const t = state.ticket;
  // Status or provider changed (or the ticket closed): ask for the ticket itself,
  // which also names the provider. Otherwise the snapshot has all we show.
  if (!mine || mine.status !== t.status || mine.provider_id !== t.provider_id) { fetchTicket(); return; }
  render({ ...t, position_in_queue: mine.position_in_queue, estimated_wait_minutes: mine.estimated_wait_minutes,
    estimated_wait_range: mine.estimated_wait_range, service_id: mine.service_id, announced_at: mine.announced_at });
}

function startLive(shop) {
  state.live = new LiveSocket({
    url: `/ws/queue/${shop}/`,
    customer: true,
    onMessage: onQueue,
    onOpen: (_, { reconnected }) => { if (reconnected) fetchTicket(); },
    poll: { url: TICKET_URL, everyMs: 5000, onData: render },
  }).start();
}

$('leave').addEventListener('click', () => { $('confirm').hidden = false; $('confirm-no').focus(); });
$('confirm-no').addEventListener('click', () => { $('confirm').hidden = true; });
$('confirm').addEventListener('click', (ev) => { if (ev.target === $('confirm')) $('confirm').hidden = true; });
$('confirm-yes').addEventListener('click', async () => {
  $('confirm-yes').disabled = true;
  try {
    const result = await apiFetch('DELETE', TICKET_URL, undefined, { label: 'leave' });
    $('confirm').hidden = true;
    if (result && result.queued) toast(say('ticket.leave.queued'), 'warning');
    else render({ ...state.ticket, status: result && result.status ? result.status : 'LEFT', position_in_queue: null });
  } catch (err) {
    $('confirm').hidden = true;
    if (err.status === 409) fetchTicket();
    else toast(say('ticket.leave.failed'), 'error');
  } finally { $('confirm-yes').disabled = false; }
});

// The page's own words redrawn in a new language (the ticket data stays).
onChange(() => { if (state.ticket) render(state.ticket); });

document.addEventListener('visibilitychange', () => { if (!document.hidden && state.ticket) fetchTicket(); });
fetchTicket();
