// Queue Kiosk — Display page (/display): the TV in the waiting room.
import { LiveSocket } from '/lib/live.js';
import { param, shopId } from '/lib/api.js';
import { loadProviders, providerName } from '/lib/providers.js';
import { $, h, setText, syncList, spokenTicket, firstNameInitial, waitText } from '/lib/ui.js';
import { startForShop } from '/lib/i18n.js';
import { shopId as languageShop } from '/lib/api.js';

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

const SHOP = shopId();
// The owner's display settings (/admin) arrive with every queue update; a URL switch
// (?names=off, ?voice=off) can still turn either off for one screen.
let ownerDisplay = { display_names: 'initial', display_voice: true };
const namesShown = () => param('names', 'on') !== 'off' && ownerDisplay.display_names !== 'ticket';
const voiceOn = () => param('voice', 'on') !== 'off' && ownerDisplay.display_voice !== false;
let NEXT_ROWS = 6;   // as many rows as fit the panel (fitRows)
const CALL_SHOW_MS = 12000;
const RECENT_CALL_MS = 3 * 60 * 1000;  // a call missed while offline is still announced this long after

const chime = $('chime');
const state = {
  providers: new Map(),    // id -> provider
  lastSeq: -1,
  statuses: null,          // Map id -> status of the previous snapshot (null before the first)
  lastProvidersFetch: 0,
  started: Date.now(),
  updates: 0,              // queue bodies rendered (a counter, for tests and curiosity)
};

// ------------------------------------------------------------ providers

async function refreshProviders(force = false) {
  const now = Date.now();
  if (!force && now - state.lastProvidersFetch < 30000) return;
  state.lastProvidersFetch = now;
  try {
    const list = await loadProviders(SHOP);
    const next = new Map();
    for (const p of list) next.set(p.id, p);
    state.providers = next;
    if (state.last) render(state.last);
  } catch { /* the next snapshot tries again */ }
}

// null for "anyone" and for a provider added since the last read (which starts a
// re-read, at most every 30 s): the screen then shows the ticket without a chair.
function chairName(id) {
  const name = providerName(state.providers, id);
  if (name === null && id !== null && id !== undefined) refreshProviders();
  return name;
}

function nameOf(entry) {
  return namesShown() ? firstNameInitial(entry.full_name) : '';
}

// ------------------------------------------------------------ rendering

function makeDesk() {
  return h('div', { class: 'desk' },
    h('div', { class: 'desk-name' }),
    h('div', { class: 'desk-list' }),
    h('div', { class: 'desk-idle', text: 'Available' }));
}

function makeServe() {
  return h('div', { class: 'serve' },
    h('span', { class: 'ticket' }), h('span', { class: 'who' }), h('span', { class: 'state' }));
}

function updateServe(node, entry, small) {
  node.dataset.status = entry.status;
  node.classList.toggle('small', small);
  setText(node.children[0], entry.ticket);
  setText(node.children[1], nameOf(entry));
  setText(node.children[2], entry.status === 'CALLED' ? 'Please come up' : 'In service');
}

function updateDesk(node, desk) {
  setText(node.children[0], desk.name);
  const busy = desk.entries;
  node.classList.toggle('busy', busy.length > 0);
  node.classList.toggle('calling', busy.some((e) => e.status === 'CALLED'));
  node.children[2].hidden = busy.length > 0;
  syncList(node.children[1], busy.slice(0, 3), (e) => e.id, makeServe,
    (n, e) => updateServe(n, e, busy.length > 1 && e.status !== 'CALLED'));
}

function makeNext() {
  return h('li', null,
    h('span', { class: 'ticket' }),
    h('span', { class: 'who' }, h('span', { class: 'name' }), h('span', { class: 'pref' })),
    h('span', { class: 'wait' }));
}

function updateNext(node, entry) {
  setText(node.children[0], entry.ticket);
  setText(node.children[1].children[0], nameOf(entry) || `#${entry.position_in_queue}`);
  const pref = chairName(entry.provider_id);
  setText(node.children[1].children[1], pref ? `for ${pref}` : '');
  setText(node.children[2], waitText(entry.estimated_wait_minutes));
}

