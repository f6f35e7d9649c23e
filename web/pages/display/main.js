// Queue Kiosk — Display page (/display): the TV in the waiting room.
import { LiveSocket } from '/lib/live.js';
import { param, shopId } from '/lib/api.js';
import { providerName } from '/lib/providers.js';
import { choosable, serviceName, servicesOf } from '/lib/services.js';
import { customerWait } from '/lib/waits.js';
import { learnClock, mountClock } from '/lib/clock.js';
import { followSelfCheckIn, loadJoinCode, paintJoinCode } from './join-code.js';
import { arrange, fitTexts } from './layout.js';
import { orderDesks, paintClosed, paintDuty } from './hours.js';
import { joinsClosed } from '/lib/hours.js';
import { $, h, setText, syncList, spokenTicket, firstNameInitial } from '/lib/ui.js';
import {
  LANGUAGES, direction, formatNumber, language, locale, onChange, startForShop, supported, t, use, useKind,
} from '/lib/i18n.js';

// A name or a provider in a right-to-left page is isolated (U+2068 … U+2069), so that
// "John D." keeps its full stop at its end and never pulls the sentence around it.
const isolate = (text) => (text && direction() === 'rtl' ? `\u2068${text}\u2069` : text);

// Every text on this page comes from the shop's language catalog (SPEC §14), and the
// call-out is spoken in it.
await startForShop(shopId());

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
  services: null,          // Map id -> service, when the shop has a choice of them (else null)
  lastSeq: -1,
  statuses: null,          // Map id -> status of the previous snapshot (null before the first)
  calledAgain: new Map(),  // Map id -> announced_at of the previous snapshot
  started: Date.now(),
  updates: 0,              // queue bodies rendered (a counter, for tests and curiosity)
};

// ------------------------------------------------------------ providers

// Every queue body carries the shop's providers (the active ones, and a deactivated one
// a ticket on screen still names), so one added, renamed or deactivated reaches the TV
// with the next update (SPEC §9).
function learnProviders(list) {
  if (!Array.isArray(list)) return;
  state.providers = new Map(list.map((p) => [p.id, p]));
}

// A shop with several services shows each waiting ticket's (SPEC §10); with one (or none)
// every row would say the same, so none does. Never priority: that is staff's to know.
function learnServices(body) {
  const all = servicesOf(body);
  state.services = all && choosable(all).length ? all : null;
}

// null for "anyone" (the screen then says "front desk").
function chairName(id) {
  return providerName(state.providers, id);
}

function nameOf(entry) {
  return namesShown() ? firstNameInitial(entry.full_name) : '';
}

// ------------------------------------------------------------ rendering

function makeDesk() {
  return h('div', { class: 'desk' },
    h('div', { class: 'desk-name' }),
    h('div', { class: 'desk-list' }),
    h('div', { class: 'desk-idle', text: t('display.available') }));
}

function makeServe() {
  return h('div', { class: 'serve' },
    h('span', { class: 'ticket' }), h('span', { class: 'who' }), h('span', { class: 'state' }));
}

function updateServe(node, entry, small) {
  node.dataset.status = entry.status;
  node.classList.toggle('small', small);
  setText(node.children[0], entry.ticket);
  setText(node.children[1], isolate(nameOf(entry)));
  setText(node.children[2], t(entry.status === 'CALLED' ? 'display.state.called' : 'display.state.inService'));
}

function updateDesk(node, desk) {
  setText(node.children[0], desk.name);
  const busy = desk.entries;
  node.classList.toggle('busy', busy.length > 0);
  node.classList.toggle('calling', busy.some((e) => e.status === 'CALLED'));
  node.children[2].hidden = busy.length > 0;
  paintDuty(node, desk);
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
  setText(node.children[1].children[0], isolate(nameOf(entry)) || t('display.position', { position: entry.position_in_queue }));
  const pref = chairName(entry.provider_id);
  const service = serviceName(state.services, entry.service_id);
  setText(node.children[1].children[1], service && pref ? t('display.serviceForProvider', { service: isolate(service), provider: isolate(pref) })
    : pref ? t('display.forProvider', { provider: isolate(pref) }) : isolate(service) || '');
  setText(node.children[2], customerWait(entry.estimated_wait_minutes, entry.estimated_wait_range));
}

