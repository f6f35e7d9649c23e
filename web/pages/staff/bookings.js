// Queue Kiosk — Staff page: booking, moving and cancelling appointments (SPEC §9).
//
// One form for both: "Book" opens it empty for the day shown; "Move…" on an
// appointment opens it with its provider, date and time (the customer stays). Times are
// the shop's clock ("09:30"); the server adds that day's offset. A refusal is shown in
// the form as two catalog sentences: what failed, and why.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { t, has, formatDate, formatTime, onChange } from "/lib/i18n.js";
import { S } from "./state.js";
import { activeProviders } from "./pickers.js";
import { providerLabel, refetchQueue } from "./data.js";
import { errorText, failed } from "./actions.js";
import { appointmentShown, showDay, shownDay } from "./appointments.js";
import { live } from "./main.js";

let moving = null;       // the appointment being moved, or null while booking a new one
let shownError = null;   // [failedKey, reason key and params] of the sentence shown

const field = (id) => $(id).value.trim();

function openForm(appointment = null) {
  moving = appointment;
  const providers = activeProviders();
  const preferred = appointment ? appointment.provider_id : S.chair ?? S.view ?? (providers[0] && providers[0].id);
  $("book-provider").replaceChildren(...providers.map((p) => h("option", { value: String(p.id), text: p.name })));
  $("book-provider").value = preferred == null ? "" : String(preferred);
  $("book-date").value = appointment ? appointment.date : shownDay() || "";
  $("book-time").value = appointment && appointment.starts_at ? appointment.starts_at.slice(11, 16) : "";
  $("book-name").value = "";
  $("book-phone").value = "";
  $("book-name-row").hidden = $("book-phone-row").hidden = !!appointment;
  retitle();
  hideError();
  $("book-form").hidden = false;
  (appointment ? $("book-time") : $("book-name")).focus();
}

function retitle() {
  setText($("book-title"), moving
    ? t("staff.book.moveTitle", { name: moving.customer ? moving.customer.name : "" })
    : t("staff.book.newTitle"));
  setText($("book-save"), t(moving ? "staff.book.saveMove" : "staff.book.save"));
}

function closeForm() {
  $("book-form").hidden = true;
  moving = null;
}

function showError(failedKey, reason) {
  shownError = [failedKey, reason];
  setText($("book-error"), `${t(failedKey)} ${reason()}`);
  $("book-error").hidden = false;
}

function hideError() {
  shownError = null;
  $("book-error").hidden = true;
}

/** Why the server said no, in this form's words where it has some. */
function reasonOf(err) {
  if (err instanceof ApiError) {
    const fieldKey = err.details && err.details.field && `staff.book.bad.${err.details.field}`;
    if (err.code === "invalid_field" && fieldKey && has(fieldKey)) return t(fieldKey);
    if (err.code && has(`staff.book.error.${err.code}`)) return t(`staff.book.error.${err.code}`);
  }
  return errorText(err);
}

/** The first thing missing, as the catalog key of the sentence that asks for it. */
function missing() {
  if (!$("book-provider").value) return "staff.book.need.provider";
  if (!/^\d{4}-\d{2}-\d{2}$/.test(field("book-date"))) return "staff.book.need.date";
  if (!/^\d{2}:\d{2}$/.test(field("book-time"))) return "staff.book.need.time";
  if (!moving && !field("book-name")) return "staff.book.need.name";
  return null;
}

$("book-open").addEventListener("click", () => openForm(null));
$("book-close").addEventListener("click", closeForm);

$("book-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const failedKey = moving ? "staff.book.failed.move" : "staff.book.failed.book";
  const need = missing();
  if (need) { showError(failedKey, () => t(need)); return; }
  const where = { provider_id: Number($("book-provider").value), date: field("book-date"), time: field("book-time") };
  const save = $("book-save");
  save.disabled = true;
  try {
    let done;
    if (moving) {
      done = await apiFetch("PATCH", `/api/v1/appointments/${moving.id}`, where,
        { label: t("staff.book.saveMove"), outbox: false });
    } else {
      const patient = { name: field("book-name") };
      if (field("book-phone")) patient.phone = field("book-phone");
      done = await apiFetch("POST", "/api/v1/appointments", { ...where, patient },
        { label: t("staff.book.save"), outbox: false });
    }
    toast(t(moving ? "staff.toast.apptMoved" : "staff.toast.booked", {
      name: done.customer ? done.customer.name : "",
      provider: providerLabel(done.provider_id),
      date: formatDate(done.date, { weekday: "short", day: "numeric", month: "short" }),
      time: formatTime(done.starts_at),
    }), "success");
    closeForm();
    showDay(done.date);          // the day it is now on, where staff will look for it
    if (!live || !live.connected) refetchQueue();
  } catch (err) {
    showError(failedKey, () => reasonOf(err));
  } finally {
    save.disabled = false;
  }
});

// Move… and Cancel appointment, in each appointment's ⋯ menu. Cancelling takes a
// second press ("Yes, cancel it"): a slip of the finger must not lose a booking.
document.addEventListener("click", async (ev) => {
  const button = ev.target.closest('button[data-action^="appt-"]');
  if (!button) return;
  const li = button.closest("[data-appointment-id]");
  const appointment = li && appointmentShown(Number(li.dataset.appointmentId));
  if (!appointment) return;
  if (button.dataset.action === "appt-move") {
    button.closest("details").open = false;
    openForm(appointment);
    return;
  }
  if (button.dataset.armed !== "1") {
    button.dataset.armed = "1";
    button.dataset.i18n = "staff.book.cancelSure";
    setText(button, t("staff.book.cancelSure"));
    return;
  }
  button.disabled = true;
  try {
    await apiFetch("PATCH", `/api/v1/appointments/${appointment.id}`, { status: "cancelled" },
      { label: t("staff.book.cancel"), outbox: false });
    toast(t("staff.toast.apptCancelled", { name: appointment.customer ? appointment.customer.name : "" }), "success");
    if (!live || !live.connected) refetchQueue();
  } catch (err) {
    failed(err, t("staff.book.cancel"));
  } finally {
    button.disabled = false;
    delete button.dataset.armed;
    button.dataset.i18n = "staff.book.cancel";
    setText(button, t("staff.book.cancel"));
  }
});

onChange(() => {
  if ($("book-form").hidden) return;
  retitle();
  if (shownError) setText($("book-error"), `${t(shownError[0])} ${shownError[1]()}`);
});
