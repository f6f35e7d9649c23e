// Queue Kiosk — Kiosk page (/kiosk): the desk tablet (SPEC §9). Paired, it lets the
// customer in front of it join the queue or check in an appointment, shows their ticket
// and goes back to its start by itself. Not paired, it shows the "pair this tablet"
// screen (and leads a customer who came here with their phone to /join), never the form.
import { LiveSocket } from '/lib/live.js';
import { apiFetch, onOutbox, setToken, shopId } from '/lib/api.js';
import { $, h, setText, clear, syncList, firstNameInitial, clockTime, ordinal, toast } from '/lib/ui.js';
import { qrSvg } from '/lib/qr.js';
import { providerName } from '/lib/providers.js';
import { atLeast, whoAmI } from '/lib/auth.js';
import { learnClock, mountClock } from '/lib/clock.js';
import { isolate, joinForm, languageSwitch, visitLanguage } from '/lib/join-form.js';
import { customerWait } from '/lib/waits.js';
import { closedWords, drawClosedCard, joinsClosed, paintClosedCard } from '/lib/hours.js';
import { placementSentence } from './placement.js';
import { choosable, serviceName, servicesOf } from '/lib/services.js';
import { onChange, startForShop, supported, t, use, language } from '/lib/i18n.js';
import { printStarted } from './print.js';

// Every text on this page comes from the shop's language catalog (SPEC §14).
// `home` is the language the kiosk returns to for the next customer: the shop's (or a
// ?lang= given to this tablet); a customer's own choice lasts for their visit only.
let home = await startForShop(shopId());

const SHOP = shopId();
// The ticket screen returns to the start by itself within 20 s (SPEC §9); a page
// constant the tests read rather than wait out a guess.
const TICKET_BACK_S = 15;
const IDLE_BACK_S = 75;       // a half-filled form is abandoned after this
const CODE_DIGITS = 6;
document.documentElement.dataset.ticketBackS = String(TICKET_BACK_S);

const state = { appointments: [], queue: null, lastSeq: -1, ticket: null,
                pendingId: null, chosenAppt: null };

mountClock($('clock'));

// ------------------------------------------------------------ screens + idle timer

let current = null;
let idleTimer = null;
let countdown = null;

function show(id) {
  for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== id;
  current = id;
  document.documentElement.dataset.screen = id.slice(2);
  clearInterval(countdown); countdown = null;
  armIdle();
  window.scrollTo(0, 0);
}

function armIdle() {
  clearTimeout(idleTimer);
  if (['s-pair', 's-start', 's-closed', 's-ticket', 's-pending'].includes(current)) return;
  idleTimer = setTimeout(reset, IDLE_BACK_S * 1000);
}

function startCountdown(labelId, seconds) {
  let left = seconds;
  const label = $(labelId);
  const paint = () => setText(label, t('kiosk.countdown', { count: left }));
  paint();
  clearInterval(countdown);
  countdown = setInterval(() => {
    left -= 1;
    if (left <= 0) { reset(); return; }
    paint();
  }, 1000);
}

function reset() {
  form.reset();
  setText($('appt-error'), '');
  setText($('confirm-error'), '');
  $('appt-filter').value = '';
  state.ticket = null; state.pendingId = null; state.chosenAppt = null;
  clear($('t-qr'));
  show(startScreen());
  languages.reset();
}

for (const ev of ['pointerdown', 'keydown', 'input']) document.addEventListener(ev, armIdle, { passive: true });
for (const b of document.querySelectorAll('[data-back]')) b.addEventListener('click', reset);

// ------------------------------------------------------------ line info (live)

function onQueue(q) {
  if (!q || q.type !== 'queue_update') return;
  if (typeof q.seq === 'number' && q.seq < state.lastSeq) return;
  if (typeof q.seq === 'number') state.lastSeq = q.seq;
  state.queue = q;
  learnClock(q.timestamp);
  document.documentElement.dataset.seq = String(state.lastSeq);
  followShopLanguage(q.language);
  form.follow(q);
  paintLine();
  paintAppointmentChoice();
  paintClosed();
  if (state.ticket) refreshTicketFromQueue();
}

// ------------------------------------------------------------ closed (SPEC §11)

// Outside the opening hours, or in the last minutes before a closing, the start screen
// (and a form being filled in) gives way to "Closed — we open at 9:00 AM"; the server
// sends a queue body at the opening, and the start screen comes back by itself.
drawClosedCard($('s-closed'));
// Appointments are still checked in while joins are shut (SPEC §11 refuses joins only).
const closedAppt = h('button', { class: 'qk-btn closed-appt', type: 'button', id: 'closed-appt', hidden: true,
  dataset: { i18n: 'kiosk.start.appointment' }, on: { click: () => $('go-appt').click() } });