function render(q) {
  state.last = q;
  setText($('shop-name'), q.shop_name || t('display.title'));
  const items = Array.isArray(q.queue_items) ? q.queue_items : [];
  const busy = items.filter((e) => e.status === 'CALLED' || e.status === 'IN_SERVICE');
  const waiting = items.filter((e) => e.status === 'CHECKED_IN')
    .sort((a, b) => (a.position_in_queue || 0) - (b.position_in_queue || 0));

  // One desk per active provider (in the shop's order), plus the desk for calls
  // that name no provider.
  const desks = [];
  const byProvider = new Map();
  for (const p of state.providers.values()) {
    if (!p.active) continue;  // a deactivated provider's tile goes; their busy chair below stays
    const d = { key: `p${p.id}`, name: p.name, entries: [], provider: p };
    desks.push(d); byProvider.set(p.id, d);
  }
  let front = null;
  for (const e of busy) {
    let d = e.provider_id != null ? byProvider.get(e.provider_id) : null;
    if (!d && e.provider_id != null) {
      d = { key: `p${e.provider_id}`, name: chairName(e.provider_id) || t('display.chair'), entries: [] };
      desks.push(d); byProvider.set(e.provider_id, d);
    }
    if (!d) {
      if (!front) { front = { key: 'front', name: t('display.frontDesk'), entries: [] }; desks.push(front); }
      d = front;
    }
    d.entries.push(e);
  }
  if (!desks.length) desks.push({ key: 'front', name: t('display.frontDesk'), entries: [] });
  for (const d of desks) d.entries.sort((a, b) => (a.status === 'CALLED' ? 0 : 1) - (b.status === 'CALLED' ? 0 : 1)
    || String(b.called_at || '').localeCompare(String(a.called_at || '')));
  arrange(desks.length);
  syncList($('serving'), orderDesks(desks), (d) => d.key, makeDesk, updateDesk);

  syncList($('next'), waiting.slice(0, NEXT_ROWS), (e) => e.id, makeNext, updateNext);
  $('next-empty').hidden = waiting.length > 0;
  const more = waiting.length - NEXT_ROWS;
  $('next-more').hidden = more <= 0;
  setText($('next-more'), more > 0 ? t('display.more', { count: more }) : '');
  paintWaiting(waiting.length);
  const last = waiting[waiting.length - 1];
  const longest = last ? Math.max(last.estimated_wait_minutes || 0, (last.estimated_wait_range || [0, 0])[1] || 0) : 0;
  // "No wait right now" would invite people in while the door is shut: then it says nothing.
  setText($('wait-line'), !waiting.length ? (joinsClosed(q) ? '' : t('display.wait.none'))
    : longest > 0 ? t('display.wait.line', { wait: customerWait(last.estimated_wait_minutes, last.estimated_wait_range) })
      : t('display.wait.short'));
  paintClosed(q);
  fitTexts();
}

// "12 people waiting" as one sentence of the catalog, with its number in bold.
function paintWaiting(count) {
  const box = $('waiting');
  const text = t('display.waiting', { count });
  if (box.dataset.text === text) return;
  box.dataset.text = text;
  const number = formatNumber(count);
  const at = text.indexOf(number);
  const strong = h('strong', { id: 'waiting-count', text: number });
  box.replaceChildren(...(at < 0 ? [text] : [text.slice(0, at), strong, text.slice(at + number.length)]));
}

// ------------------------------------------------------------ calls: chime + voice

const announcements = [];   // bounded: at most MAX_PENDING waiting to be said
const MAX_PENDING = 5;
let speaking = false;
let callTimer = null;

// A call is a ticket that became CALLED since the last body; a call again (SPEC §9) is a
// CALLED ticket whose `announced_at` moved. Both are read from whole bodies, so a TV that
// missed the moment (a Wi-Fi drop, or polling) still calls when it catches up, unless
// that was long ago.
function detectCalls(q) {
  const items = Array.isArray(q.queue_items) ? q.queue_items : [];
  const next = new Map();
  const again = new Map();
  for (const e of items) {
    next.set(e.id, e.status);
    if (e.announced_at) again.set(e.id, e.announced_at);
  }
  const previous = state.statuses;
  const previousAgain = state.calledAgain;
  state.statuses = next;
  state.calledAgain = again;
  if (previous === null) return;  // first snapshot after loading: nothing "just happened"
  const now = Date.now();
  const recent = (at) => {
    const when = Date.parse(at || '');
    return !Number.isFinite(when) || now - when <= RECENT_CALL_MS;  // old news after a long outage
  };
  for (const e of items) {
    if (e.status !== 'CALLED') continue;
    const called = previous.get(e.id) !== 'CALLED' && recent(e.called_at);
    const calledAgain = !!e.announced_at && previousAgain.get(e.id) !== e.announced_at && recent(e.announced_at);
    if (called || calledAgain) announce(e);
  }
}

function stillCalled(id) {
  const s = state.statuses;
  return !s || s.get(id) === 'CALLED';
}

function announce(entry) {
  const where = chairName(entry.provider_id);
  const name = namesShown() ? firstNameInitial(entry.full_name) : '';
  showCall(entry, name, where);
  announcements.push({ id: entry.id, ticket: entry.ticket, name, where });
  while (announcements.length > MAX_PENDING) announcements.shift();
  if (!speaking) sayNext();
}

