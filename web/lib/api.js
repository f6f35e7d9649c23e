// Queue Kiosk — shared HTTP client: auth token, JSON fetch, offline outbox.
//
//   import { apiFetch, ApiError, getToken, wsUrl, flushOutbox, onOutbox } from '/lib/api.js';
//
// getToken()            The page's token: `?token=` in the URL wins (it is then kept in
//                       localStorage for this origin and removed from the address bar),
//                       else the stored one, else null (anonymous = display role).
// setToken(t|null)      Store / forget the token.
// authHeaders()         {Authorization: 'Bearer …'} or {}.
// wsUrl(path, params)   'ws(s)://<this host><path>?token=…&<params>' (browsers cannot set
//                       headers on a WebSocket, so the token travels as ?token=).
// param(name, dflt)     A URL query parameter; shopId() = ?shop= as an integer (default 1).
//
// apiFetch(method, path, body?, opts?) -> Promise<data>
//   JSON in, JSON out, `credentials: 'same-origin'` (the PIN session cookie works too).
//   2xx resolves to the parsed body (null when empty). 4xx/5xx rejects with ApiError
//   {status, code, message, details, body}. A network failure on a GET rejects with
//   ApiError status 0, code 'network'.
//   Every write (POST/PUT/PATCH/DELETE) carries an Idempotency-Key (opts.idempotencyKey,
//   or a fresh one). When the network is down (or the server answers 502/503/504, or the
//   request times out) a write is kept in the OUTBOX (localStorage, with its key) and
//   the promise resolves to {queued: true, id, idempotencyKey}; the outbox is sent once,
//   in order, when the live socket reconnects, the browser comes back online, or every
//   10 s. The server's Idempotency-Key makes a resend safe (same answer, no second change).
//   opts: {idempotencyKey, outbox: true (writes) | false, timeoutMs: 10000,
//          token (override), label (for your UI), meta (any JSON kept with the item)}.
//
// flushOutbox() -> Promise   send what is waiting (called for you by LiveSocket on open).
// outboxItems() -> [{id, method, path, body, idempotencyKey, label, meta, queuedAt}]
// onOutbox(fn) -> unsubscribe; fn({type: 'queued'|'sent'|'failed', item, data?, error?})
//   'sent' = the server answered 2xx (data = its body); 'failed' = it answered 4xx (the
//   item is dropped: retrying would give the same answer).

import { t } from './i18n.js';
const TOKEN_KEY = 'qk.token';
const OUTBOX_KEY = 'qk.outbox';
const OUTBOX_MAX = 200;
const RETRY_STATUSES = new Set([502, 503, 504]);

let pageToken;  // undefined = not read yet

function store() {
  try { return window.localStorage; } catch { return null; }
}

export function param(name, dflt = null) {
  const value = new URLSearchParams(location.search).get(name);
  return value === null || value === '' ? dflt : value;
}

export function shopId() {
  const raw = param('shop', '1');
  return /^\d{1,9}$/.test(raw) && Number(raw) > 0 ? Number(raw) : 1;
}

export function getToken() {
  if (pageToken !== undefined) return pageToken;
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    pageToken = fromUrl;
    try { store()?.setItem(TOKEN_KEY, fromUrl); } catch { /* private mode */ }
    url.searchParams.delete('token');
    try { history.replaceState(history.state, '', url.pathname + url.search + url.hash); } catch { /* ok */ }
  } else {
    pageToken = store()?.getItem(TOKEN_KEY) || null;
  }
  return pageToken;
}

export function setToken(token) {
  pageToken = token || null;
  try {
    if (token) store()?.setItem(TOKEN_KEY, token); else store()?.removeItem(TOKEN_KEY);
  } catch { /* ok */ }
}

export function authHeaders(token = getToken()) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function wsUrl(path, params = {}) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = params.token === undefined ? getToken() : params.token;
  if (token) url.searchParams.set('token', token);
  for (const [k, v] of Object.entries(params)) {
    if (k !== 'token' && v !== undefined && v !== null) url.searchParams.set(k, String(v));
  }
  return url.toString();
}

export class ApiError extends Error {
  constructor(status, code, message, details = {}, body = null) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.body = body;
  }
}