$('s-closed').append(closedAppt);
const startScreen = () => (closedWords(state.queue) ? 's-closed' : 's-start');

function paintClosed() {
  const words = closedWords(state.queue);
  document.documentElement.dataset.closed = words ? words.kind : '';
  if (words) {
    paintClosedCard(words);
    setText(closedAppt, t('kiosk.start.appointment'));
    $('s-closed').dataset.kind = words.kind;
  }
  // A half-filled form is dropped, and the next customer starts in the shop's language.
  if (words && (current === 's-start' || current === 's-join')) reset();
  else if (!words && current === 's-closed') show('s-start');
}

function paintLine() {
  const q = state.queue;
  if (!q) return;
  if (q.shop_name) { setText($('shop-name'), q.shop_name); document.title = t('kiosk.titleShop', { shop: q.shop_name }); }
  const waiting = (q.queue_items || []).filter((e) => e.status === 'CHECKED_IN');
  // "No wait right now" would invite people in while the door is shut: then it says nothing.
  if (!waiting.length) { setText($('line-info'), joinsClosed(q) ? '' : t('kiosk.line.none')); return; }
  const last = waiting.reduce((a, b) => ((b.position_in_queue || 0) > (a.position_in_queue || 0) ? b : a));
  setText($('line-info'), t('kiosk.line.waiting', { count: waiting.length,
    wait: customerWait(last.estimated_wait_minutes, last.estimated_wait_range) }));
}

// The owner changed the shop's language (/admin): the kiosk follows at once, unless a
// customer is in the middle of a visit in a language they picked.
function followShopLanguage(lang) {
  if (!supported(lang) || new URLSearchParams(location.search).has('lang') || lang === home) return;
  home = lang;
  if (visitLanguage() === null && language() !== home) use(home);
}

const languages = languageSwitch($('languages-row'), { home: () => home });

onChange(() => {
  paintLine();
  paintClosed();
  if (current === 's-appt' || current === 's-confirm') renderAppointments();
  if (current === 's-confirm' && state.chosenAppt) paintConfirm(state.chosenAppt);
  if (state.ticket && current === 's-ticket') paintTicketTexts(state.ticket);
  if (current === 's-pair') paintPairing();
});

const live = new LiveSocket({
  url: `/ws/queue/${SHOP}/`,
  customer: true,
  onMessage: onQueue,
  poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: onQueue },
}).start();

// ------------------------------------------------------------ join

const form = joinForm({ shop: SHOP, onTicket: showTicket, onPending: showPending, onBack: () => reset(), kiosk: true });

$('go-join').addEventListener('click', () => { show('s-join'); form.refreshProviders(); $('j-name').focus(); });

// ------------------------------------------------------------ appointments

// Still to check in today: the button shows only while there is one (SPEC §9), and it
// comes back live when staff book one.
const OPEN_APPOINTMENT = new Set(['scheduled', 'confirmed']);

function paintAppointmentChoice() {
  const today = state.queue && state.queue.appointments_today;
  const left = today ? (today.appointments || []).some((a) => OPEN_APPOINTMENT.has(a.status)) : false;
  $('go-appt').hidden = !left;
  closedAppt.hidden = !left;
  $('choices').classList.toggle('single', !left);
}

$('go-appt').addEventListener('click', async () => {
  show('s-appt');
  setText($('appt-error'), '');
  await Promise.all([form.refreshProviders(), loadAppointments()]);
});

// In the order of the day: the customer looks for their time.
function byTime(a, b) {
  return String(a.starts_at || '').localeCompare(String(b.starts_at || '')) || (a.slot || 0) - (b.slot || 0) || a.id - b.id;
}

async function loadAppointments() {
  try {
    const list = await apiFetch('GET', `/api/v1/appointments?shop_id=${SHOP}`);
    state.appointments = list.filter((a) => OPEN_APPOINTMENT.has(a.status)).sort(byTime);
  } catch (err) {
    state.appointments = [];
    setText($('appt-error'), err.status === 0 ? t('kiosk.appt.loadError') : t('kiosk.error.generic'));
  }
  renderAppointments();
}

function renderAppointments() {
  const needle = $('appt-filter').value.trim().toLowerCase();
  const rows = state.appointments.filter((a) => !needle
    || String(a.customer && a.customer.name || '').toLowerCase().includes(needle));
  syncList($('appt-list'), rows, (a) => a.id, (a) => {
    const btn = h('button', { type: 'button', on: { click: () => confirmAppt(a.id) } },
      h('span', { class: 'time' }), h('span', { class: 'name' }), h('span', { class: 'with' }));
    return h('li', null, btn);
  }, (node, a) => {
    const b = node.firstChild;
    setText(b.children[0], a.starts_at ? clockTime(a.starts_at) : (a.slot ? `#${a.slot}` : ''));
    setText(b.children[1], isolate(firstNameInitial(a.customer && a.customer.name)));
    const who = providerName(form.providers, a.provider_id);
    setText(b.children[2], who ? t('kiosk.appt.with', { provider: isolate(who) }) : '');
  });
  $('appt-empty').hidden = rows.length > 0 || !!$('appt-error').textContent;
  if (needle && !rows.length && state.appointments.length) {
    $('appt-empty').hidden = false;
    setText($('appt-empty'), t('kiosk.appt.noMatch'));
  } else {
    setText($('appt-empty'), t('kiosk.appt.empty'));
  }
}
$('appt-filter').addEventListener('input', renderAppointments);