// The banner shows the newest call still on (SPEC §9): it ends when its ticket leaves
// CALLED (start, back to line, no-show, left, cancelled), or CALL_SHOW_MS after the call;
// an earlier call that is still on then shows again for the rest of its time.
const onScreen = [];   // calls shown, oldest first: { id, ticket, name, where, until }

function showCall(entry, name, where) {
  const i = onScreen.findIndex((c) => c.id === entry.id);
  if (i >= 0) onScreen.splice(i, 1);
  onScreen.push({ id: entry.id, ticket: entry.ticket, name, where, until: Date.now() + CALL_SHOW_MS });
  while (onScreen.length > MAX_PENDING) onScreen.shift();
  paintCall();
}

function paintCall() {
  const now = Date.now();
  for (let i = onScreen.length - 1; i >= 0; i -= 1) {
    if (onScreen[i].until <= now || !stillCalled(onScreen[i].id)) onScreen.splice(i, 1);
  }
  const box = $('call');
  const c = onScreen[onScreen.length - 1];
  clearTimeout(callTimer);
  if (!c) { box.hidden = true; delete box.dataset.id; return; }
  box.dataset.id = String(c.id);
  setText(box.children[0], c.ticket);
  setText(box.children[1], isolate(c.name));
  setText(box.children[2], t('display.call.where', { provider: isolate(c.where) || t('display.frontDesk') }));
  box.hidden = false;
  fitTexts();
  callTimer = setTimeout(paintCall, Math.max(0, c.until - now) + 20);
}

// A masked name ("李**") is never spoken: only its ticket (SPEC §14).
function speakable(name) {
  return !!name && !name.includes('*');
}

/** The call-out in the page's language: one whole template per case, the ticket read
 * as a letter and a number ("A 12"). */
function spokenText(a) {
  const name = speakable(a.name) ? a.name : '';
  const key = a.where
    ? (name ? 'display.callout.spokenName' : 'display.callout.spoken')
    : (name ? 'display.callout.spokenNameDesk' : 'display.callout.spokenDesk');
  return t(key, { ticket: spokenTicket(a.ticket), name, provider: a.where || '' });
}

// ------------------------------------------------------------ voices

const BASE = (tag) => String(tag || '').toLowerCase().replace('_', '-').split('-')[0];
// The region a shop of that language most likely speaks, when a browser has several.
const REGION = { pt: 'br', zh: 'cn', en: 'us', es: 'es', fr: 'fr', de: 'de', ar: 'sa' };

function allVoices() {
  try { return ('speechSynthesis' in window && window.speechSynthesis.getVoices()) || []; } catch { return []; }
}

/** This TV's voices for `lang`, best first: local (works offline) before online, then
 * the usual region. Never a voice of another language. */
function voicesFor(lang) {
  const score = (v) => (v.localService ? 2 : 0)
    + (String(v.lang || '').toLowerCase().replace('_', '-').split('-')[1] === REGION[lang] ? 1 : 0);
  return allVoices().filter((v) => BASE(v.lang) === lang)
    .map((v, i) => ({ v, i, s: score(v) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.v);
}

function speak(text, voice, onDone) {
  const u = new SpeechSynthesisUtterance(text);
  u.rate = 0.9;
  u.lang = voice.lang;
  try { u.voice = voice; } catch { /* not a SpeechSynthesisVoice: the lang alone picks it */ }
  document.documentElement.dataset.voice = voice.name || voice.lang;
  u.onend = onDone; u.onerror = onDone;
  window.speechSynthesis.speak(u);
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
    // No voice for the shop's language: the chime and the screen only, never the
    // text in another language's voice (SPEC §14).
    const voice = voicesFor(language())[0];
    if (!voice) { document.documentElement.dataset.voice = ''; setTimeout(finish, 1200); return; }
    // Speak once the chime has rung (≈1.2 s), whether or not 'ended' fires.
    setTimeout(() => {
      try {
        speak(spokenText(a), voice, finish);
        setTimeout(finish, 8000);  // engine stuck: never block the next call
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
        if (err && err.name === 'NotAllowedError') showSoundStrip();
        return false;
      });
    }
  } catch { /* no audio device */ }
  return Promise.resolve(false);
}

// The browser blocks sound until someone touches the screen once: a small strip says so
// (never an overlay: a call is always fully visible, SPEC §9).
function checkAutoplay() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    if (ctx.state === 'suspended') showSoundStrip();
    ctx.close();
  } catch { /* ignore */ }
}

function showSoundStrip() {
  if (!$('sound-on').hidden) return;
  $('sound-on').hidden = false;
  fitTexts();  // the header is narrower now: its hint shows only where it fits
}

