// Queue Kiosk — the page's language (SPEC §14): one catalog per language at
// /i18n/{lang}.json with the same keys in each, plural rules, numbers, dates and times
// from the browser's Intl. No text a person reads is written in a page or a script.
//
//   await start({ shop })     picks the language (?lang= for a test or a support call,
//                             else the shop's `language`, else English), loads its
//                             catalog with English under it for a key not yet
//                             translated, sets <html lang dir>, and fills the page.
//   await use(lang)           switches (the kiosk's per-visit switch), then calls every
//                             onChange listener so pages redraw their own text.
//   t(key, params)            the text. "{name}" placeholders are filled from params
//                             (numbers formatted for the language). A message that is an
//                             object {zero?, one, two?, few?, many?, other} is chosen by
//                             params.count with Intl.PluralRules.
//   translate(root)           fills [data-i18n] (text), [data-i18n-placeholder],
//                             [data-i18n-aria-label], [data-i18n-title] and
//                             [data-i18n-alt] under root.
//   language(), direction()   the current language and 'ltr' | 'rtl'.
//   startForShop(id)          start() with the shop's language, read from the API.
//   ordinal(n)                "1st" / "1.º" / "第1" by the language's ordinal rules.
//   formatTime(iso), formatDate(iso), formatNumber(n), formatList(items)
//   onChange(fn)              fn(lang) after every switch (of language or of kind).
//   useKind(kind), kind()     the shop's kind (SPEC §9: barber, clinic, counter, other),
//                             which picks its words: start() takes it from the shop, and a
//                             page that hears of a change (a queue body's `kind`) passes it
//                             on. t('monitor.col.customer') is then the catalog's
//                             'monitor.col.customer.forClinic' ("Patient") in a clinic,
//                             and the plain key wherever a kind has no word of its own.
//
// Times are the shop's local times: an ISO timestamp with an offset is shown as the
// clock reading it carries, whatever the device's own time zone.

export const LANGUAGES = {
  // Each language's own name for itself: a customer finds theirs whatever is showing.
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  pt: 'Português',
  ar: 'العربية',
  zh: '中文',
};
export const DEFAULT_LANGUAGE = 'en';
const RTL = new Set(['ar']);
// One clock style per language (SPEC §14): the one its speakers read on a shop's sign.
const HOUR12 = { en: true, ar: true };
// The BCP 47 tag Intl formats with: Brazilian Portuguese, Simplified Chinese.
const LOCALE = { pt: 'pt-BR', zh: 'zh-Hans-CN', ar: 'ar' };

// Kinds with words of their own; 'other' (and anything unknown) uses the plain keys.
const KIND_SUFFIX = { barber: '.forBarber', clinic: '.forClinic', counter: '.forCounter' };

const catalogs = new Map();
const listeners = new Set();
let current = DEFAULT_LANGUAGE;
let messages = {};
let fallback = {};
let shopKind = 'other';

export function supported(lang) {
  return Object.prototype.hasOwnProperty.call(LANGUAGES, lang);
}

export function language() { return current; }
export function direction() { return RTL.has(current) ? 'rtl' : 'ltr'; }
export function locale(lang = current) { return LOCALE[lang] || lang; }

async function load(lang) {
  if (!catalogs.has(lang)) {
    catalogs.set(lang, fetch(`/i18n/${lang}.json`, { cache: 'no-cache' }).then((r) => {
      if (!r.ok) throw new Error(`catalog ${lang}: HTTP ${r.status}`);
      return r.json();
    }).catch((err) => { catalogs.delete(lang); throw err; }));
  }
  return catalogs.get(lang);
}

/** The language a page starts in: ?lang=, else the shop's, else English. */
export function chosen(shop) {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked && supported(asked)) return asked;
  if (shop && supported(shop.language)) return shop.language;
  return DEFAULT_LANGUAGE;
}

export async function start({ shop = null, lang = null } = {}) {
  if (shop && shop.kind) shopKind = shop.kind;
  return use(lang && supported(lang) ? lang : chosen(shop));
}

export function kind() { return shopKind; }

/** The shop's kind changed (the owner set it at /admin): redraw the page's words. */
export function useKind(next) {
  if (typeof next !== 'string' || next === shopKind) return;
  shopKind = next;
  translate(document);
  for (const fn of listeners) {
    try { fn(current); } catch (err) { console.error(err); }
  }
}

