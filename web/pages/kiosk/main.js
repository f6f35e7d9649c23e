// Queue Kiosk — Kiosk page (/kiosk): the check-in tablet (join the queue, check in an appointment).
import { LiveSocket } from '/lib/live.js';
import { apiFetch, getToken, onOutbox, shopId } from '/lib/api.js';
import { $, h, setText, clear, syncList, firstNameInitial, waitText, clockTime, ordinal, toast } from '/lib/ui.js';
import { qrSvg } from '/lib/qr.js';
import { loadProviders, providerName } from '/lib/providers.js';
import { atLeast, whoAmI } from '/lib/auth.js';
import { startForShop } from '/lib/i18n.js';
import { shopId as languageShop } from '/lib/api.js';

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

const SHOP = shopId();
// The desk tablet (a kiosk token, or paired by cookie from /admin) vs a customer's own
// phone (nobody: self check-in). Unreachable server: trust a stored token, if any.
const ME = await whoAmI().catch(() => null);
const HAS_TOKEN = ME ? atLeast(ME.role, 'kiosk') : !!getToken();
const TICKET_BACK_S = 20;     // the ticket screen returns to the start by itself
const IDLE_BACK_S = 75;       // a half-filled form is abandoned after this

const state = { providers: [], appointments: [], queue: null, lastSeq: -1, ticket: null,
                pendingId: null, chosenProvider: null, chosenAppt: null, busy: false };

// ------------------------------------------------------------ screens + idle timer

let current = 's-start';
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
  if (current === 's-start' || current === 's-ticket' || current === 's-pending') return;
  idleTimer = setTimeout(reset, IDLE_BACK_S * 1000);
}

function startCountdown(labelId, seconds) {
  let left = seconds;
  const label = $(labelId);
  const paint = () => setText(label, `Back to the start in ${left} s`);
  paint();
  clearInterval(countdown);
  countdown = setInterval(() => {
    left -= 1;
    if (left <= 0) { reset(); return; }
    paint();
  }, 1000);
}

function reset() {
  $('join-form').reset();
  setText($('join-error'), '');
  setText($('appt-error'), '');
  setText($('confirm-error'), '');
  $('appt-filter').value = '';
  state.ticket = null; state.pendingId = null; state.chosenAppt = null;
  chooseProvider(null);
  clear($('t-qr'));
  show('s-start');
}

for (const ev of ['pointerdown', 'keydown', 'input']) document.addEventListener(ev, armIdle, { passive: true });
for (const b of document.querySelectorAll('[data-back]')) b.addEventListener('click', reset);

// ------------------------------------------------------------ line info (live)

function onQueue(q) {
  if (!q || q.type !== 'queue_update') return;
  if (typeof q.seq === 'number' && q.seq < state.lastSeq) return;
  if (typeof q.seq === 'number') state.lastSeq = q.seq;
  state.queue = q;
  document.documentElement.dataset.seq = String(state.lastSeq);
  if (q.shop_name) { setText($('shop-name'), q.shop_name); document.title = `Check in — ${q.shop_name}`; }
  const waiting = (q.queue_items || []).filter((e) => e.status === 'CHECKED_IN');
  const info = $('line-info');
  clear(info);
  if (!waiting.length) info.append('No wait right now');
  else {
    const last = waiting.reduce((a, b) => ((b.position_in_queue || 0) > (a.position_in_queue || 0) ? b : a));
    info.append(h('strong', { text: String(waiting.length) }), waiting.length === 1 ? ' person waiting' : ' people waiting',
      ' · ', waitText(last.estimated_wait_minutes));
  }
  if (state.ticket) refreshTicketFromQueue();
}

new LiveSocket({
  url: `/ws/queue/${SHOP}/`,
  onMessage: onQueue,
  poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: onQueue },
}).start();

// ------------------------------------------------------------ join

async function refreshProviders() {
  try {
    state.providers = await loadProviders(SHOP);
  } catch { state.providers = []; }
  renderProviders();
}

