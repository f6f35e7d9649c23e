// Queue Kiosk — Kiosk page (/kiosk): the check-in tablet (join the queue, check in an appointment).
import { LiveSocket } from '/lib/live.js';
import { apiFetch, getToken, onOutbox, shopId } from '/lib/api.js';
import { $, h, setText, clear, syncList, firstNameInitial, waitText, clockTime, ordinal, toast } from '/lib/ui.js';
import { qrSvg } from '/lib/qr.js';
import { loadProviders, providerName } from '/lib/providers.js';
import { atLeast, whoAmI } from '/lib/auth.js';
import { LANGUAGES, direction, language, onChange, startForShop, supported, t, use } from '/lib/i18n.js';

// A name or a provider in a right-to-left page is isolated (U+2068 … U+2069), so that
// "John D." keeps its full stop at its end and never pulls the sentence around it.
const isolate = (text) => (text && direction() === 'rtl' ? `\u2068${text}\u2069` : text);

// Every text on this page comes from the shop's language catalog (SPEC §14).
// `home` is the language the kiosk returns to for the next customer: the shop's (or a
// ?lang= given to this tablet); a customer's own choice lasts for their visit only.
let home = await startForShop(shopId());
let visitLanguage = null;   // the language this customer picked, for this visit

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
  $('join-form').reset();
  showError('join-error', null);
  setText($('appt-error'), '');
  setText($('confirm-error'), '');
  $('appt-filter').value = '';
  state.ticket = null; state.pendingId = null; state.chosenAppt = null;
  chooseProvider(null);
  clear($('t-qr'));
  show('s-start');
  // The next customer starts in the shop's language.
  visitLanguage = null;
  if (language() !== home) use(home);
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
  followShopLanguage(q.language);
  paintLine();
  if (state.ticket) refreshTicketFromQueue();
}

function paintLine() {
  const q = state.queue;
  if (!q) return;
  if (q.shop_name) { setText($('shop-name'), q.shop_name); document.title = t('kiosk.titleShop', { shop: q.shop_name }); }
  const waiting = (q.queue_items || []).filter((e) => e.status === 'CHECKED_IN');
  if (!waiting.length) { setText($('line-info'), t('kiosk.line.none')); return; }
  const last = waiting.reduce((a, b) => ((b.position_in_queue || 0) > (a.position_in_queue || 0) ? b : a));
  setText($('line-info'), t('kiosk.line.waiting', { count: waiting.length, wait: waitText(last.estimated_wait_minutes) }));
}

// The owner changed the shop's language (/admin): the kiosk follows at once, unless a
// customer is in the middle of a visit in a language they picked.
function followShopLanguage(lang) {
  if (!supported(lang) || new URLSearchParams(location.search).has('lang') || lang === home) return;
  home = lang;
  if (visitLanguage === null && language() !== home) use(home);
}

// ------------------------------------------------------------ language, per visit

function renderLanguages() {
  const nav = $('languages');
  syncList(nav, Object.entries(LANGUAGES), ([code]) => code, ([code, name]) => h('button', {
    class: 'lang', type: 'button', text: name,
    attrs: { lang: code, 'data-lang': code },
    on: { click: () => chooseLanguage(code) },
  }), (node, [code]) => node.setAttribute('aria-pressed', String(code === language())));
}

function chooseLanguage(code) {
  visitLanguage = code === home ? null : code;
  if (code !== language()) use(code);
}

onChange(() => {
  renderLanguages();
  paintLine();
  if (state.providers) renderProviders();
  if (current === 's-appt' || current === 's-confirm') renderAppointments();
  if (current === 's-confirm' && state.chosenAppt) paintConfirm(state.chosenAppt);
  if (state.ticket && current === 's-ticket') paintTicketTexts(state.ticket);
  if (errorState.join) setText($('join-error'), errorState.join());
});


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
  const list = [{ id: null, name: t('kiosk.join.anyone') }, ...state.providers.filter((p) => p.active !== false)];
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
  if (!name) { showError('join-error', () => t('kiosk.error.nameMissing')); $('j-name').focus(); return; }
  showError('join-error', null);
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
    showError(errorId, () => friendlyError(err));
  } finally {
    state.busy = false;
    button.disabled = false;
  }
}

// An error line keeps how to say it, so a switch of language redraws it too. The API's
// own messages stay English (SPEC §14): the page says it in its own words.
const errorState = {};
function showError(id, say) {
  if (id === 'join-error') errorState.join = say;
  setText($(id), say ? say() : '');
}

function friendlyError(err) {
  if (!err || !err.status) return t('kiosk.error.generic');
  if (err.status === 429) return t('kiosk.error.tooMany');
  if (err.status === 401 || err.status === 403) return t('kiosk.error.off');
  if (err.status === 409) return t('kiosk.error.already');
  if (err.status === 422) {
    const f = err.details && err.details.field;
    if (f === 'full_name') return t('kiosk.error.name', { count: 100 });
    if (f === 'phone') return t('kiosk.error.phone');
  }
  return t('kiosk.error.generic');
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
    setText($('appt-error'), err.status === 0 ? t('kiosk.appt.loadError') : friendlyError(err));
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
    const who = providerName(state.providers, a.provider_id);
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
  const provider = providerName(state.providers, a.provider_id);
  // One whole sentence per case: no pieces glued together.
  const key = time && provider ? 'kiosk.confirm.todayAtWith' : time ? 'kiosk.confirm.todayAt'
    : provider ? 'kiosk.confirm.todayWith' : 'kiosk.confirm.today';
  setText($('c-sub'), t(key, { time, provider: isolate(provider) }));
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
    location.assign(ticketUrl(entry.claim));
    return;
  }
  state.ticket = entry;
  setText($('t-code'), entry.ticket);
  paintTicket(entry);
  clear($('t-qr'));
  if (entry.claim) {
    const url = ticketUrl(entry.claim);
    // On the desk tablet: a QR code for the customer's phone. On a phone (self
    // check-in): a link to the same page instead.
    const phone = window.matchMedia('(max-width: 700px)').matches;
    if (!phone) $('t-qr').appendChild(qrSvg(url, { size: 220, label: t('kiosk.ticket.qrLabel') }));
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

// The customer's phone page opens in the language of their visit when they picked one.
function ticketUrl(claim) {
  const url = `${location.origin}/t/${encodeURIComponent(claim)}`;
  return visitLanguage ? `${url}?lang=${encodeURIComponent(visitLanguage)}` : url;
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
  setText($('t-pos'), entry.position_in_queue ? ordinal(entry.position_in_queue) : '');
  setText($('t-wait'), waitText(entry.estimated_wait_minutes));
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

// ------------------------------------------------------------ start

if (!HAS_TOKEN) {
  // A customer's own phone: appointment check-in needs the desk tablet.
  $('go-appt').hidden = true;
  $('choices').classList.add('single');
}
renderLanguages();
refreshProviders();
show('s-start');
