// Queue Kiosk — the shop's hours and who is on duty, as customer screens say them
// (SPEC §11). Every queue body carries `hours` {hours_set, open, accepting_joins,
// opens_at, closes_at, last_join_at, closure} and `providers` with each one's `state`
// (serving | available | break | off) and `until_at`; the server sends a new body at
// each opening, closing, last-join cutoff and break edge, so a screen that repaints
// from the body switches by itself, with no timer of its own.
//
//   joinsClosed(q)          true when a kiosk or phone join would be refused (409 `closed`)
//   closedWords(q)          { kind: 'closed' | 'cutoff', heading, line, hint } or null:
//                           "We're closed" / "Closed — we open at 9:00 AM." (or tomorrow,
//                           or that weekday), "Closed today: Christmas", or the last-join
//                           cutoff's "We're not taking more check-ins today"
//   closedLine(opensAt, today)   the "we open at…" sentence alone (a refused join's 409)
//   onDuty(p)               a provider a customer may choose now (available or serving)
//   dutyWords(p)            the TV's word for a provider not serving: "Available",
//                           "On a break until 2:30 PM", "Back at 1:00 PM", "Off today"
//   awayWords(p, name)      a waiting customer's line about the provider they asked for,
//                           when away: "Sam is on a break until 2:30 PM." ('' when on duty)
//   drawClosedCard(section) the card of the kiosk's and /join's closed screen (ids
//                           closed-heading, closed-reason, closed-hint) drawn into section
//   paintClosedCard({heading, line, hint})   its words
import { $, h, setText } from './ui.js';
import { formatDate, formatTime, t } from './i18n.js';

export function joinsClosed(q) {
  const hours = q && q.hours;
  return !!(hours && hours.hours_set && hours.accepting_joins === false);
}

// The shop's date of an ISO stamp with its offset ("2026-12-02T10:00:00+01:00").
const dayOf = (iso) => String(iso || '').slice(0, 10);

function nextDay(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// `keys`: [same day, tomorrow, another day] — one whole sentence for each.
function whenSentence(opensAt, today, keys) {
  const time = formatTime(opensAt);
  const day = dayOf(opensAt);
  if (!today || day === today) return t(keys[0], { time });
  if (day === nextDay(today)) return t(keys[1], { time });
  return t(keys[2], { time, day: formatDate(opensAt, { weekday: 'long' }) });
}

const OPENS = ['join.closed.opensAt', 'closed.opensTomorrow', 'closed.opensOn'];
const AGAIN = ['closed.againAt', 'closed.againTomorrow', 'closed.againOn'];

export function closedLine(opensAt, today) {
  return opensAt ? whenSentence(opensAt, today, OPENS) : t('join.closed.text');
}

export function closedWords(q) {
  if (!joinsClosed(q)) return null;
  const hours = q.hours;
  const today = dayOf(q.timestamp);
  if (hours.open) {
    // Open, but inside the last minutes before a closing: no new tickets.
    const later = hours.opens_at && dayOf(hours.opens_at) === today;
    return {
      kind: 'cutoff',
      heading: t(later ? 'closed.cutoffNow' : 'closed.cutoffToday'),
      line: hours.opens_at ? whenSentence(hours.opens_at, today, AGAIN) : '',
      hint: t('closed.cutoffHint'),
    };
  }
  const heading = hours.closure == null ? t('join.closed.heading')
    : hours.closure ? t('closed.closure', { reason: hours.closure }) : t('closed.today');
  return { kind: 'closed', heading, line: closedLine(hours.opens_at, today), hint: t('join.closed.hint') };
}

export function onDuty(p) {
  return !p.state || p.state === 'available' || p.state === 'serving';
}

export function dutyWords(p) {
  if (!p || !p.state || p.state === 'available' || p.state === 'serving') return t('display.available');
  if (p.state === 'break') return p.until_at ? t('display.duty.breakUntil', { time: formatTime(p.until_at) }) : t('display.duty.break');
  return p.until_at ? t('display.duty.backAt', { time: formatTime(p.until_at) }) : t('display.duty.offToday');
}

export function awayWords(p, name) {
  if (!p || onDuty(p)) return '';
  const time = p.until_at ? formatTime(p.until_at) : '';
  if (p.state === 'break') return t(time ? 'ticket.away.break' : 'ticket.away.breakNoTime', { provider: name, time });
  return t(time ? 'ticket.away.backAt' : 'ticket.away.offToday', { provider: name, time });
}

export function drawClosedCard(section) {
  section.replaceChildren(h('div', { class: 'qk-card closed-card' },
    h('h2', { id: 'closed-heading' }),
    h('p', { id: 'closed-reason', class: 'closed-reason' }),
    h('p', { id: 'closed-hint', class: 'qk-muted' })));
}

export function paintClosedCard(words) {
  setText($('closed-heading'), words.heading);
  setText($('closed-reason'), words.line);
  setText($('closed-hint'), words.hint);
}