function renderProviders() {
  const box = $('j-providers');
  const list = [{ id: null, name: 'Anyone' }, ...state.providers.filter((p) => p.active !== false)];
  $('j-prov-box').hidden = state.providers.length === 0;
  syncList(box, list, (p) => String(p.id), (p) => h('button', {
    class: 'prov', type: 'button', on: { click: () => chooseProvider(p.id) },
  }), (node, p) => {
    setText(node, p.name);
    node.setAttribute('aria-pressed', String(p.id === state.chosenProvider));
  });
}

function chooseProvider(id) {
  state.chosenProvider = id;
  for (const b of $('j-providers').children) b.setAttribute('aria-pressed', 'false');
  renderProviders();
}

$('go-join').addEventListener('click', () => { show('s-join'); refreshProviders(); $('j-name').focus(); });

$('join-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (state.busy) return;
  const name = $('j-name').value.trim().replace(/\s+/g, ' ');
  const phone = $('j-phone').value.trim();
  if (!name) { setText($('join-error'), 'Please type your name.'); $('j-name').focus(); return; }
  setText($('join-error'), '');
  const body = { full_name: name };
  if (phone) body.phone = phone;
  if (state.chosenProvider !== null) body.provider_id = state.chosenProvider;
  await submit(() => apiFetch('POST', `/api/v1/shops/${SHOP}/queue`, body, { label: 'join', meta: { name } }),
    $('j-submit'), 'join-error', name);
});

async function submit(call, button, errorId, name) {
  state.busy = true;
  button.disabled = true;
  try {
    const result = await call();
    if (result && result.queued) { showPending(result.id, name); return; }
    showTicket(result);
  } catch (err) {
    setText($(errorId), friendlyError(err));
  } finally {
    state.busy = false;
    button.disabled = false;
  }
}

function friendlyError(err) {
  if (!err || !err.status) return 'Something went wrong. Please ask at the desk.';
  if (err.status === 429) return 'Too many check-ins from this device just now. Please ask at the desk.';
  if (err.status === 401 || err.status === 403) return err.message || 'Check-in from here is switched off. Please ask at the desk.';
  if (err.status === 409) return err.message || 'This was already checked in.';
  if (err.status === 422) {
    const f = err.details && err.details.field;
    if (f === 'full_name') return 'Please check your name (up to 100 letters).';
    if (f === 'phone') return 'Please check the phone number.';
  }
  return err.message || 'Something went wrong. Please ask at the desk.';
}

// ------------------------------------------------------------ appointments

$('go-appt').addEventListener('click', async () => {
  show('s-appt');
  setText($('appt-error'), '');
  await Promise.all([refreshProviders(), loadAppointments()]);
});

async function loadAppointments() {
  try {
    const list = await apiFetch('GET', `/api/v1/appointments?shop_id=${SHOP}`);
    state.appointments = list.filter((a) => a.status === 'scheduled' || a.status === 'confirmed');
  } catch (err) {
    state.appointments = [];
    setText($('appt-error'), err.status === 0 ? 'Cannot load appointments right now. Please join the queue or ask at the desk.'
      : friendlyError(err));
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
    setText(b.children[1], firstNameInitial(a.customer && a.customer.name));
    const who = providerName(state.providers, a.provider_id);
    setText(b.children[2], who ? `with ${who}` : '');
  });
  $('appt-empty').hidden = rows.length > 0 || !!$('appt-error').textContent;
  if (needle && !rows.length && state.appointments.length) {
    $('appt-empty').hidden = false;
    setText($('appt-empty'), 'No appointment under that name. Please check the spelling or ask at the desk.');
  } else {
    setText($('appt-empty'), 'No appointments left to check in today. Please join the queue or ask at the desk.');
  }
}
$('appt-filter').addEventListener('input', renderAppointments);

