// Queue Kiosk — Test page (/test): a live feed and a raw request console for integrators.
import { LiveSocket } from '/lib/live.js';
import { getToken, param, shopId } from '/lib/api.js';
import { $, h, setText, clear } from '/lib/ui.js';
import { startForShop, onChange, t, formatDate, formatList } from '/lib/i18n.js';

// Every text on this page comes from the shop's language catalog (SPEC §14). The
// messages it logs are the protocol's own and stay as they are.
await startForShop(shopId());

// The page's own notes in the logs (connected, closed by you, ...), in its language.
const SYS = {
  connecting: 'test.sys.connecting', connected: 'test.sys.connected', reconnected: 'test.sys.reconnected',
  reconnecting: 'test.sys.reconnecting', offline: 'test.sys.offline', error: 'test.sys.error',
  connect: 'test.sys.connect', open: 'test.sys.open', closedByYou: 'test.sys.closedByYou',
  notConnected: 'test.sys.notConnected', closed: 'test.sys.closed',
};
const sys = (what) => (SYS[what] ? t(SYS[what]) : what);

function clock(when = new Date()) {
  return formatDate(when, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

const CENTRAL_MAX = 50;
const RAW_MAX = 200;

function logEntry(list, max, dir, kind, body) {
  const time = clock();
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  const seq = body && typeof body === 'object' && typeof body.seq === 'number' ? t('test.seq', { seq: String(body.seq) }) : '';
  const li = h('li', { class: dir },
    h('div', { class: 'meta' },
      h('span', { text: dir === 'out' ? '→' : dir === 'sys' ? '•' : '←' }),
      h('span', { text: time }), h('span', { class: 'kind', text: kind || '' }), h('span', { text: seq })),
    text ? h('pre', { text }) : null);
  list.prepend(li);
  while (list.childElementCount > max) list.lastElementChild.remove();
}

// ------------------------------------------------------------ central monitor (seed 002)

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
$('c-date').value = param('date', today());
let subscribed = null;

function showSubscribed() {
  setText($('c-state'), subscribed
    ? t('test.central.subscribed', { date: formatDate(subscribed, { day: 'numeric', month: 'short', year: 'numeric' }) })
    : t('test.central.notSubscribed'));
}

function setSubscribed(date) {
  subscribed = date;
  $('c-state').dataset.on = date ? 'yes' : 'no';
  showSubscribed();
}
showSubscribed();

const central = new LiveSocket({
  url: '/api/v1/ws/queue',
  onOpen: (sock, { reconnected }) => {
    logEntry($('c-log'), CENTRAL_MAX, 'sys', sys(reconnected ? 'reconnected' : 'connected'), '');
    if (subscribed) sock.send({ action: 'subscribe', date: subscribed });
  },
  onStatus: (status) => { if (status !== 'connected') logEntry($('c-log'), CENTRAL_MAX, 'sys', sys(status), ''); },
  onMessage: (msg) => {
    logEntry($('c-log'), CENTRAL_MAX, 'in', msg && msg.type, msg);
    if (msg && (msg.type === 'snapshot' || msg.type === 'update') && msg.data) {
      const d = msg.data;
      const waiting = (d.doctors || []).reduce((n, doc) => n + (doc.checked_in_count || 0), 0);
      const counts = formatList([
        t('test.count.providers', { count: d.total_doctors || 0 }),
        t('test.count.appointments', { count: d.total_appointments || 0 }),
        t('test.count.checkedIn', { count: waiting }),
      ]);
      setText($('c-summary'), t('test.central.summary', {
        date: formatDate(d.date, { day: 'numeric', month: 'short', year: 'numeric' }),
        counts, type: msg.type, time: clock(),
      }));
    }
  },
}).start();

$('c-sub').addEventListener('click', () => {
  const date = $('c-date').value;
  if (!date) { $('c-date').focus(); return; }
  const msg = { action: 'subscribe', date };
  if (central.send(msg)) logEntry($('c-log'), CENTRAL_MAX, 'out', 'subscribe', msg);
  setSubscribed(date);
});
$('c-unsub').addEventListener('click', () => {
  const msg = { action: 'unsubscribe' };
  if (central.send(msg)) logEntry($('c-log'), CENTRAL_MAX, 'out', 'unsubscribe', msg);
  setSubscribed(null);
});
$('c-ping').addEventListener('click', () => {
  const msg = { action: 'ping' };
  if (central.send(msg)) logEntry($('c-log'), CENTRAL_MAX, 'out', 'ping', msg);
});
$('c-clear').addEventListener('click', () => clear($('c-log')));
if (param('subscribe') !== 'no') setSubscribed($('c-date').value);

// ------------------------------------------------------------ raw console

// Ready-made messages: the button names a protocol message and its dialect.
const TEMPLATES = [
  ['test.template.pingQueue', { type: 'ping' }],
  ['test.template.subscribeCentral', { action: 'subscribe', date: today() }],
  ['test.template.joinRoom', { command: 'join_room', room: 'orders' }],
  ['test.template.pingRooms', { command: 'ping' }],
  ['test.template.subscribeChannels', { type: 'subscribe', payload: { channels: ['queue:1', 'notifications'] } }],
];
for (const [key, body] of TEMPLATES) {
  $('r-templates').appendChild(h('button', { type: 'button', dataset: { i18n: key }, text: t(key),
    on: { click: () => { $('r-text').value = JSON.stringify(body, null, 2); } } }));
}

// The first message to try (protocol text, as typed).
if (!$('r-text').value) $('r-text').value = JSON.stringify({ type: 'ping' });

let raw = null;
let rawStatus = 'closed';
function rawState(status, on) {
  rawStatus = status;
  setText($('r-state'), sys(status));
  $('r-state').dataset.on = on ? 'yes' : 'no';
}
rawState('closed', false);

onChange(() => { showSubscribed(); setText($('r-state'), sys(rawStatus)); });

$('r-connect').addEventListener('click', () => {
  if (raw) raw.stop();
  let path = $('r-path').value.trim() || '/ws/queue/1/';
  if (!path.startsWith('/')) path = '/' + path;
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.delete('token');
  if ($('r-token').checked && getToken()) url.searchParams.set('token', getToken());
  const since = $('r-since').value.trim();
  if (/^\d+$/.test(since)) url.searchParams.set('since', since);
  logEntry($('r-log'), RAW_MAX, 'sys', sys('connect'), url.pathname + url.search.replace(/token=[^&]*/, 'token=…'));
  raw = new LiveSocket({
    url: url.toString(), indicator: false, ping: null, resume: false,
    onStatus: (status) => { rawState(status, status === 'connected'); if (status !== 'connecting') logEntry($('r-log'), RAW_MAX, 'sys', sys(status), ''); },
    onOpen: () => { rawState('connected', true); logEntry($('r-log'), RAW_MAX, 'sys', sys('open'), ''); },
    onMessage: (msg) => logEntry($('r-log'), RAW_MAX, 'in', msg && msg.type, msg),
  }).start();
  $('r-close').disabled = false;
  $('r-send').disabled = false;
});
$('r-close').addEventListener('click', () => {
  if (raw) { raw.stop(); raw = null; }
  rawState('closed', false);
  logEntry($('r-log'), RAW_MAX, 'sys', sys('closedByYou'), '');
  $('r-close').disabled = true;
  $('r-send').disabled = true;
});
$('r-send').addEventListener('click', () => {
  const text = $('r-text').value;
  if (!raw || !raw.send(text)) { logEntry($('r-log'), RAW_MAX, 'sys', sys('notConnected'), ''); return; }
  let shown = text;
  try { shown = JSON.parse(text); } catch { /* send as typed */ }
  logEntry($('r-log'), RAW_MAX, 'out', t('test.sys.sent'), shown);
});
$('r-clear').addEventListener('click', () => clear($('r-log')));