// One tap turns sound on: on the strip's button, or anywhere on the screen.
function unlockSound() {
  if ($('sound-on').hidden) return;
  $('sound-on').hidden = true;
  chime.muted = true;
  const p = chime.play();
  const unmute = () => { chime.pause(); chime.currentTime = 0; chime.muted = false; };
  if (p && p.then) p.then(unmute, unmute); else unmute();
  if (voiceOn() && 'speechSynthesis' in window) {
    try { window.speechSynthesis.cancel(); } catch { /* ignore */ }
  }
}
$('sound-on-btn').addEventListener('click', unlockSound);
document.addEventListener('pointerdown', unlockSound);
document.addEventListener('keydown', unlockSound);

// How many "next up" rows fit: each row is 9.6vh; the panel keeps room for its title
// and the "+ N more" line.
function fitRows() {
  const panel = $('next-panel');
  const title = $('next-h');
  const free = panel.clientHeight - title.offsetHeight - 0.14 * innerHeight;
  const rows = innerWidth <= 700 ? 8 : Math.max(2, Math.floor(free / (0.096 * innerHeight)));
  if (rows !== NEXT_ROWS) { NEXT_ROWS = rows; if (state.last) render(state.last); }
}
addEventListener('resize', () => { fitRows(); fitTexts(); });

// ------------------------------------------------------------ long-run care

function tick() {
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
  followSelfCheckIn(q);
  if (typeof q.seq === 'number' && q.seq < state.lastSeq) return;  // an older body (poll vs socket)
  if (typeof q.seq === 'number') state.lastSeq = q.seq;
  // The owner changed the shop's language: the TV follows at once (a ?lang= stays).
  if (supported(q.language) && q.language !== language() && !param('lang', '')) use(q.language);
  useKind(q.kind);  // "Room" or "Counter" instead of "Chair", as the owner set the shop
  learnClock(q.timestamp);
  learnProviders(q.providers);
  learnServices(q);
  render(q);
  detectCalls(q);
  paintCall();
  state.updates += 1;
  document.documentElement.dataset.seq = String(state.lastSeq);
  document.documentElement.dataset.updates = String(state.updates);
}

const live = new LiveSocket({
  url: `/ws/queue/${SHOP}`,
  // A customer-facing screen: "Reconnecting…" at most, never technical words (SPEC §9).
  customer: true,
  onMessage: onQueue,
  poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: onQueue },
});

checkAutoplay();
fitRows();
mountClock($('clock'));
tick();
setInterval(tick, 10000);
live.start();
loadJoinCode(SHOP);
window.qkDisplay = { spokenText, state, voicesFor };

// ------------------------------------------------------------ /display?voices=1

// For the owner checking a TV (linked from /admin): the voices this browser offers for
// the shop's language, the local ones marked, and a sample to hear the call-out.
// "español", "Deutsch", "中文": the language's name as a sentence in that language says it.
function languageName(lang) {
  try { return new Intl.DisplayNames([locale()], { type: 'language' }).of(lang) || LANGUAGES[lang]; } catch { return LANGUAGES[lang]; }
}

function renderVoices() {
  const box = $('voices');
  if (box.hidden) return;
  const lang = language();
  const list = voicesFor(lang);
  const name = languageName(lang);
  setText($('voices-h'), t('display.voices.title', { language: name }));
  setText($('voices-hint'), t(list.length ? 'display.voices.hint' : 'display.voices.none', { language: name }));
  syncList($('voices-list'), list, (v) => v.voiceURI || v.name, () => h('li', null,
    h('span', { class: 'voice-name' }), h('span', { class: 'voice-lang' }), h('span', { class: 'voice-kind' })),
  (node, v) => {
    setText(node.children[0], v.name);
    setText(node.children[1], v.lang);
    node.dataset.local = v.localService ? 'yes' : 'no';
    setText(node.children[2], t(v.localService ? 'display.voices.local' : 'display.voices.online'));
  });
  $('voices-sample').disabled = !list.length;
}

function playSample() {
  $('sound-on').hidden = true;  // this tap lets the browser play sound, too
  const voice = voicesFor(language())[0];
  playChime().then(() => {
    if (!voice) return;
    setTimeout(() => {
      try {
        speak(spokenText({ ticket: 'A012', name: '', where: t('display.voices.sampleProvider') }), voice, () => {});
      } catch { /* no speech engine */ }
    }, 1200);
  });
}

if (param('voices', '') === '1') {
  $('voices').hidden = false;
  $('voices-sample').addEventListener('click', playSample);
  $('voices-close').addEventListener('click', () => { $('voices').hidden = true; });
  renderVoices();
}
if ('speechSynthesis' in window) {
  try { window.speechSynthesis.addEventListener('voiceschanged', renderVoices); } catch { /* old engine */ }
}

onChange(() => {
  if (state.last) render(state.last);
  renderVoices();
  paintJoinCode();
  paintCall();
});
