// Queue Kiosk — Staff page: the appointments panel, for today or any other day.
//
// Today's appointments come with every queue body (appointments_today). Another day's
// come from that day's appointments socket (/ws/appointments/{shop}/?date=), opened
// while the day is shown, so a booking made on another screen shows here at once.
import { $, h, setText, syncList, clockTime } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { statusLabel } from "/lib/staff-extras.js";
import { t, formatDate } from "/lib/i18n.js";
import { S, SHOP } from "./state.js";
import { providerLabel } from "./data.js";

// Appointments that can still be moved or cancelled from here (not yet checked in).
export const OPEN_BOOKING = ["scheduled", "confirmed"];

export function shopToday() {
  return (S.queue && S.queue.appointments_today && S.queue.appointments_today.date) || null;
}

/** The day the panel shows (YYYY-MM-DD). */
export function shownDay() {
  return S.apptDay ?? shopToday();
}

function dayAppointments() {
  if (S.apptDay == null) return (S.queue && S.queue.appointments_today && S.queue.appointments_today.appointments) || [];
  return S.otherDay || [];
}

let daySocket = null;
let redraw = () => {};

/** render.js hands over its redraw (it imports this module, not the other way round). */
export function onAppointmentsChanged(fn) { redraw = fn; }

export function showDay(day) {
  const today = shopToday();
  const other = day && day !== today ? day : null;
  if (other !== S.apptDay || (other && !daySocket)) {
    if (daySocket) { daySocket.stop(); daySocket = null; }
    S.apptDay = other;
    S.otherDay = null;
    if (other) {
      const take = (list) => { if (S.apptDay === other && Array.isArray(list)) { S.otherDay = list; redraw(); } };
      daySocket = new LiveSocket({
        url: `/ws/appointments/${SHOP}/?date=${other}`,
        indicator: false,
        onMessage: (msg) => { if (msg && msg.type === "appointment_update" && msg.date === other) take(msg.appointments); },
        poll: { url: `/api/v1/appointments?date=${other}&shop_id=${SHOP}`, everyMs: 5000, onData: take },
      }).start();
    }
  }
  redraw();
}

$("appts-date").addEventListener("change", (ev) => { if (ev.target.value) showDay(ev.target.value); });
$("appts-today").addEventListener("click", () => showDay(null));

export function renderAppointments() {
  const day = shownDay();
  const today = S.apptDay == null;
  if (document.activeElement !== $("appts-date")) $("appts-date").value = day || "";
  $("appts-today").hidden = today;
  setText($("appts-title"), today ? t("staff.appts.title") : t("staff.appts.titleOn", { date: formatDate(day) }));
  setText($("appts-empty"), today ? t("staff.appts.empty") : t("staff.appts.emptyOn"));
  const all = dayAppointments().filter((a) => a.status !== "cancelled");
  const list = all.filter((a) => S.view == null || a.provider_id === S.view)
    .sort((a, b) => String(a.starts_at || "").localeCompare(String(b.starts_at || "")) || (a.slot ?? 0) - (b.slot ?? 0));
  const done = list.filter((a) => ["checked_in", "in_progress", "completed"].includes(a.status)).length;
  setText($("appts-count"), list.length ? t("staff.appts.count", { done, count: list.length }) : "");
  syncList($("appts"), list, (a) => a.id, createAppt, (li, a) => updateAppt(li, a, today));
  $("appts-empty").hidden = list.length > 0 || (!today && S.otherDay === null);
}

function button(key, action, cls) {
  return h("button", { type: "button", class: `btn ${cls}`, dataset: { action, i18n: key }, text: t(key) });
}

function createAppt(a) {
  return h("li", { class: "appt", dataset: { appointmentId: String(a.id) } },
    h("span", { class: "appt-time" }),
    h("span", { class: "who" }, h("span", {}, h("span", { class: "name" }), h("span", { class: "badge" })), h("span", { class: "meta" })),
    button("staff.button.checkin", "checkin", "primary small"),
    h("details", { class: "more" },
      h("summary", { class: "btn", dataset: { i18nAriaLabel: "staff.menu.more", i18nTitle: "staff.menu.more" },
        attrs: { "aria-label": t("staff.menu.more"), title: t("staff.menu.more") }, text: "⋯" }),
      h("div", { class: "menu" },
        button("staff.book.move", "appt-move", "ghost"),
        button("staff.book.cancel", "appt-cancel", "ghost danger"))));
}

function updateAppt(li, a, today) {
  const entry = today && a.queue_entry_id && S.queue.queue_items.find((e) => e.id === a.queue_entry_id);
  setText(li.querySelector(".appt-time"), clockTime(a.starts_at) || (a.slot != null ? t("staff.appts.slot", { slot: a.slot }) : ""));
  setText(li.querySelector(".name"), a.customer ? a.customer.name : "");
  setText(li.querySelector(".meta"), [
    S.view == null ? providerLabel(a.provider_id) : null,
    entry && entry.position_in_queue && entry.status === "CHECKED_IN"
      ? t("staff.appts.inLine", { ticket: entry.ticket, position: entry.position_in_queue })
      : entry ? entry.ticket : null,
  ].filter(Boolean).join(" · "));
  const badge = li.querySelector(".badge");
  setText(badge, statusLabel(a.status));
  badge.dataset.status = a.status;
  li.dataset.status = a.status;
  const open = OPEN_BOOKING.includes(a.status);
  li.querySelector('[data-action="checkin"]').hidden = !open || !today;
  li.querySelector("details.more").hidden = !open;
  badge.hidden = open && a.status === "scheduled";   // the buttons say it all
}

/** The appointment shown in the panel with this id. */
export function appointmentShown(id) {
  return dayAppointments().find((a) => a.id === id) || null;
}
