// Queue Kiosk — Display page: the shop's hours and each provider's duty on the TV (SPEC §11).
//
//   paintClosed(q)       the "Closed — we open at 9:00 AM" note over the next-up list, or
//                        the last-join cutoff's; hidden while joins are taken. The server
//                        sends a queue body at each opening and cutoff, so the TV switches
//                        by itself.
//   orderDesks(desks)    a provider off for the rest of the day goes after the others
//   paintDuty(node, desk) an idle tile says "Available", "On a break until 2:30 PM",
//                        "Back at 1:00 PM" or "Off today" (and is dimmed when off all day)
import { $, setText } from '/lib/ui.js';
import { closedWords, dutyWords } from '/lib/hours.js';

export function paintClosed(q) {
  const words = closedWords(q);
  const box = $('closed-note');
  box.hidden = !words;
  document.documentElement.dataset.closed = words ? words.kind : '';
  if (!words) return;
  $('next-empty').hidden = true;  // never "walk right in" while the door is shut
  box.dataset.kind = words.kind;
  setText($('closed-heading'), words.heading);
  setText($('closed-reason'), words.line);
}

const offAllDay = (d) => !d.entries.length && !!d.provider && d.provider.state === 'off' && !d.provider.until_at;

export function orderDesks(desks) {
  return [...desks.filter((d) => !offAllDay(d)), ...desks.filter(offAllDay)];
}

export function paintDuty(node, desk) {
  const p = desk.provider;
  node.dataset.state = desk.entries.length ? 'serving' : (p && p.state) || 'available';
  node.classList.toggle('off', offAllDay(desk));
  setText(node.children[2], dutyWords(desk.entries.length ? null : p));
}