export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

class NetworkDown extends Error {}

async function send(method, path, body, { idempotencyKey, timeoutMs = 10000, token } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders(token === undefined ? getToken() : token) };
  if (body !== undefined && body !== null) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined || body === null ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: abort.signal,
    });
  } catch (err) {
    throw new NetworkDown(err && err.name === 'AbortError' ? 'timed out' : 'network down');
  } finally {
    clearTimeout(timer);
  }
  const text = await response.text().catch(() => '');
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = text; } }
  return { status: response.status, ok: response.ok, data };
}

function errorFrom(status, data) {
  const e = data && typeof data === 'object' && data.error ? data.error : {};
  return new ApiError(status, e.code || 'http_' + status, e.message || `HTTP ${status}`, e.details, data);
}

export async function apiFetch(method, path, body = undefined, opts = {}) {
  method = method.toUpperCase();
  const write = method !== 'GET' && method !== 'HEAD';
  const key = write ? (opts.idempotencyKey || newIdempotencyKey()) : undefined;
  const useOutbox = write && opts.outbox !== false;
  let answer;
  try {
    answer = await send(method, path, body, { ...opts, idempotencyKey: key });
  } catch (err) {
    if (!(err instanceof NetworkDown)) throw err;
    if (useOutbox) return enqueue(method, path, body, key, opts);
    throw new ApiError(0, 'network', t('common.unreachable'));
  }
  if (useOutbox && RETRY_STATUSES.has(answer.status)) return enqueue(method, path, body, key, opts);
  if (!answer.ok) throw errorFrom(answer.status, answer.data);
  return answer.data;
}

// ------------------------------------------------------------------ outbox

const listeners = new Set();
let flushing = null;
let flushTimer = null;

export function onOutbox(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(event) {
  for (const fn of listeners) { try { fn(event); } catch (e) { console.error(e); } }
}

export function outboxItems() {
  try { return JSON.parse(store()?.getItem(OUTBOX_KEY) || '[]'); } catch { return []; }
}

function saveOutbox(items) {
  try { store()?.setItem(OUTBOX_KEY, JSON.stringify(items.slice(-OUTBOX_MAX))); } catch { /* full */ }
}

function enqueue(method, path, body, key, opts) {
  const item = {
    id: key, method, path, body: body === undefined ? null : body, idempotencyKey: key,
    token: opts.token === undefined ? getToken() : opts.token,
    label: opts.label || null, meta: opts.meta === undefined ? null : opts.meta,
    queuedAt: new Date().toISOString(),
  };
  const items = outboxItems().filter((i) => i.id !== item.id);
  items.push(item);
  saveOutbox(items);
  ensureFlushTimer();
  emit({ type: 'queued', item });
  return { queued: true, id: item.id, idempotencyKey: key };
}

function ensureFlushTimer() {
  if (flushTimer === null && outboxItems().length) {
    flushTimer = setInterval(() => {
      if (!outboxItems().length) { clearInterval(flushTimer); flushTimer = null; return; }
      flushOutbox();
    }, 10000);
  }
}

async function flushNow() {
  for (;;) {
    const items = outboxItems();
    if (!items.length) return;
    const item = items[0];
    let answer;
    try {
      answer = await send(item.method, item.path, item.body, {
        idempotencyKey: item.idempotencyKey, token: item.token,
      });
    } catch {
      return;  // still down: keep it (same key next time)
    }
    if (answer.status === 429 || answer.status >= 500) return;  // not stored by the server: retry later
    saveOutbox(outboxItems().filter((i) => i.id !== item.id));
    if (answer.ok) emit({ type: 'sent', item, data: answer.data });
    else emit({ type: 'failed', item, error: errorFrom(answer.status, answer.data) });
  }
}

export function flushOutbox() {
  if (flushing) return flushing;
  const run = () => flushNow();
  const locked = navigator.locks && navigator.locks.request
    ? navigator.locks.request('qk-outbox', run)
    : run();
  flushing = Promise.resolve(locked).catch((e) => console.error(e)).finally(() => { flushing = null; });
  return flushing;
}

window.addEventListener('online', () => flushOutbox());
ensureFlushTimer();