function render(q) {
  state.last = q;
  setText($('shop-name'), q.shop_name || 'Now serving');
  const items = Array.isArray(q.queue_items) ? q.queue_items : [];
  const busy = items.filter((e) => e.status === 'CALLED' || e.status === 'IN_SERVICE');
  const waiting = items.filter((e) => e.status === 'CHECKED_IN')
    .sort((a, b) => (a.position_in_queue || 0) - (b.position_in_queue || 0));

  // One desk per active provider (in the shop's order), plus the desk for calls
  // that name no provider.
  const desks = [];
  const byProvider = new Map();
  for (const p of state.providers.values()) {
    const d = { key: `p${p.id}`, name: p.name, entries: [] };
    desks.push(d); byProvider.set(p.id, d);
  }
  let front = null;
  for (const e of busy) {
    let d = e.provider_id != null ? byProvider.get(e.provider_id) : null;
    if (!d && e.provider_id != null) {
      d = { key: `p${e.provider_id}`, name: chairName(e.provider_id) || 'Chair', entries: [] };
      desks.push(d); byProvider.set(e.provider_id, d);
    }
    if (!d) {
      if (!front) { front = { key: 'front', name: 'Front desk', entries: [] }; desks.push(front); }
      d = front;
    }
    d.entries.push(e);
  }
  if (!desks.length) desks.push({ key: 'front', name: 'Front desk', entries: [] });
  for (const d of desks) d.entries.sort((a, b) => (a.status === 'CALLED' ? 0 : 1) - (b.status === 'CALLED' ? 0 : 1)
    || String(b.called_at || '').localeCompare(String(a.called_at || '')));
  syncList($('serving'), desks, (d) => d.key, makeDesk, updateDesk);

  syncList($('next'), waiting.slice(0, NEXT_ROWS), (e) => e.id, makeNext, updateNext);
  $('next-empty').hidden = waiting.length > 0;
  const more = waiting.length - NEXT_ROWS;
  $('next-more').hidden = more <= 0;
  setText($('next-more'), more > 0 ? `+ ${more} more waiting` : '');
  setText($('waiting-count'), String(waiting.length));
  setText($('waiting-label'), waiting.length === 1 ? 'person waiting' : 'people waiting');
  const longest = waiting.length ? waiting[waiting.length - 1].estimated_wait_minutes : 0;
  setText($('wait-line'), !waiting.length ? 'No wait right now'
    : longest > 0 ? `Wait for new arrivals: ${waitText(longest)}` : 'Short wait right now');
}

// ------------------------------------------------------------ calls: chime + voice

const announcements = [];   // bounded: at most MAX_PENDING waiting to be said
const MAX_PENDING = 5;
let speaking = false;
let callTimer = null;

function detectCalls(q) {
  const items = Array.isArray(q.queue_items) ? q.queue_items : [];
  const next = new Map();
  for (const e of items) next.set(e.id, e.status);
  const previous = state.statuses;
  state.statuses = next;
  if (previous === null) return;  // first snapshot after loading: nothing "just happened"
  const now = Date.now();
  for (const e of items) {
    if (e.status !== 'CALLED' || previous.get(e.id) === 'CALLED') continue;
    const calledAt = Date.parse(e.called_at || '');
    if (Number.isFinite(calledAt) && now - calledAt > RECENT_CALL_MS) continue;  // old news after a long outage
    announce(e);
  }
}

function stillCalled(id) {
  const s = state.statuses;
  return !s || s.get(id) === 'CALLED';
}

function announce(entry) {
  const where = chairName(entry.provider_id);
  const name = namesShown() ? firstNameInitial(entry.full_name) : '';
  showCall(entry.ticket, name, where || 'Front desk');
  announcements.push({ id: entry.id, ticket: entry.ticket, name, where });
  while (announcements.length > MAX_PENDING) announcements.shift();
  if (!speaking) sayNext();
}

function showCall(ticket, name, where) {
  const box = $('call');
  setText(box.children[0], ticket);
  setText(box.children[1], name);
  setText(box.children[2], `→ ${where}`);
  box.hidden = false;
  clearTimeout(callTimer);
  callTimer = setTimeout(() => { box.hidden = true; }, CALL_SHOW_MS);
}

