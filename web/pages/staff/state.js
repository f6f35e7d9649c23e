// Queue Kiosk — Staff page: the shared state (window.__staff).
import { shopId } from "/lib/api.js";

export const SHOP = shopId();
export const VIEW_KEY = `qk.staff.view.${SHOP}`;

export const S = {
  queue: null,            // the last queue display body (queue_update)
  providers: new Map(),   // id -> provider (active ones)
  providersAt: 0,
  view: null,             // provider id, or null = everyone
  drag: null,             // {full, slots, version} while a drag is going on
  saving: false,          // a reorder is on its way to the server
  parked: null,           // a queue body that arrived during a drag / save
  rooms: null,            // the notifications socket
  me: null,               // the signed-in person (a PIN session), for the Log out title
};
window.__staff = S;       // for tests and for the curious
