// The appliance's clock (SPEC §9): every screen shows the server's time in the shop's
// zone, never the device's own. A tablet or TV with a wrong clock or time zone must not
// tell a customer a different time than the staff PC does.
//
//   learnClock(stamp)     any ISO stamp the server just sent as "now", with its offset
//                         (the queue body's `timestamp`, a ticket's `timestamp`)
//   serverWallClock()     "YYYY-MM-DDTHH:MM:SS" in shop time, or null before anything was learnt
//   mountClock(el)        keeps el's text at the server's time (formatTime), every second;
//                         blank until the first stamp, so it never shows the device's time
import { formatTime, onChange } from './i18n.js';

const server = { skewMs: null, offsetMin: 0 };

export function learnClock(stamp) {
  const when = Date.parse(stamp || '');
  const m = /([+-])(\d{2}):(\d{2})$|Z$/.exec(String(stamp || ''));
  if (!Number.isFinite(when) || !m) return;
  server.skewMs = when - Date.now();
  server.offsetMin = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  for (const paint of painters) paint();
}

export function serverWallClock() {
  if (server.skewMs === null) return null;
  return new Date(Date.now() + server.skewMs + server.offsetMin * 60000).toISOString().slice(0, 19);
}

const painters = new Set();

export function mountClock(el) {
  if (!el) return () => {};
  const paint = () => {
    const wall = serverWallClock();
    el.textContent = wall ? formatTime(wall) : '';
    el.dataset.serverTime = wall || '';
  };
  painters.add(paint);
  paint();
  const timer = setInterval(paint, 1000);
  const off = onChange(paint);
  return () => { clearInterval(timer); painters.delete(paint); if (typeof off === 'function') off(); };
}
