// Queue Kiosk — a customer's wait in words, honest about what the appliance knows (SPEC §10).
//
//   import { customerWait } from '/lib/waits.js';
//
// customerWait(minutes, range, {short}) -> string
//   With the server's `estimated_wait_range` [low, high] (minutes): a range, "10–20 min",
//   "up to 15 min" (low 0), "1 h to 1 h 30 min" — never a single figure the history cannot
//   back. Without a range (null: enough history for one figure), the usual waitText:
//   "about 15 min" (short: "~15 min"), "any moment". Used by the kiosk ticket, the phone's
//   own ticket (/t/{claim}) and the TV's next-up rows.
import { t } from './i18n.js';
import { waitText } from './ui.js';

function span(minutes) {
  if (minutes < 60) return t('common.duration.minutes', { minutes });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? t('common.duration.hoursMinutes', { hours, minutes: rest }) : t('common.duration.hours', { hours });
}

export function customerWait(minutes, range = null, { short = false } = {}) {
  if (Array.isArray(range) && range.length === 2) {
    const low = Math.max(0, Math.round(Number(range[0])));
    const high = Math.max(0, Math.round(Number(range[1])));
    if (high > low) {
      if (low === 0) return t('common.waitRange.upTo', { high: span(high) });
      if (high < 60) return t('common.waitRange.minutes', { low, high });
      return t('common.waitRange.long', { low: span(low), high: span(high) });
    }
    minutes = high;  // a range of one figure: said like one
  }
  return waitText(minutes, { short });
}