function spokenText(a) {
  const parts = [`Ticket ${spokenTicket(a.ticket)}`];
  if (a.name) parts.push(a.name);
  parts.push(a.where ? a.where : 'please come to the front desk');
  return parts.join(', ');
}

function sayNext() {
  const a = announcements.shift();
  if (!a) { speaking = false; return; }
  if (!stillCalled(a.id)) { sayNext(); return; }
  speaking = true;
  let done = false;
  const finish = () => { if (!done) { done = true; setTimeout(sayNext, 400); } };
  playChime().then(() => {
    if (!voiceOn() || !('speechSynthesis' in window)) { setTimeout(finish, 1200); return; }
    // Speak once the chime has rung (≈1.2 s), whether or not 'ended' fires.
    setTimeout(() => {
      try {
        const u = new SpeechSynthesisUtterance(spokenText(a));
        u.rate = 0.9;
        u.lang = document.documentElement.lang || 'en';
        u.onend = finish; u.onerror = finish;
        window.speechSynthesis.speak(u);
        setTimeout(finish, 8000);  // no voices / engine stuck: never block the next call
      } catch { finish(); }
    }, 1200);
  });
}

function playChime() {
  try {
    chime.currentTime = 0;
    const p = chime.play();
    if (p && p.catch) {
      return p.then(() => true, (err) => {
        if (err && err.name === 'NotAllowedError') $('sound-on').hidden = false;
        return false;
      });
    }
  } catch { /* no audio device */ }
  return Promise.resolve(false);
}

// The browser blocks sound until someone touches the screen once.
function checkAutoplay() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    if (ctx.state === 'suspended') $('sound-on').hidden = false;
    ctx.close();
  } catch { /* ignore */ }
}

$('sound-on-btn').addEventListener('click', () => {
  $('sound-on').hidden = true;
  chime.muted = true;
  const p = chime.play();
  const unmute = () => { chime.pause(); chime.currentTime = 0; chime.muted = false; };
  if (p && p.then) p.then(unmute, unmute); else unmute();
  if (voiceOn() && 'speechSynthesis' in window) {
    try { window.speechSynthesis.cancel(); } catch { /* ignore */ }
  }
});

// How many "next up" rows fit: each row is 9.6vh; the panel keeps room for its title
// and the "+ N more" line.
function fitRows() {
  const panel = $('next-panel');
  const title = $('next-h');
  const free = panel.clientHeight - title.offsetHeight - 0.14 * innerHeight;
  const rows = innerWidth <= 700 ? 8 : Math.max(2, Math.floor(free / (0.096 * innerHeight)));
  if (rows !== NEXT_ROWS) { NEXT_ROWS = rows; if (state.last) render(state.last); }
}
addEventListener('resize', fitRows);

// ------------------------------------------------------------ clock, long-run care

function tick() {
  const d = new Date();
  setText($('clock'), d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  // Weeks on the wall: reload once a day when nothing is going on, to pick up a new
  // version and start from a clean page.
  if (Date.now() - state.started > 24 * 3600 * 1000 && live.connected && state.last
      && (state.last.queue_items || []).length === 0) {
    location.reload();
  }
}

// ------------------------------------------------------------ live data

function onQueue(q) {
  if (!q || q.type !== 'queue_update') return;
  if (q.display) ownerDisplay = q.display;
  if (typeof q.seq === 'number' && q.seq < state.lastSeq) return;  // an older body (poll vs socket)
  if (typeof q.seq === 'number') state.lastSeq = q.seq;
  render(q);
  detectCalls(q);
  state.updates += 1;
  document.documentElement.dataset.seq = String(state.lastSeq);
  document.documentElement.dataset.updates = String(state.updates);
}

const live = new LiveSocket({
  url: `/ws/queue/${SHOP}`,
  onMessage: onQueue,
  poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: onQueue },
});

checkAutoplay();
fitRows();
tick();
setInterval(tick, 10000);
setInterval(() => refreshProviders(true), 10 * 60 * 1000);
refreshProviders(true).finally(() => live.start());
window.qkDisplay = { spokenText, state };