function confirmAppt(id) {
  const a = state.appointments.find((x) => x.id === id);
  if (!a) return;
  state.chosenAppt = a;
  setText($('c-text'), firstNameInitial(a.customer && a.customer.name));
  const bits = [];
  if (a.starts_at) bits.push(`at ${clockTime(a.starts_at)}`);
  const who = providerName(state.providers, a.provider_id);
  if (who) bits.push(`with ${who}`);
  setText($('c-sub'), bits.length ? `Appointment today ${bits.join(' ')}` : 'Appointment today');
  setText($('confirm-error'), '');
  show('s-confirm');
}

$('c-no').addEventListener('click', () => { show('s-appt'); loadAppointments(); });
$('c-yes').addEventListener('click', async () => {
  const a = state.chosenAppt;
  if (!a) return;
  await submit(() => apiFetch('POST', '/api/v1/checkins', { appointment_id: a.id },
    { label: 'checkin', meta: { name: firstNameInitial(a.customer && a.customer.name) } }),
  $('c-yes'), 'confirm-error', firstNameInitial(a.customer && a.customer.name));
});

// ------------------------------------------------------------ ticket

function showTicket(entry) {
  if (!HAS_TOKEN && entry.claim) {
    // A customer's own phone (self check-in): that phone becomes the ticket page,
    // rather than a screen that resets itself after 20 s.
    location.assign(`/t/${encodeURIComponent(entry.claim)}`);
    return;
  }
  state.ticket = entry;
  setText($('t-code'), entry.ticket);
  // The owner's "tickets only" mode sends no name back (SPEC §16): greet without one.
  const who = firstNameInitial(entry.full_name);
  setText($('t-hello'), who ? `You're in, ${who}!` : "You're in!");
  paintTicket(entry);
  clear($('t-qr'));
  if (entry.claim) {
    const url = `${location.origin}/t/${encodeURIComponent(entry.claim)}`;
    // On the desk tablet: a QR code for the customer's phone. On a phone (self
    // check-in): a link to the same page instead.
    const phone = window.matchMedia('(max-width: 700px)').matches;
    if (!phone) $('t-qr').appendChild(qrSvg(url, { size: 220, label: 'QR code of your ticket page' }));
    $('t-qr-hint').hidden = phone;
    $('t-link').hidden = !phone;
    $('t-link').href = url;
    $('t-qr').parentElement.hidden = false;
  } else {
    $('t-qr').parentElement.hidden = true;
  }
  show('s-ticket');
  startCountdown('t-countdown', TICKET_BACK_S);
}

function paintTicket(entry) {
  const waiting = entry.status === 'CHECKED_IN';
  $('t-pos-box').hidden = !waiting || !entry.position_in_queue;
  $('t-wait-box').hidden = !waiting;
  setText($('t-pos'), entry.position_in_queue ? ordinal(entry.position_in_queue) : '');
  setText($('t-wait'), waitText(entry.estimated_wait_minutes));
  $('t-called').hidden = waiting;
  setText($('t-called'), entry.status === 'CALLED' ? "It's your turn — please come up!"
    : entry.status === 'IN_SERVICE' ? 'Please come right in.' : '');
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
  setText($('p-name'), name);
  show('s-pending');
  startCountdown('p-countdown', TICKET_BACK_S);
}

// A join saved while offline went through: if its screen is still up, show the ticket.
onOutbox((ev) => {
  if (ev.type === 'sent' && ev.item.id === state.pendingId && current === 's-pending') {
    showTicket(ev.data);
  } else if (ev.type === 'sent' && (ev.item.label === 'join' || ev.item.label === 'checkin')) {
    toast(`${ev.data && ev.data.ticket ? ev.data.ticket + ' — ' : ''}${(ev.item.meta && ev.item.meta.name) || 'A saved check-in'} is now in the queue.`, 'success');
  } else if (ev.type === 'failed') {
    toast(`A saved check-in could not be completed: ${ev.error.message}`, 'error');
  }
});

// ------------------------------------------------------------ start

if (!HAS_TOKEN) {
  // A customer's own phone: appointment check-in needs the desk tablet.
  $('go-appt').hidden = true;
  $('choices').classList.add('single');
}
refreshProviders();
show('s-start');