/** start() for a page of one shop: reads the shop's language (a public read). */
export async function startForShop(shopId) {
  let shop = null;
  try {
    const response = await fetch(`/api/v1/shops/${encodeURIComponent(shopId)}`, { cache: 'no-store' });
    if (response.ok) shop = await response.json();
  } catch { /* offline: English until the shop answers */ }
  return start({ shop });
}

export async function use(lang) {
  if (!supported(lang)) lang = DEFAULT_LANGUAGE;
  fallback = await load(DEFAULT_LANGUAGE);
  try {
    messages = lang === DEFAULT_LANGUAGE ? fallback : await load(lang);
  } catch (err) {
    console.error(err);
    lang = DEFAULT_LANGUAGE;
    messages = fallback;
  }
  current = lang;
  const root = document.documentElement;
  root.lang = locale(lang);
  root.dir = direction();
  translate(document);
  for (const fn of listeners) {
    try { fn(lang); } catch (err) { console.error(err); }
  }
  return lang;
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function pick(message, count) {
  if (message === null || typeof message !== 'object') return message;
  const form = count === undefined ? 'other' : new Intl.PluralRules(locale()).select(Number(count));
  if (count !== undefined && Number(count) === 0 && message.zero !== undefined) return message.zero;
  return message[form] ?? message.other;
}

// The shop's own word first (in this language, then the plain one), English only
// for a key this language lacks altogether.
function lookup(key, count) {
  const variant = KIND_SUFFIX[shopKind] ? key + KIND_SUFFIX[shopKind] : null;
  for (const [catalog, name] of [[messages, variant], [messages, key], [fallback, variant], [fallback, key]]) {
    const message = name ? pick(catalog[name], count) : undefined;
    if (message !== undefined && message !== null) return message;
  }
  return undefined;
}

export function t(key, params = {}) {
  const message = lookup(key, params.count);
  if (message === undefined) {
    console.error(`i18n: no message for ${key}`);
    return key;
  }
  return String(message).replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === 'number' ? formatNumber(value) : String(value ?? '');
  });
}

/** Is there a message for this key (e.g. a page's text for an API error code)? */
export function has(key) {
  return messages[key] !== undefined || fallback[key] !== undefined;
}

const ATTRIBUTES = [
  ['i18nPlaceholder', 'placeholder'],
  ['i18nAriaLabel', 'aria-label'],
  ['i18nTitle', 'title'],
  ['i18nAlt', 'alt'],
];

export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const [data, attr] of ATTRIBUTES) {
    const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const el of root.querySelectorAll(selector)) el.setAttribute(attr, t(el.dataset[data]));
  }
  if (root === document && document.querySelector('title[data-i18n]')) {
    document.title = t(document.querySelector('title[data-i18n]').dataset.i18n);
  }
}

/** "1st", "2nd", "3.º", "第3": by the language's ordinal plural rules. */
export function ordinal(n, key = 'common.ordinal') {
  const forms = messages[key] ?? fallback[key];
  const form = new Intl.PluralRules(locale(), { type: 'ordinal' }).select(Number(n));
  const message = forms && typeof forms === 'object' ? (forms[form] ?? forms.other) : forms;
  return String(message ?? n).replace('{count}', formatNumber(n));
}

export function formatNumber(n, options = {}) {
  return new Intl.NumberFormat(locale(), options).format(n);
}

export function formatList(items, type = 'conjunction') {
  return new Intl.ListFormat(locale(), { style: 'long', type }).format(items.map(String));
}

// The clock reading an ISO timestamp carries (the shop's local time), as a UTC instant,
// so Intl shows exactly those hours and minutes in the page's style.
function wallClock(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(String(iso || ''));
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0)));
}

export function formatTime(iso) {
  const when = iso instanceof Date ? iso : wallClock(iso);
  if (!when) return '';
  return new Intl.DateTimeFormat(locale(), {
    hour: 'numeric', minute: '2-digit', hour12: !!HOUR12[current],
    timeZone: iso instanceof Date ? undefined : 'UTC',
  }).format(when);
}

export function formatDate(iso, options = { weekday: 'long', day: 'numeric', month: 'long' }) {
  const when = iso instanceof Date ? iso : wallClock(iso);
  if (!when) return '';
  return new Intl.DateTimeFormat(locale(), {
    ...options, timeZone: iso instanceof Date ? undefined : 'UTC',
  }).format(when);
}
