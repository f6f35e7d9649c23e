// Queue Kiosk — Kiosk page: what an appointment's place in line means for the customer
// who just checked in (SPEC §10: the check-in answer's `placement`). One whole sentence
// per case from the catalog; the time is the appointment's, in the page's clock style.
import { clockTime } from '/lib/ui.js';
import { t } from '/lib/i18n.js';

const SAY = {
  early: ['kiosk.placement.earlyAt', 'kiosk.placement.early'],
  on_time: ['kiosk.placement.onTimeAt', 'kiosk.placement.onTime'],
  late: ['kiosk.placement.lateAt', 'kiosk.placement.late'],
  no_time: ['kiosk.placement.noTime', 'kiosk.placement.noTime'],
};

/** The sentence for a check-in's `placement` ('' for a walk-in's ticket or no answer). */
export function placementSentence(entry, appointment = null) {
  const keys = entry && SAY[entry.placement];
  if (!keys) return '';
  const time = appointment && appointment.starts_at ? clockTime(appointment.starts_at) : '';
  return time ? t(keys[0], { time }) : t(keys[1]);
}
