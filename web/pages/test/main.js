// Queue Kiosk — Test page (/test): a live feed and a raw request console for integrators.
import { LiveSocket } from '/lib/live.js';
import { getToken, param } from '/lib/api.js';
import { $, h, setText, clear } from '/lib/ui.js';
import { start as startLanguage } from '/lib/i18n.js';

// Every text on this page comes from a language catalog (SPEC §14).
await startLanguage();

const CENTRAL_MAX = 50;
const RAW_MAX = 200;

function logEntry(list, max, dir, kind, body) {
  const time = new Date().toLocaleTimeString([], { hour12: false });
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  const seq = body && typeof body === 'object' && typeof body.seq === 'number' ? `seq ${body.seq}` : '';
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

function setSubscribed(date) {
  subscribed = date;
  $('c-state').dataset.on = date ? 'yes' : 'no';
  setText($('c-state'), date ? `subscribed to ${date}` : 'not subscribed');
}

const central = new LiveSocket({
  url: '/api/v1/ws/queue',
  onOpen: (sock, { reconnected }) => {
    logEntry($('c-log'), CENTRAL_MAX, 'sys', reconnected ? 'reconnected' : 'connected', '');
    if (subscribed) sock.send({ action: 'subscribe', date: subscribed });
  },
  onStatus: (status) => { if (status !== 'connected') logEntry($('c-log'), CENTRAL_MAX, 'sys', status, ''); },
  onMessage: (msg) => {
    logEntry($('c-log'), CENTRAL_MAX, 'in', msg && msg.type, msg);
    if (msg && (msg.type === 'snapshot' || msg.type === 'update') && msg.data) {
      const d = msg.data;
      const waiting = (d.doctors || []).reduce((n, doc) => n + (doc.checked_in_count || 0), 0);
      setText($('c-summary'), `${d.date}: ${d.total_doctors} providers, ${d.total_appointments} appointments, `
        + `${waiting} checked in · last ${msg.type} at ${new Date().toLocaleTimeString()}`);
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

const TEMPLATES = [
  ['ping (queue)', { type: 'ping' }],
  ['subscribe (central)', { action: 'subscribe', date: today() }],
  ['join_room', { command: 'join_room', room: 'orders' }],
  ['ping (rooms)', { command: 'ping' }],
  ['subscribe (channels)', { type: 'subscribe', payload: { channels: ['queue:1', 'notifications'] } }],
];
for (const [label, body] of TEMPLATES) {
  $('r-templates').appendChild(h('button', { type: 'button', text: label,
    on: { click: () => { $('r-text').value = JSON.stringify(body, null, 2); } } }));
}

let raw = null;
function rawState(text, on) { setText($('r-state'), text); $('r-state').dataset.on = on ? 'yes' : 'no'; }

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
  logEntry($('r-log'), RAW_MAX, 'sys', 'connect', url.pathname + url.search.replace(/token=[^&]*/, 'token=…'));
  raw = new LiveSocket({
    url: url.toString(), indicator: false, ping: null, resume: false,
    onStatus: (status) => { rawState(status, status === 'connected'); if (status !== 'connecting') logEntry($('r-log'), RAW_MAX, 'sys', status, ''); },
    onOpen: () => { rawState('connected', true); logEntry($('r-log'), RAW_MAX, 'sys', 'open', ''); },
    onMessage: (msg) => logEntry($('r-log'), RAW_MAX, 'in', msg && msg.type, msg),
  }).start();
  $('r-close').disabled = false;
  $('r-send').disabled = false;
});
$('r-close').addEventListener('click', () => {
  if (raw) { raw.stop(); raw = null; }
  rawState('closed', false);
  logEntry($('r-log'), RAW_MAX, 'sys', 'closed by you', '');
  $('r-close').disabled = true;
  $('r-send').disabled = true;
});
$('r-send').addEventListener('click', () => {
  const text = $('r-text').value;
  if (!raw || !raw.send(text)) { logEntry($('r-log'), RAW_MAX, 'sys', 'not connected', ''); return; }
  let shown = text;
  try { shown = JSON.parse(text); } catch { /* send as typed */ }
  logEntry($('r-log'), RAW_MAX, 'out', 'sent', shown);
});
$('r-clear').addEventListener('click', () => clear($('r-log')));
