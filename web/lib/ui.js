// Queue Kiosk — small shared UI helpers. Everything here renders text as TEXT
// (textContent / text nodes), never as HTML: whatever a customer typed stays inert.
//
//   import { $, h, setText, toast, syncList, statusIndicator, ... } from '/lib/ui.js';
//
// $(id) -> Element | null      document.getElementById(id).
// h(tag, props?, ...children) -> Element
//   props: {class, text, dataset: {}, style: {}, attrs: {name: value}, hidden,
//           on: {click: fn, ...}, any other key is set as a property (e.g. type, value,
//           disabled, href)}; children: Node | string | number | null | array (strings
//           become text nodes). There is deliberately no innerHTML option.
// setText(el, text)           set textContent only when it changed (no layout churn).
// clear(el)                   remove every child.
// syncList(container, items, keyOf, create, update)
//   Keyed DOM reuse for long-running screens: one node per key, created once by
//   create(item) and refreshed by update(node, item); nodes of vanished keys are removed;
//   order follows `items`, moving only nodes that are out of place. No growth over time.
// toast(text, severity = 'info', {timeoutMs = 5000}) -> Element
//   severity: info | success | warning | error. At most 5 on screen (oldest dropped).
// statusIndicator  (used by LiveSocket for you): a small pill, top-right,
//   `#qk-status[data-status]` = connecting | reconnecting | offline | error; hidden when
//   connected. The yellow `#qk-banner` says the live link is down and the page is
//   polling. Both reflect every LiveSocket on the page (worst status wins).
// Formatting: spokenTicket('A012') -> 'A 12'; waitText(min) -> 'about 15 min'
//   (waitText(min, {short: true}) -> '~15 min');
//   firstNameInitial('John Michael Doe') -> 'John D.', ('李小龙') -> '李**'; clockTime(iso) -> '09:30'.

import { formatTime, ordinal, t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

export function h(tag, props = null, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = String(value);
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key === 'style') Object.assign(el.style, value);
      else if (key === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== null && v !== undefined && v !== false) el.setAttribute(a, v === true ? '' : String(v)); }
      else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
      else if (key === 'innerHTML' || key === 'outerHTML') throw new Error('h(): no HTML, use text');
      else el[key] = value;
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function setText(el, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== value) el.textContent = value;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

const listState = new WeakMap();

export function syncList(container, items, keyOf, create, update) {
  let nodes = listState.get(container);
  if (!nodes) { nodes = new Map(); listState.set(container, nodes); }
  const seen = new Set();
  let cursor = container.firstChild;
  for (const item of items) {
    const key = String(keyOf(item));
    if (seen.has(key)) continue;
    seen.add(key);
    let node = nodes.get(key);
    if (!node) { node = create(item); nodes.set(key, node); }
    update(node, item);
    if (node !== cursor) container.insertBefore(node, cursor);
    else cursor = cursor.nextSibling;
  }
  for (const [key, node] of nodes) {
    if (!seen.has(key)) { node.remove(); nodes.delete(key); }
  }
  // Anything else left after the keyed nodes (placeholders added by hand) stays put.
}

// ------------------------------------------------------------------ toasts

const TOAST_MAX = 5;
let toastBox = null;

export function toast(text, severity = 'info', { timeoutMs = 5000 } = {}) {
  if (!toastBox || !toastBox.isConnected) {
    toastBox = h('div', { id: 'qk-toasts', class: 'qk-toasts', attrs: { 'aria-live': 'polite' } });
    document.body.appendChild(toastBox);
  }
  const sev = ['info', 'success', 'warning', 'error'].includes(severity) ? severity : 'info';
  const item = h('div', { class: `qk-toast qk-toast-${sev}`, attrs: { role: sev === 'error' ? 'alert' : 'status' } },
    h('span', { class: 'qk-toast-text', text }),
    h('button', { class: 'qk-toast-close', type: 'button', attrs: { 'aria-label': t('common.dismiss') }, text: '×',
      on: { click: () => item.remove() } }));
  toastBox.appendChild(item);
  while (toastBox.childElementCount > TOAST_MAX) toastBox.firstElementChild.remove();
  if (timeoutMs > 0) setTimeout(() => item.remove(), timeoutMs);
  return item;
}

// ------------------------------------------------------------------ connection status

