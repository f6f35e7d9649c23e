// Queue Kiosk — Staff page: the shop's hours and who is on duty now (SPEC §11).
//
// Every queue body carries `hours` (open or closed, until when) and `providers`, each
// with its duty (serving, available, on a break until 14:30, off). The top bar says
// whether the shop is open; the provider pickers and a row of chips under Call next say
// who is on duty; Call next for someone on a break or time off asks before calling.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, syncList } from "/lib/ui.js";
import { formatDate, formatTime, t } from "/lib/i18n.js";
import { S, callTarget } from "./state.js";
import { shopToday } from "./appointments.js";
import { shopDay } from "./week.js";

/** A provider's duty from the last queue body, or null when the body names none. */
export function dutyOf(id) {
  const list = (S.queue && S.queue.providers) || [];
  return list.find((p) => p.id === id) || null;
}

/** "on a break until 14:30", "off today", "available"… for one provider's duty. */
export function dutyText(p) {
  if (!p) return "";
  if (p.state === "serving") return t("staff.duty.serving");
  if (p.state === "available") return t("staff.duty.available");
  if (p.state === "break") return p.until_at ? t("staff.duty.breakUntil", { time: formatTime(p.until_at) }) : t("staff.duty.break");
  if (p.off_reason === "time_off") return t("staff.duty.timeOff");
  return p.until_at ? t("staff.duty.offUntil", { time: formatTime(p.until_at) }) : t("staff.duty.offToday");
}

const away = (p) => !!p && (p.state === "break" || p.state === "off");

// ------------------------------------------------------------------ drawing

/** After every render: the open state, the chips, the pickers' words, the week's day. */
export function drawDuty() {
  if (!S.queue) return;
  drawOpenState(S.queue.hours);
  const providers = (S.queue.providers || []).filter((p) => p.active !== false);
  syncList($("duty-list"), providers, (p) => p.id,
    () => h("li", { class: "duty-chip" }, h("span", { class: "duty-name" }), h("span", { class: "duty-state" })),
    (li, p) => {
      li.dataset.state = p.state;
      li.dataset.providerId = String(p.id);
      setText(li.querySelector(".duty-name"), p.name);
      setText(li.querySelector(".duty-state"), dutyText(p));
    });
  // A shop that keeps no hours and where nobody is away looks as it always did.
  const planned = !!(S.queue.hours && S.queue.hours.hours_set) || providers.some(away);
  $("duty-list").hidden = !planned;
  for (const select of [$("chair"), $("view"), $("walkin-provider")]) {
    for (const option of select.options) {
      if (!option.value) continue;
      const p = S.providers.get(Number(option.value));
      const duty = dutyOf(Number(option.value));
      if (!p) continue;
      setText(option, away(duty) ? t("staff.duty.option", { name: p.name, duty: dutyText(duty) }) : p.name);
    }
  }
  const target = dutyOf(callTarget());
  $("duty-hint").hidden = !away(target);
  if (away(target)) setText($("duty-hint"), t("staff.duty.hint", { provider: target.name, duty: dutyText(target) }));
  const today = shopToday();
  if (today) shopDay(today);
}

/** "Open until 19:00", "Closed · opens at 09:00", "Closed today: Christmas"; hidden for a
 * shop without opening hours (it is always open, as before). */
function drawOpenState(hours) {
  const box = $("open-state");
  if (!hours || !hours.hours_set) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.open = hours.open ? "yes" : "no";
  let text;
  if (hours.open) {
    text = hours.accepting_joins
      ? t("staff.open.until", { time: formatTime(hours.closes_at) })
      : t("staff.open.lastTickets", { time: formatTime(hours.closes_at) });
  } else {
    const opens = hours.opens_at;
    const when = !opens ? null : opens.slice(0, 10) === shopToday()
      ? t("staff.open.opensAt", { time: formatTime(opens) })
      : t("staff.open.opensOn", { day: formatDate(opens, { weekday: "long" }), time: formatTime(opens) });
    if (hours.closure != null) {
      text = hours.closure ? t("staff.open.closedFor", { reason: hours.closure }) : t("staff.open.closedToday");
    } else {
      text = t("staff.open.closed");
    }
    if (when) text = t("staff.open.closedThen", { closed: text, opens: when });
  }
  setText(box, text);
}

// ------------------------------------------------------------------ call anyway?

/** The off-duty question (SPEC §11): resolves true for "Call anyway", false otherwise. */
export function confirmOffDuty(details) {
  const p = dutyOf(details.provider_id);
  const provider = p ? p.name : String(S.providers.get(details.provider_id)?.name ?? "");
  let key = "staff.offDuty.off";
  if (details.state === "break") key = details.until ? "staff.offDuty.break" : "staff.offDuty.breakNoTime";
  else if (details.state === "off" || (p && p.off_reason === "time_off")) key = "staff.offDuty.timeOff";
  setText($("duty-confirm-text"), t(key, { provider, time: details.until ? formatTime(details.until) : "" }));
  const dialog = $("duty-confirm");
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.removeEventListener("close", onClose);
      $("duty-confirm-yes").removeEventListener("click", onYes);
      $("duty-confirm-no").removeEventListener("click", onNo);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    const onClose = () => done(false);   // Esc
    $("duty-confirm-yes").addEventListener("click", onYes);
    $("duty-confirm-no").addEventListener("click", onNo);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    $("duty-confirm-no").focus();
  });
}

/** POST call-next; a 409 `off_duty` becomes the question, and "Call anyway" sends it
 * again with force. Resolves to the entry called, or null when staff said no. */
export async function callNextConfirmed(path, body, opts) {
  try {
    return await apiFetch("POST", path, body, opts);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "off_duty") throw err;
    if (!(await confirmOffDuty(err.details || {}))) return null;
    return apiFetch("POST", path, { ...body, force: true }, opts);
  }
}
