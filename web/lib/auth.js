// Queue Kiosk — who is using this page, the PIN login gate, and logout.
//
//   import { whoAmI, requireRole, logout, login, atLeast, safeNext } from '/lib/auth.js';
//
// whoAmI({cookieOnly}) -> Promise<{role, name, kind, authenticated, claimed}>
//   GET /api/v1/auth/me with the page's token (lib/api.js getToken()) or, without one,
//   the PIN session cookie. A token the server refuses (401: unknown or revoked) gives
//   {role: 'display', authenticated: false, tokenRejected: true, claimed}.
//   cookieOnly: ask as the cookie alone (ignores any stored token).
//
// requireRole(role, {next}) -> Promise<me>
//   The login gate of a page (when the appliance cannot be reached it resolves with
//   {offline: true} so the page can start and reconnect by itself). When the page was opened with `?token=` it works as
//   before (scripts, tests): it resolves with whoever that token is and the page shows
//   its own message when the role is too low. Otherwise a stored token or the session
//   cookie must be at least `role`; if neither is, the browser goes to
//   `/login?next=<this page>&need=<role>` and the promise never resolves (the page stops
//   there). A stored token that is refused or too low is forgotten when the cookie
//   session is good enough (a token would otherwise win over the cookie on the server).
//
// login(pin) -> Promise<{ok, status, staff?, message?, retryAfterS?}>   POST /auth/login
// logout({to}) -> Promise   ends the session, forgets the stored token, goes to `to`
//   (default: /login?next=<this page>).
// safeNext(raw, fallback) -> a same-origin relative path, never an open redirect.
// atLeast(role, needed) -> boolean (display < kiosk < staff < admin).

import { t } from './i18n.js';
import { ApiError, apiFetch, getToken, setToken } from './api.js';

export const ROLES = ['display', 'kiosk', 'staff', 'admin'];

// Read before any page script calls getToken() (which removes it from the address bar):
// a page opened with ?token= keeps its old behaviour.
const OPENED_WITH_TOKEN = new URLSearchParams(location.search).has('token');

export function openedWithToken() { return OPENED_WITH_TOKEN; }

export function atLeast(role, needed) {
  const have = ROLES.indexOf(role);
  return have >= 0 && have >= ROLES.indexOf(needed);
}

export async function whoAmI({ cookieOnly = false } = {}) {
  const opts = cookieOnly ? { token: null } : {};
  try {
    return await apiFetch('GET', '/api/v1/auth/me', undefined, opts);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || cookieOnly) throw err;
    // The token was refused: still learn whether the appliance is claimed.
    let claimed = true;
    try { claimed = (await apiFetch('GET', '/api/v1/auth/me', undefined, { token: null })).claimed; } catch { /* keep */ }
    return { role: 'display', name: null, kind: null, authenticated: false, claimed, tokenRejected: true };
  }
}

/** The path of this page, for `next=` (same origin by construction). */
export function herePath() {
  return location.pathname + location.search + location.hash;
}

export function loginUrl(role, next = herePath()) {
  const q = new URLSearchParams({ next });
  if (role) q.set('need', role);
  return `/login?${q}`;
}

const NEVER = new Promise(() => {});

export async function requireRole(role, opts = {}) {
  try {
    return await gate(role, opts);
  } catch (err) {
    // The appliance cannot be reached (restarting, Wi-Fi down): let the page start and
    // recover with its live socket; the server still checks every request it gets.
    if (err instanceof ApiError && err.status === 0) {
      return { role: null, name: null, kind: null, authenticated: false, claimed: true, offline: true };
    }
    throw err;
  }
}

async function gate(role, { next } = {}) {
  // getToken() first: it consumes ?token= (stores it, cleans the address bar).
  const token = getToken();
  if (OPENED_WITH_TOKEN) return whoAmI();
  if (token) {
    const me = await whoAmI();
    if (!me.tokenRejected && atLeast(me.role, role)) return me;
    // A stored token that is refused or too low: the PIN session (if any) decides.
    const session = await whoAmI({ cookieOnly: true });
    if (atLeast(session.role, role)) { setToken(null); return session; }
  } else {
    const me = await whoAmI({ cookieOnly: true });
    if (atLeast(me.role, role)) return me;
  }
  location.replace(loginUrl(role, next || herePath()));
  return NEVER;
}

export async function login(pin) {
  let response;
  try {
    response = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ pin: String(pin) }),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    return { ok: false, status: 0, message: t('common.unreachable') };
  }
  let data = null;
  try { data = await response.json(); } catch { /* empty */ }
  if (response.ok) {
    // From now on the session cookie speaks for this browser: a stored token would win.
    setToken(null);
    return { ok: true, status: response.status, staff: data && data.staff };
  }
  const error = (data && data.error) || {};
  const header = Number(response.headers.get('Retry-After'));
  const retryAfterS = Number.isFinite(header) && header > 0 ? header
    : (error.details && Number(error.details.retry_after_s)) || null;
  return { ok: false, status: response.status, code: error.code, message: error.message, retryAfterS };
}

export async function logout({ to } = {}) {
  try {
    await apiFetch('POST', '/api/v1/auth/logout', undefined, { outbox: false, token: null });
  } catch { /* the cookie is gone or the server is away: forget locally anyway */ }
  setToken(null);
  location.assign(to || loginUrl(null));
}

/**
 * Where to go after logging in: only a path on this appliance (`/staff?shop=2`),
 * never another site (`//evil`, `https://evil`, `/\evil`, `javascript:`).
 */
export function safeNext(raw, fallback = '/staff') {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return fallback;
  if (/[\u0000-\u001f\u007f]/.test(raw)) return fallback;
  let url;
  try { url = new URL(raw, location.origin); } catch { return fallback; }
  if (url.origin !== location.origin) return fallback;
  if (url.pathname === '/login') return fallback;
  return url.pathname + url.search + url.hash;
}