function confirmAppt(id) {
  const a = state.appointments.find((x) => x.id === id);
  if (!a) return;
  state.chosenAppt = a;
  paintConfirm(a);
  setText($('confirm-error'), '');
  show('s-confirm');
}

function paintConfirm(a) {
  setText($('c-text'), isolate(firstNameInitial(a.customer && a.customer.name)));
  const time = a.starts_at ? clockTime(a.starts_at) : '';
  const provider = providerName(form.providers, a.provider_id);
  // One whole sentence per case: no pieces glued together.
  const key = time && provider ? 'kiosk.confirm.todayAtWith' : time ? 'kiosk.confirm.todayAt'
    : provider ? 'kiosk.confirm.todayWith' : 'kiosk.confirm.today';
  setText($('c-sub'), t(key, { time, provider: isolate(provider) }));
}

$('c-no').addEventListener('click', () => { show('s-appt'); loadAppointments(); });
$('c-yes').addEventListener('click', async () => {
  const a = state.chosenAppt;
  if (!a) return;
  const name = firstNameInitial(a.customer && a.customer.name);
  await form.submit(() => apiFetch('POST', '/api/v1/checkins', { appointment_id: a.id },
    { label: 'checkin', meta: { name } }), $('c-yes'), 'confirm-error', name);
});

// ------------------------------------------------------------ ticket

// The desk tablet shows the ticket and a QR code of the customer's own page for their
// phone; it never opens that page itself, or the next person at the desk could act on it.
function showTicket(entry) {
  state.ticket = entry;
  setText($('t-code'), entry.ticket);
  paintTicket(entry);
  clear($('t-qr'));
  if (entry.claim) {
    $('t-qr').appendChild(qrSvg(ticketUrl(entry.claim), { size: 220, label: t('kiosk.ticket.qrLabel') }));
    $('t-qr').parentElement.hidden = false;
  } else {
    $('t-qr').parentElement.hidden = true;
  }
  show('s-ticket');
  printStarted(entry);
  startCountdown('t-countdown', TICKET_BACK_S);
}

// The customer's phone page opens in the language of their visit when they picked one.
function ticketUrl(claim) {
  const url = `${location.origin}/t/${encodeURIComponent(claim)}`;
  return visitLanguage() ? `${url}?lang=${encodeURIComponent(visitLanguage())}` : url;
}

function paintTicket(entry) {
  const waiting = entry.status === 'CHECKED_IN';
  $('t-pos-box').hidden = !waiting || !entry.position_in_queue;
  $('t-wait-box').hidden = !waiting;
  $('t-called').hidden = waiting;
  paintTicketTexts(entry);
}

function paintTicketTexts(entry) {
  // The owner's "tickets only" mode sends no name back (SPEC §16): greet without one.
  const who = firstNameInitial(entry.full_name);
  setText($('t-hello'), who ? t('kiosk.ticket.hello', { name: isolate(who) }) : t('kiosk.ticket.helloNoName'));
  // Which service, while the shop has a choice of them (as the customer's phone says it).
  const services = servicesOf(state.queue);
  const service = services && choosable(services).length ? serviceName(services, entry.service_id) : null;
  $('t-service').hidden = !service;
  setText($('t-service'), service ? t('ticket.service', { service: isolate(service) }) : '');
  setText($('t-pos'), entry.position_in_queue ? ordinal(entry.position_in_queue) : '');
  setText($('t-wait'), customerWait(entry.estimated_wait_minutes, entry.estimated_wait_range));
  // A checked-in appointment: what its place in line means for this customer.
  const placement = placementSentence(entry, state.chosenAppt);
  $('t-placement').hidden = !placement;
  setText($('t-placement'), placement);
  setText($('t-called'), entry.status === 'CALLED' ? t('kiosk.ticket.called')
    : entry.status === 'IN_SERVICE' ? t('kiosk.ticket.inService') : '');
  const svg = $('t-qr').querySelector('svg');
  if (svg) svg.setAttribute('aria-label', t('kiosk.ticket.qrLabel'));
}

