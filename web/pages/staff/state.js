// Queue Kiosk — Staff page: the shared state (window.__staff).
import { shopId } from "/lib/api.js";

export const SHOP = shopId();
// Two choices this device remembers, and they answer different questions:
// VIEW_KEY  "Showing": whose waiting customers the lists show (a filter, may be everyone);
// CHAIR_KEY "I serve at": the provider this device calls customers to. Call next (and
//           Call on a row) send the customer there, so the TV names that provider, not
//           the front desk (SPEC §9). A reception PC may show everyone and still serve
//           at chair 2; without a chair, call next follows the view as before.
export const VIEW_KEY = `qk.staff.view.${SHOP}`;
export const CHAIR_KEY = `qk.staff.chair.${SHOP}`;

export const S = {
  queue: null,            // the last queue display body (queue_update)
  providers: new Map(),   // id -> provider, retired ones too (their tickets keep the name)
  providersAt: 0,
  services: new Map(),    // id -> service, from every queue body (web/lib/services.js)
  view: null,             // provider id, or null = everyone
  chair: null,            // provider id this device serves at, or null = not chosen
  drag: null,             // {full, slots, version} while a drag is going on
  saving: false,          // a reorder is on its way to the server
  parked: null,           // a queue body that arrived during a drag / save
  apptDay: null,          // the day the appointments panel shows (YYYY-MM-DD), null = today
  otherDay: null,         // that day's appointments (null until they arrive)
  rooms: null,            // the notifications socket
  me: null,               // the signed-in person (a PIN session), for the Log out title
};
window.__staff = S;       // for tests and for the curious

// Who works when (week.js, timeoff.js): the week shown and what it holds.
export const W = {
  today: null,            // the shop's today (YYYY-MM-DD), from the queue bodies
  monday: null,           // the Monday of the week shown
  loaded: null,           // the Monday whose rows were read
  schedules: new Map(),   // id -> schedule {id, provider_id, date, start, end, kind}
  timeoff: new Map(),     // id -> time off {id, provider_id, start_date, end_date, reason, status}
};
S.week = W;

/** Whom Call next calls for: this device's chair, else the provider it shows, else anyone. */
export function callTarget() {
  return S.chair ?? S.view;
}
