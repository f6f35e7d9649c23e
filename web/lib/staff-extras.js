// Helpers shared by the staff-side pages (/staff, /monitor, /admin).
//
// Not a socket client: live data comes from the one shared client in web/lib/
// (LiveSocket). This module only holds the queue-order arithmetic and the small
// formatters those pages need.
//
// DOM building, tokens, toasts and fetch come from web/lib/ui.js and api.js.

// ------------------------------------------------------------------ queue order

/** Waiting entries (CHECKED_IN) of a queue body, in line order. */
export function waitingOf(items) {
  return items
    .filter((e) => e.status === "CHECKED_IN")
    .sort((a, b) => a.position_in_queue - b.position_in_queue);
}

/**
 * The staff view of a provider: its own and unassigned tickets (SPEC §2).
 * `providerId` null = everyone.
 */
export function inView(entry, providerId) {
  return providerId == null || entry.provider_id == null || entry.provider_id === providerId;
}

/**
 * Splice a reordered visible subset back into the shop's whole line: the subset
 * keeps the slots it occupied, in its new order; everyone else stays put.
 * spliceOrder([1,2,3,4,5], [4,2]) -> [1,4,3,2,5]
 */
export function spliceOrder(fullIds, newVisibleIds) {
  const visible = new Set(newVisibleIds);
  const queue = [...newVisibleIds];
  const out = fullIds.map((id) => (visible.has(id) ? queue.shift() : id));
  if (queue.length) throw new Error("visible ids are not all in the line");
  return out;
}

/** The shop-wide positions (1-based) the visible ids occupy, ascending. */
export function slotsOf(fullIds, visibleIds) {
  const visible = new Set(visibleIds);
  const slots = [];
  fullIds.forEach((id, i) => { if (visible.has(id)) slots.push(i + 1); });
  return slots;
}

// ------------------------------------------------------------------ formatting

/** "just now", "4 min", "1 h 20 min" since an ISO time. */
export function since(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const min = Math.max(0, Math.floor((now - t) / 60000));
  if (min < 1) return "just now";
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Compact wait for staff screens: "wait ~12 min". */
export function shortWait(minutes) {
  if (minutes === null || minutes === undefined) return "";
  if (minutes <= 0) return "up next";
  if (minutes < 60) return `wait ~${minutes} min`;
  return `wait ~${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export const STATUS_LABEL = {
  CHECKED_IN: "Waiting",
  CALLED: "Called",
  IN_SERVICE: "In service",
  COMPLETED: "Done",
  LEFT: "Left",
  NO_SHOW: "No-show",
  CANCELLED: "Cancelled",
  scheduled: "Booked",
  confirmed: "Confirmed",
  checked_in: "Checked in",
  in_progress: "In service",
  completed: "Done",
  cancelled: "Cancelled",
  no_show: "No-show",
  called: "Called",
  in_service: "In service",
  left: "Left",
};

export function statusLabel(status) {
  return STATUS_LABEL[status] || String(status || "");
}

/** Today's date (YYYY-MM-DD) in this browser's time zone. */
export function localToday() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
