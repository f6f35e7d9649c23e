// Queue Kiosk — Staff page: drawing the queue, the serving cards and the appointments.
import { $, h, setText, syncList, clockTime } from "/lib/ui.js";
import { waitingOf, inView, since, minutesSince, shortWait, statusLabel } from "/lib/staff-extras.js";
import { t, formatNumber } from "/lib/i18n.js";
import { S, callTarget } from "./state.js";
import { providerLabel } from "./data.js";
import { activeProviders, optionsFor } from "./pickers.js";
import { renderAppointments, onAppointmentsChanged } from "./appointments.js";

onAppointmentsChanged(() => { if (S.queue) render(); });

// ------------------------------------------------------------------ rendering

export function render() {
  const q = S.queue;
  if (!q) return;
  const items = q.queue_items;
  const serving = items.filter((e) => e.status !== "CHECKED_IN" && inView(e, S.view));
  const waiting = waitingOf(items).filter((e) => inView(e, S.view));

  syncList($("serving"), serving, (e) => e.id, createCard, updateCard);
  $("serving-empty").hidden = serving.length > 0;

  syncList($("waiting"), waiting, (e) => e.id, createRow, updateRow);
  $("waiting-empty").hidden = waiting.length > 0;

  const inService = serving.filter((e) => e.status === "IN_SERVICE").length;
  const called = serving.length - inService;
  setText($("counts"), [
    t("staff.counts.waiting", { count: waiting.length }),
    called ? t("staff.counts.called", { count: called }) : null,
    t("staff.counts.inService", { count: inService }),
  ].filter(Boolean).join(" · "));
  setText($("call-next"), callNextLabel());
  $("call-next").disabled = !waitingOf(items).some((e) => inView(e, callTarget()));

  renderAppointments();
}

/** "Call next", or "Call next for Bob" at Bob's chair (or in Bob's view). */
export function callNextLabel() {
  const target = callTarget();
  return target == null ? t("staff.callNext") : t("staff.callNextFor", { provider: providerLabel(target) });
}

// Buttons and labels carry their catalog key (data-i18n): a language switch re-fills them.
function actionButton(key, action, cls = "") {
  return h("button", { type: "button", class: `btn ${cls}`.trim(), dataset: { action, i18n: key }, text: t(key) });
}

function moreMenu(kind) {
  const select = h("select", { class: "move", dataset: { move: "1", i18nAriaLabel: "staff.menu.moveTo" },
    attrs: { "aria-label": t("staff.menu.moveTo") } });
  const items = [
    h("label", { class: "menu-move" }, h("span", { dataset: { i18n: "staff.menu.moveTo" }, text: t("staff.menu.moveTo") }), select),
  ];
  if (kind !== "in_service") items.push(actionButton("staff.button.noshow", "noshow", "ghost danger"));
  items.push(actionButton("staff.button.left", "left", "ghost"));
  return h("details", { class: "more" },
    h("summary", { class: "btn", dataset: { i18nAriaLabel: "staff.menu.more", i18nTitle: "staff.menu.more" },
      attrs: { "aria-label": t("staff.menu.more"), title: t("staff.menu.more") }, text: "⋯" }),
    h("div", { class: "menu" }, ...items));
}

function refreshMoveSelect(node, entry) {
  const select = node.querySelector("select.move");
  if (!select) return;
  const value = entry.provider_id == null ? "" : String(entry.provider_id);
  if (select.dataset.stale !== "0" || select.options.length !== activeProviders().length + 1) {
    optionsFor(select, { anyLabel: t("staff.provider.anyone"), value: entry.provider_id });
    select.dataset.stale = "0";
  }
  if (document.activeElement !== select) select.value = value;
}

