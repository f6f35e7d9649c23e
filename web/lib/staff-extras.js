// Helpers shared by the staff-side pages (/staff, /monitor, /admin).
//
// Not a socket client: live data comes from the one shared client in web/lib/
// (LiveSocket). This module only holds the queue-order arithmetic and the small
// formatters those pages need.
//
// DOM building, tokens, toasts and fetch come from web/lib/ui.js and api.js.

import { t } from "./i18n.js";

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
// Every text comes from the page's language catalog (web/lib/i18n.js, keys `extras.*`
// and the shared `common.ticket.*` / `common.appointment.*` status labels).

/** Whole minutes since an ISO time (0 for "just now"), or null when there is no time. */
export function minutesSince(iso, now = Date.now()) {
  const t0 = Date.parse(iso);
  if (Number.isNaN(t0)) return null;
  return Math.max(0, Math.floor((now - t0) / 60000));
}

/** A length of time for a sentence's {duration}: "4 min", "1 h 20 min" ("" under a minute). */
export function duration(minutes) {
  if (minutes === null || minutes === undefined || minutes < 1) return "";
  if (minutes < 60) return t("extras.duration.minutes", { count: minutes });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest
    ? t("extras.duration.hoursMinutes", { hours, minutes: rest })
    : t("extras.duration.hours", { count: hours });
}

/** "4 min", "1 h 20 min" since an ISO time; "" for "just now" or no time. */
export function since(iso, now = Date.now()) {
  return duration(minutesSince(iso, now));
}

/**
 * Compact wait for staff screens: "wait ~12 min", "up next"; with the server's
 * `estimated_wait_range` [low, high] a range, "wait 10–20 min" or "wait up to 15 min",
 * never a single figure the history cannot back (SPEC §10).
 */
export function shortWait(minutes, range = null) {
  if (Array.isArray(range) && range.length === 2 && range[1] > range[0]) {
    const [low, high] = range;
    if (high < 60) {
      return low <= 0 ? t("extras.wait.upTo", { count: high }) : t("extras.wait.range", { low, high });
    }
    return low <= 0
      ? t("extras.wait.upToLong", { duration: duration(high) })
      : t("extras.wait.rangeLong", { low: duration(low), high: duration(high) });
  }
  if (Array.isArray(range) && range.length === 2) minutes = range[1];
  if (minutes === null || minutes === undefined) return "";
  if (minutes <= 0) return t("extras.wait.upNext");
  if (minutes < 60) return t("extras.wait.minutes", { count: minutes });
  return t("extras.wait.hoursMinutes", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
}

// Queue tickets (upper case, and the monitor's lower-case twins) and appointments.
export const STATUS_KEY = {
  CHECKED_IN: "common.ticket.CHECKED_IN",
  CALLED: "common.ticket.CALLED",
  IN_SERVICE: "common.ticket.IN_SERVICE",
  COMPLETED: "common.ticket.COMPLETED",
  LEFT: "common.ticket.LEFT",
  NO_SHOW: "common.ticket.NO_SHOW",
  CANCELLED: "common.ticket.CANCELLED",
  scheduled: "common.appointment.scheduled",
  confirmed: "common.appointment.confirmed",
  checked_in: "common.appointment.checked_in",
  in_progress: "common.appointment.in_progress",
  completed: "common.appointment.completed",
  cancelled: "common.appointment.cancelled",
  no_show: "common.appointment.no_show",
  called: "common.ticket.CALLED",
  in_service: "common.ticket.IN_SERVICE",
  left: "common.ticket.LEFT",
};

export function statusLabel(status) {
  return STATUS_KEY[status] ? t(STATUS_KEY[status]) : String(status || "");
}

/**
 * A whole sentence from the catalog with elements in it: textWith("k", {total: 3},
 * {checked: <b>}) for "{checked} of {total} checked in" -> ["", <b>, " of 3 checked in"],
 * children for ui.js h(). The sentence's word order stays the translator's.
 */
export function textWith(key, params, nodes) {
  const marks = {};
  for (const name of Object.keys(nodes)) marks[name] = `\u0001${name}\u0002`;
  const text = t(key, { ...params, ...marks });
  return text.split(/\u0001(\w+)\u0002/).map((part, i) => (i % 2 ? nodes[part] : part));
}

/** Today's date (YYYY-MM-DD) in this browser's time zone. */
export function localToday() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