const STATUS_KEY = {
  connecting: 'common.status.connecting',
  reconnecting: 'common.status.reconnecting',
  offline: 'common.status.offline',
  error: 'common.status.error',
};
const RANK = { connected: 0, connecting: 1, reconnecting: 2, offline: 3, error: 4 };
const sockets = new Set();
let pill = null;
let banner = null;

function ensureStatusDom() {
  if (!pill || !pill.isConnected) {
    pill = h('div', { id: 'qk-status', class: 'qk-status', hidden: true, dataset: { status: 'connecting' },
      attrs: { role: 'status', 'aria-live': 'polite' } },
      h('span', { class: 'qk-status-dot' }), h('span', { class: 'qk-status-text' }));
    document.body.appendChild(pill);
  }
  if (!banner || !banner.isConnected) {
    banner = h('div', { id: 'qk-banner', class: 'qk-banner', hidden: true, attrs: { role: 'alert' } },
      h('strong', { dataset: { i18n: 'common.banner.down' }, text: t('common.banner.down') }),
      h('span', { class: 'qk-banner-text' }));
    document.body.prepend(banner);
  }
}

export const statusIndicator = {
  track(sock) { sockets.add(sock); this.refresh(); },
  untrack(sock) { sockets.delete(sock); this.refresh(); },
  refresh() {
    if (!document.body) return;
    ensureStatusDom();
    let worst = 'connected';
    let polling = null;
    for (const s of sockets) {
      if (RANK[s.status] > RANK[worst]) worst = s.status;
      if (s.polling) polling = s;
    }
    pill.dataset.status = worst;
    pill.hidden = worst === 'connected';
    setText(pill.querySelector('.qk-status-text'), STATUS_KEY[worst] ? t(STATUS_KEY[worst]) : worst);
    document.documentElement.dataset.live = worst;
    document.documentElement.dataset.polling = polling ? 'yes' : 'no';
    banner.hidden = !polling;
    if (polling) {
      const secs = Math.round((polling.pollEveryMs || 5000) / 1000);
      setText(banner.querySelector('.qk-banner-text'), ` ${t('common.banner.polling', { count: secs })}`);
    }
    // Keep the pill clear of the banner's text.
    pill.style.top = polling ? `${Math.round(banner.getBoundingClientRect().bottom) + 8}px` : '';
  },
};

// ------------------------------------------------------------------ formatting

export function spokenTicket(code) {
  const m = /^([A-Za-z]*)0*(\d+)$/.exec(String(code || '').trim());
  if (!m) return String(code || '');
  return m[1] ? `${m[1].toUpperCase()} ${Number(m[2])}` : String(Number(m[2]));
}

// Scripts written without spaces (SPEC §14): Chinese, Japanese, Korean, Thai; marks
// (a Thai vowel sign) belong to their letter. As the server's display_name.
const UNSPACED = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\u3005-\u3007\u30FC\u30FB\p{M}]+$/u;

export function firstNameInitial(name) {
  const words = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (words.length < 2) {
    const word = words[0] || '';
    // "李小龙" -> "李**": one word in a script without spaces keeps its first character.
    if (!UNSPACED.test(word) || /^\p{M}/u.test(word)) return word;
    const chars = Array.from(word);
    let first = 1;
    while (first < chars.length && /\p{M}/u.test(chars[first])) first += 1;
    const rest = chars.slice(first).filter((c) => !/\p{M}/u.test(c)).length;
    return rest ? chars.slice(0, first).join('') + '*'.repeat(rest) : word;
  }
  const last = words[words.length - 1];
  // Already redacted by the server ("John D.") stays as it is.
  if (/^\p{L}\.$/u.test(last)) return `${words[0]} ${last}`;
  return `${words[0]} ${Array.from(last)[0]}.`;  // as the server redacts (SPEC §8)
}

export function waitText(minutes, { short = false } = {}) {
  if (minutes === null || minutes === undefined) return t('common.wait.unknown');
  const m = Math.max(0, Math.round(Number(minutes)));
  if (m === 0) return t(short ? 'common.wait.now' : 'common.wait.anyMoment');
  const suffix = short ? 'Short' : '';
  if (m < 60) return t(`common.wait.minutes${suffix}`, { minutes: m });
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  return rest
    ? t(`common.wait.hoursMinutes${suffix}`, { hours, minutes: rest })
    : t(`common.wait.hours${suffix}`, { hours });
}

/** The shop-local clock reading of an ISO time, in the page language's style. */
export function clockTime(iso) {
  return iso ? formatTime(iso) : '';
}

export { ordinal };
