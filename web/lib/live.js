// Queue Kiosk — the ONE shared live-socket client every page uses.
//
//   import { LiveSocket } from '/lib/live.js';
//   const live = new LiveSocket({
//     url: '/ws/queue/1/',              // path (token added for you) or a full ws:// URL
//     onMessage(msg, live) { ... },     // every parsed JSON message (raw string if not JSON)
//     onStatus(status, live) { ... },   // connecting | connected | reconnecting | offline | error
//     onOpen(live, {reconnected}) {},   // (re)send subscriptions here (rooms, channels, central)
//     onResync(live) {},                // event dialects: server said {code:'resync'} -> refetch
//     poll: { url: '/api/v1/shops/1/queue', everyMs: 5000, onData(data, live) {} },
//     sinceKey: 'staff.rooms.seq',      // optional: keep the last seq in localStorage too
//   }).start();
//
// What it does:
// - Reconnects with exponential backoff + jitter (0.5 s doubling, capped at maxDelayMs
//   = 10 s; each delay is random in [d/2, d]). A drop after a stable connection
//   (>= 5 s) reconnects at once; connects that fail (or die within 5 s) count as
//   failures.
// - Heartbeat: sends the dialect's ping every pingEveryMs (20 s) and treats
//   deadAfterMs (45 s) of silence as a dead link (closes and reconnects). The ping is
//   picked from the path: shop queue / appointments {"type":"ping"}, central
//   {"action":"ping"}, rooms {"command":"ping"}, channels envelope {"type":"ping"}.
//   Override with `ping: {…}` (object), `ping: () => obj`, or `ping: null` (none; then
//   silence is not taken as a dead link).
// - Resume: event dialects (/ws/connect rooms, /ws channels) reconnect with
//   `?since=<last seq seen>` (so missed events are replayed once each); snapshot
//   dialects need none (their first message is the current state). `resume: true|false`
//   overrides the choice. `live.lastSeq` is the highest seq seen.
// - After 3 failed connects (failuresBeforePoll) it polls `poll.url` every
//   poll.everyMs (5 s) with the page's token, hands each body to poll.onData, and shows
//   the yellow banner "Live updates are down…". A successful poll retries the socket at
//   once; when the socket is back the polling stops and the banner goes away.
// - The connection status pill (lib/ui.js statusIndicator) shows connecting /
//   reconnecting / offline / error and hides when connected. `indicator: false` opts out.
//   `<html data-live="…" data-polling="yes|no">` mirrors it (handy for tests and CSS).
// - On every (re)open it flushes the offline outbox of lib/api.js (sent once, with the
//   original Idempotency-Keys).
// - Close codes 4404 (unknown shop/provider) and 1008 (bad token / policy) set status
//   'error' and keep retrying slowly.
// - `customer: true` (kiosk, /join, the phone's ticket, the TV): a customer never reads
//   technical words (SPEC §9). While polling it shows only the "Reconnecting…" pill, never
//   the yellow banner, and an offline or error status reads "Reconnecting…" too.
//   `<html data-quiet-polling="yes|no">` says whether such a socket is polling.
// - Close code 4401 (the token or session was revoked, SPEC §16): with opts.onRevoked the
//   socket stops and calls it (a staff page goes back to the PIN pad); without it, the
//   socket reconnects as whatever the page's credentials now are.
//
// Methods: start(), stop(), send(obj|string) -> boolean (false when not open),
//          reconnectNow(), pollNow().
// Properties: status, polling, connected, lastSeq, url.

import { apiFetch, flushOutbox, wsUrl } from './api.js';
import { statusIndicator } from './ui.js';

