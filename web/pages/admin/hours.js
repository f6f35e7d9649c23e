// Queue Kiosk — Admin page: the shop's opening hours (SPEC §11). Several intervals per
// weekday, closures (holidays) with a reason, the last-join cutoff, or "always open"
// (opening_hours null), all saved with one PATCH of the shop. The carry-over switch
// beside it is an appliance setting (settings.js).
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { formatDate, t } from "/lib/i18n.js";
import { A, errorText, redrawOnChange, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";
import { loadPendingTimeoff } from "./timeoff.js";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
// A week for a shop that had none: Monday to Saturday, 09:00 to 18:00.
const FIRST_WEEK = Object.fromEntries(WEEKDAYS.map((d) => [d, d === "sun" ? [] : [["09:00", "18:00"]]]));
const DAY_END = "24:00";   // an interval to the day's end; a time input shows it as 00:00

// The draft being edited; null until the shop is read. `dirty` keeps a live refresh of
// the shop (any queue change re-reads it) from undoing what the owner is typing.
const H = { draft: null, dirty: false, error: null };
window.__hours = H;

/** "Monday" in the page's language (2024-01-01 was a Monday). */
export function weekdayName(day, style = "long") {
  return formatDate(`2024-01-0${1 + WEEKDAYS.indexOf(day)}`, { weekday: style });
}

const copy = (weekly) => Object.fromEntries(WEEKDAYS.map((d) => [d, (weekly[d] || []).map((p) => [...p])]));

function draftOf(shop) {
  return {
    always: shop.opening_hours == null,
    weekly: copy(shop.opening_hours || FIRST_WEEK),
    closures: (shop.closures || []).map((c) => ({ ...c })),
    lastJoin: shop.last_join_minutes ?? 15,
  };
}

/** The shop as read (settings.js loadShop, also after every live refresh). */
export function showHours(shop) {
  loadPendingTimeoff();
  if (!shop || (H.dirty && H.draft)) return;
  H.draft = draftOf(shop);
  drawHours();
}

function touched() {
  H.dirty = true;
  setText($("hours-state"), t("admin.hours.unsaved"));
}

// ------------------------------------------------------------------ drawing

function timeInput(value, label, onInput) {
  return h("input", { type: "time", class: "field", value: value === DAY_END ? "00:00" : value, step: 300,
    attrs: { "aria-label": label }, on: { input: (ev) => { onInput(ev.target.value); touched(); } } });
}

function removeButton(label, onClick) {
  return h("button", { type: "button", class: "btn slim ghost hours-remove", text: "×",
    attrs: { "aria-label": label, title: label }, on: { click: () => { onClick(); touched(); drawHours(); } } });
}

function dayRow(day) {
  const name = weekdayName(day);
  const list = H.draft.weekly[day];
  const intervals = list.map((pair, i) => h("span", { class: "hours-interval" },
    timeInput(pair[0], t("admin.hours.opensAria", { day: name }), (v) => { pair[0] = v; }),
    h("span", { class: "dash", attrs: { "aria-hidden": "true" }, text: "–" }),
    timeInput(pair[1], t("admin.hours.closesAria", { day: name }), (v) => { pair[1] = v === "00:00" ? DAY_END : v; }),
    removeButton(t("admin.hours.removeInterval", { day: name }), () => list.splice(i, 1))));
  const add = h("button", { type: "button", class: "btn slim hours-add", dataset: { day },
    text: list.length ? t("admin.hours.addMore") : t("admin.hours.addInterval"),
    on: { click: () => { list.push(nextInterval(list)); touched(); drawHours(); } } });
  return h("div", { class: "hours-day", dataset: { day } },
    h("span", { class: "hours-dayname", text: name }),
    h("span", { class: "hours-intervals" },
      ...intervals,
      list.length ? null : h("span", { class: "muted hours-closed", text: t("admin.hours.closedDay") }),
      add));
}

/** A new interval after the day's last one (an hour's pause, then two hours). */
function nextInterval(list) {
  if (!list.length) return ["09:00", "17:00"];
  const last = list[list.length - 1][1];
  const [hh, mm] = (last === DAY_END ? "23:00" : last || "17:00").split(":").map(Number);
  const at = (m) => `${String(Math.floor(Math.min(m, 1439) / 60)).padStart(2, "0")}:${String(Math.min(m, 1439) % 60).padStart(2, "0")}`;
  const start = hh * 60 + mm + 60;
  return [at(start), at(start + 120)];
}

function closureRow(c, i) {
  return h("li", { class: "hours-closure form-row" },
    h("input", { type: "date", class: "field", value: c.date || "", attrs: { "aria-label": t("admin.hours.closureDate") },
      on: { input: (ev) => { c.date = ev.target.value; touched(); } } }),
    h("input", { class: "field grow", value: c.reason || "", maxLength: 100,
      attrs: { "aria-label": t("admin.hours.closureReason"), placeholder: t("admin.hours.reasonPlaceholder") },
      on: { input: (ev) => { c.reason = ev.target.value; touched(); } } }),
    removeButton(t("admin.hours.removeClosure"), () => H.draft.closures.splice(i, 1)));
}

export function drawHours() {
  if (!H.draft) return;
  const d = H.draft;
  $("hours-always").checked = d.always;
  $("hours-set").hidden = d.always;
  $("hours-week").replaceChildren(...WEEKDAYS.map(dayRow));
  $("hours-closures").replaceChildren(...d.closures.map(closureRow));
  if (document.activeElement !== $("hours-lastjoin")) $("hours-lastjoin").value = String(d.lastJoin);
  showError();
  if (!H.dirty) setText($("hours-state"), "");
}
redrawOnChange(drawHours);

// ------------------------------------------------------------------ saving

/** A refusal of the hours in the owner's words: which day, and what is wrong. */
export function hoursError(err) {
  if (!(err instanceof ApiError) || err.code !== "invalid_field") return errorText(err);
  const field = String(err.details.field || "");
  const reason = String(err.details.reason || "");
  const day = /^opening_hours\.(\w{3})/.exec(field);
  if (day && WEEKDAYS.includes(day[1])) {
    const key = /overlap/.test(reason) ? "overlap" : /after it starts/.test(reason) ? "order"
      : /at most/.test(reason) ? "tooMany" : "time";
    return t(`admin.hours.error.${key}`, { day: weekdayName(day[1]) });
  }
  if (field.startsWith("closures.reason")) return t("admin.hours.error.closureReason");
  if (field.startsWith("closures")) return t("admin.hours.error.closureDate");
  if (field === "last_join_minutes") return t("admin.hours.error.lastJoin");
  return errorText(err);
}

function showError() {
  const box = $("hours-error");
  box.hidden = !H.error;
  setText(box, H.error ? H.error() : "");
}

function body() {
  const d = H.draft;
  const lastJoin = Number($("hours-lastjoin").value);
  return {
    opening_hours: d.always ? null : copy(d.weekly),
    closures: d.closures.filter((c) => c.date || c.reason).map((c) => ({ date: c.date, reason: (c.reason || "").trim() })),
    last_join_minutes: Number.isFinite(lastJoin) && $("hours-lastjoin").value !== "" ? lastJoin : -1,
  };
}

async function save(ev) {
  ev.preventDefault();
  if (!H.draft) return;
  const button = $("hours-save");
  button.disabled = true;
  try {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, body(), { outbox: false });
    A.shop = shop;
    H.dirty = false;
    H.error = null;
    H.draft = draftOf(shop);
    drawHours();
    toast(t(shop.opening_hours == null ? "admin.hours.savedAlways" : "admin.hours.saved"), "success");
    loadAudit();
  } catch (err) {
    H.error = () => t("admin.hours.failed", { reason: hoursError(err) });
    showError();
  } finally {
    button.disabled = false;
  }
}

$("hours-form").addEventListener("submit", save);
$("hours-always").addEventListener("change", (ev) => {
  if (!H.draft) return;
  H.draft.always = ev.target.checked;
  touched();
  drawHours();
});
$("hours-lastjoin").addEventListener("input", (ev) => { if (H.draft) { H.draft.lastJoin = ev.target.value; touched(); } });
$("hours-add-closure").addEventListener("click", () => {
  if (!H.draft) return;
  H.draft.closures.push({ date: "", reason: "" });
  touched();
  drawHours();
  const dates = $("hours-closures").querySelectorAll('input[type="date"]');
  if (dates.length) dates[dates.length - 1].focus();
});
