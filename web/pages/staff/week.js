// Queue Kiosk — Staff page: who works when (SPEC §11, seed 004). A week of the shop's
// providers × 7 days with their shifts, breaks and time off; a cell's "+" or a shift's
// chip opens the form that adds, edits or deletes it.
//
// Live: the notifications socket (/ws/connect, main.js) joins the rooms `schedules` and
// `timeoff`; every write anywhere arrives as `schedule_created|updated|deleted` or
// `timeoff_created|updated` with seed 004's payload ({schedule, scheduleId}), and is
// applied here without a reload. A socket that cannot resume (`resync`) reads it all again.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { formatDate, formatTime, has, onChange, t } from "/lib/i18n.js";
import { SHOP, W } from "./state.js";
import { activeProviders } from "./pickers.js";
import { errorLine } from "./errorline.js";
import { errorText, failed } from "./actions.js";
import { drawTimeoff, loadTimeoff, onTimeoffChanged, timeoffOn } from "./timeoff.js";

export const WEEK_ROOMS = ["schedules", "timeoff"];

let editing = null;     // the schedule being edited, or null while adding one

// ------------------------------------------------------------------ dates

const DAY_MS = 86400000;
const asDate = (day) => new Date(`${day}T00:00:00Z`);
const iso = (d) => d.toISOString().slice(0, 10);
export const addDays = (day, n) => iso(new Date(asDate(day).getTime() + n * DAY_MS));
/** The Monday of a day's week. */
const mondayOf = (day) => addDays(day, -((asDate(day).getUTCDay() + 6) % 7));
/** "09:00" as the page's language writes a time. */
export const clock = (hm) => (hm === "24:00" ? formatTime("2000-01-02T00:00") : formatTime(`2000-01-01T${hm}`));
const providersKey = () => activeProviders().map((p) => `${p.id}:${p.name}`).join("|");
const days = () => Array.from({ length: 7 }, (_, i) => addDays(W.monday, i));

/** The shop's today, from every queue body (duty.js): the first one loads the week. */
let drawnFor = "";  // the providers the week was drawn for: a rename or a new one redraws it

export function shopDay(today) {
  if (W.today === today) {
    if (drawnFor !== providersKey()) drawWeek();
    return;
  }
  const first = W.today === null;
  const follow = W.monday === null || W.monday === mondayOf(W.today || today);
  W.today = today;
  if (first || follow) showWeek(mondayOf(today));
  else drawWeek();
}

async function showWeek(monday) {
  W.monday = monday;
  drawWeek();
  await loadWeek();
}

export async function loadWeek() {
  const monday = W.monday;
  if (!monday) return;
  const to = addDays(monday, 6);
  try {
    const [rows] = await Promise.all([
      apiFetch("GET", `/api/v1/shops/${SHOP}/schedules?from=${monday}&to=${to}`),
      loadTimeoff(monday, to),
    ]);
    if (W.monday !== monday) return;  // the week changed meanwhile
    W.schedules = new Map(rows.map((s) => [s.id, s]));
    W.loaded = monday;
    drawWeek();
  } catch (err) {
    if (err instanceof ApiError && err.status !== 0) failed(err, t("staff.week.title"));
  }
}

// ------------------------------------------------------------------ live

/** A rooms-socket message (main.js): seed 004's schedule and time-off events. */
export function onWeekMessage(msg) {
  if (!msg || typeof msg !== "object" || !msg.data) return;
  const d = msg.data;
  if (/^schedule_(created|updated)$/.test(msg.type) && d.schedule) {
    if (d.schedule.shop_id === SHOP) W.schedules.set(d.schedule.id, d.schedule);
  } else if (msg.type === "schedule_deleted" && d.schedule) {
    W.schedules.delete(d.schedule.id);
  } else if (/^timeoff_(created|updated)$/.test(msg.type) && d.timeoff) {
    if (d.timeoff.shop_id === SHOP) W.timeoff.set(d.timeoff.id, d.timeoff);
  } else {
    return;
  }
  drawWeek();
}

/** On every (re)open of the rooms socket: join the rooms. A resume replays what was
 * missed, but only after an event was seen (`since`): a reconnect also reads the week. */
export function joinWeekRooms(live, { reconnected = false } = {}) {
  for (const room of WEEK_ROOMS) live.send({ command: "join_room", room });
  if (reconnected) loadWeek();
}

// ------------------------------------------------------------------ drawing

function chip(s) {
  const text = s.kind === "break"
    ? t("staff.week.break", { start: clock(s.start), end: clock(s.end) })
    : t("staff.week.shift", { start: clock(s.start), end: clock(s.end) });
  return h("button", { type: "button", class: "week-chip", text,
    dataset: { kind: s.kind, scheduleId: String(s.id) },
    attrs: { title: t("staff.week.editTitle") },
    on: { click: () => openShift(s) } });
}

function offChip(off) {
  return h("span", { class: "week-chip week-off", dataset: { status: off.status, timeoffId: String(off.id) },
    text: off.status === "approved" ? t("staff.week.timeOff") : t("staff.week.timeOffRequested"),
    attrs: off.reason ? { title: off.reason } : {} });
}

function cell(p, day) {
  const items = [...W.schedules.values()]
    .filter((s) => s.provider_id === p.id && s.date === day)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.kind === "shift" ? -1 : 1));
  const off = timeoffOn(p.id, day);
  const dayName = formatDate(day, { weekday: "long", day: "numeric", month: "long" });
  const add = h("button", { type: "button", class: "week-add", text: "+",
    attrs: { "aria-label": t("staff.week.add", { provider: p.name, day: dayName }), title: t("staff.week.add", { provider: p.name, day: dayName }) },
    on: { click: () => openShift(null, p.id, day) } });
  return h("td", { class: "week-cell", dataset: { day, providerId: String(p.id), today: day === W.today ? "yes" : "no" } },
    ...off.map(offChip), ...items.map(chip), add);
}