const PINGS = [
  [/^\/api\/v1\/ws\/queue(\/\d+)?\/?$/, () => ({ action: 'ping' })],
  [/^\/ws\/connect\/?$/, () => ({ command: 'ping' })],
  [/^\/ws\/?$/, () => ({ type: 'ping', payload: {}, timestamp: new Date().toISOString(), id: 'ping-' + Date.now() })],
  [/^\/ws\/(queue|appointments)\//, () => ({ type: 'ping' })],
];
const EVENT_DIALECTS = [/^\/ws\/connect\/?$/, /^\/ws\/?$/];

// A customer's screen says "Reconnecting…" at most: no banner about polling, and no
// "Offline" or "Connection error" either (they mean nothing to someone waiting).
function customerView(sock) {
  return {
    get status() { return sock.status === 'offline' || sock.status === 'error' ? 'reconnecting' : sock.status; },
    polling: false,
  };
}

export class LiveSocket {
  constructor(opts) {
    this.opts = {
      pingEveryMs: 20000,
      deadAfterMs: 45000,
      connectTimeoutMs: 8000,
      baseDelayMs: 500,
      maxDelayMs: 10000,
      stableMs: 5000,
      failuresBeforePoll: 3,
      indicator: true,
      ...opts,
    };
    const base = new URL(this.opts.url, location.href);
    this.path = base.pathname;
    this.status = 'connecting';
    this.polling = false;
    this.pollEveryMs = (this.opts.poll && this.opts.poll.everyMs) || 5000;
    this.failures = 0;
    this.lastSeq = null;
    this.ws = null;
    this._stopped = true;
    this._everOpened = false;
    this._timers = {};
    if (this.opts.sinceKey) {
      let stored = NaN;
      try { stored = Number(localStorage.getItem(this.opts.sinceKey)); } catch { /* private mode */ }
      if (Number.isFinite(stored) && stored > 0) this.lastSeq = stored;
    }
    const resume = this.opts.resume;
    this.resume = resume === undefined ? EVENT_DIALECTS.some((re) => re.test(this.path)) : !!resume;
    if ('ping' in this.opts) {
      const p = this.opts.ping;
      this._ping = p === null ? null : typeof p === 'function' ? p : () => p;
    } else {
      const hit = PINGS.find(([re]) => re.test(this.path));
      this._ping = hit ? hit[1] : () => ({ type: 'ping' });
    }
    // What the status pill and banner are told about this socket.
    this._shown = this.opts.customer ? customerView(this) : this;
    this._onOnline = () => { if (!this._stopped && !this.connected) this.reconnectNow(); };
    this._onOffline = () => { if (!this._stopped && !this.connected) this._setStatus('offline'); };
  }

  get connected() { return !!this.ws && this.ws.readyState === WebSocket.OPEN && this.status === 'connected'; }
  get url() { return this.opts.url; }

  start() {
    if (!this._stopped) return this;
    this._stopped = false;
    window.addEventListener('online', this._onOnline);
    window.addEventListener('offline', this._onOffline);
    if (this.opts.indicator) statusIndicator.track(this._shown);
    this._connect();
    return this;
  }

  stop() {
    this._stopped = true;
    window.removeEventListener('online', this._onOnline);
    window.removeEventListener('offline', this._onOffline);
    for (const name of Object.keys(this._timers)) this._clear(name);
    this._stopPolling();
    this._drop(1000, 'page closed');
    if (this.opts.indicator) statusIndicator.untrack(this._shown);
  }

  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  reconnectNow() {
    if (this._stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    this._clear('reconnect');
    this._connect();
  }

  pollNow() { if (this.polling) this._pollOnce(); }

  // ---------------------------------------------------------------- internals

  _clear(name) {
    const t = this._timers[name];
    if (t) { clearTimeout(t); clearInterval(t); delete this._timers[name]; }
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    if (this.opts.indicator) statusIndicator.refresh();
    if (this.opts.onStatus) { try { this.opts.onStatus(status, this); } catch (e) { console.error(e); } }
  }

  _socketUrl() {
    const params = {};
    if (this.resume && this.lastSeq !== null) params.since = this.lastSeq;
    if (/^wss?:/.test(this.opts.url)) {
      const u = new URL(this.opts.url);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
      return u.toString();
    }
    return wsUrl(this.opts.url, params);
  }

  _connect() {
    if (this._stopped) return;
    this._clear('reconnect');
    if (navigator.onLine === false) this._setStatus('offline');
    else if (this.status !== 'error') this._setStatus(this._everOpened || this.failures ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this._socketUrl());
    } catch (e) {
      console.error(e);
      this._setStatus('error');
      this._afterClose(false, 0);
      return;
    }
    this.ws = ws;
    const openedAt = { t: 0 };
    this._timers.connect = setTimeout(() => {
      if (ws.readyState !== WebSocket.OPEN) this._drop(4000, 'connect timeout', true);
    }, this.opts.connectTimeoutMs);
    ws.onopen = () => {
      this._clear('connect');
      openedAt.t = Date.now();
      this._lastRx = Date.now();
      const reconnected = this._everOpened;
      this._everOpened = true;
      this._stopPolling();
      this._setStatus('connected');
      this._startHeartbeat();
      flushOutbox();
      if (this.opts.onOpen) { try { this.opts.onOpen(this, { reconnected }); } catch (e) { console.error(e); } }
    };
    ws.onmessage = (ev) => {
      this._lastRx = Date.now();
      let msg = ev.data;
      if (typeof msg === 'string') { try { msg = JSON.parse(msg); } catch { /* raw text */ } }
      if (msg && typeof msg === 'object') {
        const seq = typeof msg.seq === 'number' ? msg.seq : null;
        if (seq !== null && (this.lastSeq === null || seq > this.lastSeq)) {
          this.lastSeq = seq;
          if (this.opts.sinceKey) { try { localStorage.setItem(this.opts.sinceKey, String(seq)); } catch { /* ok */ } }
        }
        const code = msg.type === 'error' ? (msg.code || (msg.payload && msg.payload.code)) : null;
        if (code === 'resync') {
          this.lastSeq = null;
          if (this.opts.sinceKey) { try { localStorage.removeItem(this.opts.sinceKey); } catch { /* ok */ } }
          if (this.opts.onResync) { try { this.opts.onResync(this); } catch (e) { console.error(e); } }
        }
      }
      if (this.opts.onMessage) { try { this.opts.onMessage(msg, this); } catch (e) { console.error(e); } }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this._detach(ws);
      const lived = openedAt.t ? Date.now() - openedAt.t : 0;
      if (ev.code === 4401 && this.opts.onRevoked) {
        this.stop();
        try { this.opts.onRevoked(this); } catch (e) { console.error(e); }
        return;
      }
      if (ev.code === 4404 || ev.code === 1008) this._setStatus('error');
      this._afterClose(openedAt.t > 0 && lived >= this.opts.stableMs, ev.code);
    };
    ws.onerror = () => { /* onclose follows and decides */ };
  }

  _detach(ws) {
    this._clear('connect');
    this._clear('heartbeat');
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.ws === ws) this.ws = null;
  }

  // Close the current socket ourselves (heartbeat death, connect timeout, stop).
  _drop(code, reason, reconnect = false) {
    const ws = this.ws;
    if (!ws) return;
    this._detach(ws);
    try { ws.close(code >= 4000 || code === 1000 ? code : 4000, reason); } catch { /* ok */ }
    if (reconnect && !this._stopped) this._afterClose(false, code);
  }

  _afterClose(stable, code) {
    if (this._stopped) return;
    if (stable) this.failures = 0; else this.failures += 1;
    if (this.status !== 'error' || (code !== 4404 && code !== 1008)) {
      this._setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');
    }
    if (this.failures >= this.opts.failuresBeforePoll && this.opts.poll && this.opts.poll.url) this._startPolling();
    let delay = 0;
    if (this.failures > 0) {
      const cap = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (this.failures - 1));
      delay = cap / 2 + Math.random() * cap / 2;
    } else {
      delay = Math.random() * 300;  // spread a room full of screens after a server restart
    }
    this._clear('reconnect');
    this._timers.reconnect = setTimeout(() => { delete this._timers.reconnect; this._connect(); }, delay);
  }

  _startHeartbeat() {
    this._clear('heartbeat');
    const every = this.opts.pingEveryMs;
    let lastPing = Date.now();
    this._timers.heartbeat = setInterval(() => {
      const now = Date.now();
      // Silence means a dead link only when we ask for answers (a ping).
      if (this._ping && now - this._lastRx > this.opts.deadAfterMs) {
        this._drop(4000, 'heartbeat lost', true);
        return;
      }
      if (this._ping && now - lastPing >= every) { lastPing = now; this.send(this._ping()); }
    }, Math.min(every, 5000));
  }

  _startPolling() {
    if (this.polling) return;
    this.polling = true;
    if (this.opts.customer) document.documentElement.dataset.quietPolling = 'yes';
    if (this.opts.indicator) statusIndicator.refresh();
    if (this.opts.onStatus) { try { this.opts.onStatus(this.status, this); } catch (e) { console.error(e); } }
    this._pollOnce();
  }

  _stopPolling() {
    this._clear('poll');
    if (!this.polling) return;
    this.polling = false;
    if (this.opts.customer) document.documentElement.dataset.quietPolling = 'no';
    if (this.opts.indicator) statusIndicator.refresh();
  }

  async _pollOnce() {
    this._clear('poll');
    if (!this.polling || this._stopped) return;
    const poll = this.opts.poll;
    try {
      const data = await apiFetch('GET', poll.url, undefined, { timeoutMs: Math.max(2000, this.pollEveryMs - 500) });
      if (!this.polling || this._stopped) return;
      if (poll.onData) { try { poll.onData(data, this); } catch (e) { console.error(e); } }
      // The appliance answers again: try the socket now rather than after the backoff.
      if (!this.ws) this.reconnectNow();
    } catch { /* still down */ }
    if (this.polling && !this._stopped) {
      this._timers.poll = setTimeout(() => this._pollOnce(), this.pollEveryMs);
    }
  }
}