function createRow(entry) {
  const li = h("li", { class: "row", dataset: { id: String(entry.id) } },
    h("span", { class: "grip", dataset: { i18nAriaLabel: "staff.row.drag", i18nTitle: "staff.row.drag" },
      attrs: { "aria-label": t("staff.row.drag"), title: t("staff.row.drag"), role: "button" }, text: "⠿" }),
    h("span", { class: "pos", dataset: { i18nAriaLabel: "staff.row.position" }, attrs: { "aria-label": t("staff.row.position") } }),
    h("span", { class: "ticket" }),
    h("span", { class: "who" }, h("span", { class: "name" }), h("span", { class: "meta" })),
    h("span", { class: "row-actions" },
      actionButton("staff.button.call", "call", "primary"),
      actionButton("staff.button.start", "start"),
      moreMenu("waiting")));
  return li;
}

function updateRow(li, e) {
  li.dataset.status = e.status;
  setText(li.querySelector(".pos"), formatNumber(e.position_in_queue));
  setText(li.querySelector(".ticket"), e.ticket);
  setText(li.querySelector(".name"), e.full_name);
  const here = e.checked_in_at ? since(e.checked_in_at) : "";
  const at = e.source === "appointment" ? apptTime(e.appointment_id) : "";
  const meta = [
    S.view == null || e.provider_id == null
      ? (e.provider_id == null ? t("staff.row.forAnyone") : t("staff.row.for", { provider: providerLabel(e.provider_id) }))
      : null,
    shortWait(e.estimated_wait_minutes),
    e.source === "appointment" ? (at ? t("staff.row.appointmentAt", { time: at }) : t("staff.row.appointment")) : null,
    here ? t("staff.row.here", { duration: here }) : null,
  ].filter(Boolean).map(keepTogether).join(" · ");
  setText(li.querySelector(".meta"), meta);
  refreshMoveSelect(li, e);
}

/** Lines break between "for Bob Barber" and "wait ~8 min", never inside them. */
function keepTogether(text) {
  return String(text).replace(/ /g, "\u00a0");
}

function apptTime(id) {
  const list = (S.queue.appointments_today && S.queue.appointments_today.appointments) || [];
  const a = list.find((x) => x.id === id);
  return a ? clockTime(a.starts_at) : "";
}

function createCard(entry) {
  return h("li", { class: "card", dataset: { id: String(entry.id) } },
    h("div", { class: "card-top" }, h("span", { class: "ticket big-ticket" }), h("span", { class: "badge" })),
    h("div", { class: "name" }),
    h("div", { class: "meta" }),
    h("div", { class: "card-actions" },
      actionButton("staff.button.start", "start", "primary"),
      actionButton("staff.button.complete", "complete", "primary"),
      actionButton("staff.button.announce", "announce"),
      actionButton("staff.button.recall", "recall"),
      moreMenu("serving")));
}

function updateCard(li, e) {
  li.dataset.status = e.status;
  setText(li.querySelector(".ticket"), e.ticket);
  const badge = li.querySelector(".badge");
  setText(badge, statusLabel(e.status));
  badge.dataset.status = e.status;
  setText(li.querySelector(".name"), e.full_name);
  const when = e.status === "CALLED" ? e.called_at : e.started_at;
  setText(li.querySelector(".meta"), [
    e.provider_id == null ? t("staff.provider.anyone") : providerLabel(e.provider_id),
    when ? cardSince(e.status === "CALLED" ? CALLED_SINCE : STARTED_SINCE, when) : null,
  ].filter(Boolean).join(" · "));
  const called = e.status === "CALLED";
  li.querySelector('[data-action="start"]').hidden = !called;
  li.querySelector('[data-action="recall"]').hidden = !called;
  li.querySelector('[data-action="announce"]').hidden = !called;
  li.querySelector('[data-action="complete"]').hidden = called;
  const noshow = li.querySelector('[data-action="noshow"]');
  if (noshow) noshow.hidden = !called;
  refreshMoveSelect(li, e);
}

/** "called 3 min ago", "started just now": [key under a minute, key with {duration}]. */
const CALLED_SINCE = ["staff.card.calledJustNow", "staff.card.calledAgo"];
const STARTED_SINCE = ["staff.card.startedJustNow", "staff.card.startedAgo"];
function cardSince([justNow, ago], iso) {
  const minutes = minutesSince(iso);
  if (minutes === null) return null;
  return minutes < 1 ? t(justNow) : t(ago, { duration: since(iso) });
}