export function drawWeek() {
  if (!W.monday) return;
  const week = days();
  setText($("week-label"), t("staff.week.range", {
    from: formatDate(week[0], { day: "numeric", month: "short" }),
    to: formatDate(week[6], { day: "numeric", month: "short", year: "numeric" }),
  }));
  $("week-now").hidden = !W.today || W.monday === mondayOf(W.today);
  $("week-head").replaceChildren(h("th", { scope: "col", class: "week-who", text: t("staff.week.provider") }),
    ...week.map((day) => h("th", { scope: "col", dataset: { today: day === W.today ? "yes" : "no" } },
      h("span", { class: "week-dayname", text: formatDate(day, { weekday: "short" }) }),
      h("span", { class: "week-date", text: formatDate(day, { day: "numeric", month: "short" }) }))));
  const providers = activeProviders();
  drawnFor = providersKey();
  $("week-body").replaceChildren(...providers.map((p) => h("tr", { dataset: { providerId: String(p.id) } },
    h("th", { scope: "row", class: "week-who", text: p.name }),
    ...week.map((day) => cell(p, day)))));
  drawTimeoff();
}

onTimeoffChanged(() => drawWeek());
onChange(() => { drawWeek(); if (!$("shift-form").hidden) retitle(); errors.redraw(); });

// Open on a tablet or PC; folded on a phone, where the queue comes first. Each device
// remembers the choice.
const BOX_KEY = `qk.staff.week.${SHOP}`;
try {
  const kept = localStorage.getItem(BOX_KEY);
  $("week-box").open = kept ? kept === "open" : !matchMedia("(max-width: 700px)").matches;
} catch { $("week-box").open = true; }
$("week-box").addEventListener("toggle", () => {
  try { localStorage.setItem(BOX_KEY, $("week-box").open ? "open" : "closed"); } catch { /* this visit only */ }
});

$("week-prev").addEventListener("click", () => showWeek(addDays(W.monday, -7)));
$("week-next").addEventListener("click", () => showWeek(addDays(W.monday, 7)));
$("week-now").addEventListener("click", () => showWeek(mondayOf(W.today)));

// ------------------------------------------------------------------ the form

function openShift(schedule, providerId = null, day = null) {
  editing = schedule;
  const providers = activeProviders();
  $("shift-provider").replaceChildren(...providers.map((p) => h("option", { value: String(p.id), text: p.name })));
  $("shift-provider").value = String(schedule ? schedule.provider_id : providerId);
  $("shift-date").value = schedule ? schedule.date : day;
  $("shift-kind").value = schedule ? schedule.kind : "shift";
  $("shift-start").value = schedule ? schedule.start : "";
  $("shift-end").value = schedule ? (schedule.end === "24:00" ? "00:00" : schedule.end) : "";
  $("shift-delete").hidden = !schedule;
  hideError();
  retitle();
  $("shift-form").hidden = false;
  $("shift-form").scrollIntoView({ block: "nearest" });
  $("shift-start").focus();
}

function retitle() {
  setText($("shift-title"), editing ? t("staff.shift.editTitle") : t("staff.shift.newTitle"));
}

function closeShift() {
  $("shift-form").hidden = true;
  editing = null;
  hideError();
}

const errors = errorLine("shift-error");
const showError = errors.show;
const hideError = errors.hide;

/** Why the server refused a schedule, in this form's words where it has some. */
function reasonOf(err) {
  if (err instanceof ApiError && err.code === "invalid_field") {
    const reason = String(err.details.reason || "");
    if (/after it starts/.test(reason)) return t("staff.shift.bad.order");
    const key = `staff.shift.bad.${err.details.field}`;
    if (has(key)) return t(key);
  }
  return errorText(err);
}

function fields() {
  const end = $("shift-end").value;
  return {
    provider_id: Number($("shift-provider").value),
    date: $("shift-date").value,
    kind: $("shift-kind").value,
    start: $("shift-start").value,
    end: end === "00:00" ? "24:00" : end,
  };
}

$("shift-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = fields();
  if (!body.start || !body.end) { showError(() => t("staff.shift.need.times")); return; }
  const button = $("shift-save");
  button.disabled = true;
  try {
    const saved = editing
      ? await apiFetch("PATCH", `/api/v1/schedules/${editing.id}`, body, { outbox: false })
      : await apiFetch("POST", `/api/v1/shops/${SHOP}/schedules`, body, { outbox: false });
    W.schedules.set(saved.id, saved);
    toast(t(editing ? "staff.shift.updated" : "staff.shift.added"), "success");
    closeShift();
    drawWeek();
  } catch (err) {
    const failedKey = editing ? "staff.shift.failedEdit" : "staff.shift.failedAdd";
    showError(() => `${t(failedKey)} ${reasonOf(err)}`);
  } finally {
    button.disabled = false;
  }
});

$("shift-delete").addEventListener("click", async () => {
  if (!editing) return;
  const button = $("shift-delete");
  button.disabled = true;
  try {
    await apiFetch("DELETE", `/api/v1/schedules/${editing.id}`, undefined, { outbox: false });
    W.schedules.delete(editing.id);
    toast(t("staff.shift.deleted"), "success");
    closeShift();
    drawWeek();
  } catch (err) {
    showError(() => `${t("staff.shift.failedDelete")} ${reasonOf(err)}`);
  } finally {
    button.disabled = false;
  }
});

$("shift-close").addEventListener("click", closeShift);