function refreshTicketFromQueue() {
  const mine = (state.queue.queue_items || []).find((e) => e.id === state.ticket.id);
  if (!mine) return;
  state.ticket = { ...state.ticket, ...mine, full_name: state.ticket.full_name };
  paintTicket(state.ticket);
}

$('t-done').addEventListener('click', reset);
$('p-done').addEventListener('click', reset);

function showPending(id, name) {
  state.pendingId = id;
  setText($('p-name'), isolate(name));
  show('s-pending');
  startCountdown('p-countdown', TICKET_BACK_S);
}

// A join saved while offline went through: if its screen is still up, show the ticket.
onOutbox((ev) => {
  if (ev.type === 'sent' && ev.item.id === state.pendingId && current === 's-pending') {
    showTicket(ev.data);
  } else if (ev.type === 'sent' && (ev.item.label === 'join' || ev.item.label === 'checkin')) {
    const name = ev.item.meta && ev.item.meta.name;
    const ticket = ev.data && ev.data.ticket;
    const key = name && ticket ? 'kiosk.saved.sentNameTicket' : name ? 'kiosk.saved.sentName'
      : ticket ? 'kiosk.saved.sentTicket' : 'kiosk.saved.sent';
    toast(t(key, { name: isolate(name), ticket }), 'success');
  } else if (ev.type === 'failed') {
    toast(t('kiosk.saved.failed'), 'error');
  }
});

// ------------------------------------------------------------ pairing this tablet

const typed = [];
let redeeming = false;
let pairSay = null;

function joinUrl() {
  return `${location.origin}/join${SHOP === 1 ? '' : `?shop=${SHOP}`}`;
}

function paintPairing() {
  const digits = $('pair-digits').children;
  for (let i = 0; i < digits.length; i += 1) {
    setText(digits[i], typed[i] || '');
    digits[i].classList.toggle('filled', i < typed.length);
  }
  setText($('pair-error'), pairSay ? pairSay() : '');
  const url = joinUrl();
  setText($('pair-join-link'), url.replace(/^https?:\/\//, ''));
  $('pair-join-link').href = url;
  $('pair-join-qr').replaceChildren(qrSvg(url, { size: 200, label: t('kiosk.pair.qrLabel') }));
}

function press(key) {
  if (redeeming) return;
  if (key === 'clear') typed.length = 0;
  else if (key === 'back') typed.pop();
  else if (typed.length < CODE_DIGITS) typed.push(key);
  pairSay = null;
  paintPairing();
  if (typed.length === CODE_DIGITS) redeem(typed.join(''));
}

async function redeem(code) {
  redeeming = true;
  $('pair-keypad').classList.add('busy');
  try {
    const device = await apiFetch('POST', '/api/v1/pairing/redeem', { code }, { outbox: false, token: null });
    // The device cookie is this tablet's credential now; a stored token the server
    // refused would otherwise be sent instead of it.
    setToken(null);
    if (device.role !== 'kiosk') { location.assign(`/${device.role}${location.search}`); return; }
    // The socket opened before pairing spoke as nobody: open it again as this device.
    live.stop();
    live.start();
    becomeKiosk();
  } catch (err) {
    typed.length = 0;
    const wait = err.details && err.details.retry_after_s;
    pairSay = err.status === 429 ? () => t('kiosk.pair.tooMany', { count: wait || 30 })
      : err.status === 404 ? () => t('kiosk.pair.wrong') : () => t('kiosk.error.generic');
    paintPairing();
  } finally {
    redeeming = false;
    $('pair-keypad').classList.remove('busy');
  }
}

for (const key of $('pair-keypad').querySelectorAll('[data-digit]')) {
  key.addEventListener('click', () => press(key.dataset.digit));
}
$('pair-clear').addEventListener('click', () => press('clear'));
$('pair-back').addEventListener('click', () => press('back'));
document.addEventListener('keydown', (ev) => {
  if (current !== 's-pair') return;
  if (/^[0-9]$/.test(ev.key)) press(ev.key);
  else if (ev.key === 'Backspace') press('back');
  else if (ev.key === 'Escape') press('clear');
});

// ------------------------------------------------------------ start

// A tablet that starts while the appliance is out of reach asks again, rather than
// showing a paired tablet the pairing screen.
async function whoIsThis() {
  for (let wait = 1000; ; wait = Math.min(wait * 2, 10000)) {
    try { return await whoAmI(); } catch { await new Promise((r) => { setTimeout(r, wait); }); }
  }
}

function becomeKiosk() {
  document.documentElement.dataset.paired = 'yes';
  form.refreshProviders();
  show(startScreen());
}

const me = await whoIsThis();
if (atLeast(me.role, 'kiosk')) {
  becomeKiosk();
} else {
  document.documentElement.dataset.paired = 'no';
  paintPairing();
  show('s-pair');
}
