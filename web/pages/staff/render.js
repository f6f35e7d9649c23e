// Queue Kiosk — Staff page: drawing the queue, the serving cards and the appointments.
import { $, h, setText, syncList, clockTime } from "/lib/ui.js";
import { waitingOf, inView, since, minutesSince, shortWait, statusLabel } from "/lib/staff-extras.js";
import { t, formatNumber } from "/lib/i18n.js";
import { S, callTarget } from "./state.js";
import { providerLabel, serviceLabel } from "./data.js";
import { choosable, offers } from "/lib/services.js";
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
  showServicesHint();

  renderAppointments();
}

/** Waiting tickets Call next can reach, and those it cannot because this chair does not
 * offer their service (call-next skips them, SPEC §10). */
export function reach() {
  const target = callTarget();
  const waiting = S.queue ? waitingOf(S.queue.queue_items).filter((e) => inView(e, target)) : [];
  const eligible = waiting.filter((e) => offers(S.services.get(e.service_id), target, S.providers));
  return { eligible: eligible.length, skipped: waiting.length - eligible.length };
}

/** Under Call next: "3 waiting, none for a service Bob offers" when that is why it would
 * find nobody; hidden otherwise. */
function showServicesHint() {
  const { eligible, skipped } = reach();
  const hint = $("services-hint");
  hint.hidden = eligible > 0 || skipped === 0;
  if (!hint.hidden) setText(hint, t("staff.hint.noService", { count: skipped, provider: providerLabel(callTarget()) }));
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
  if (kind === "waiting") {
    // A transfer keeps the ticket's place (SPEC §10); priority places it again by the rule.
    const transfer = h("select", { class: "transfer", dataset: { i18nAriaLabel: "staff.menu.service" },
      attrs: { "aria-label": t("staff.menu.service") } });
    items.push(h("label", { class: "menu-move menu-service" },
      h("span", { dataset: { i18n: "staff.menu.service" }, text: t("staff.menu.service") }), transfer));
    items.push(actionButton("staff.menu.priorityOn", "priority", "ghost"));
  }
  items.push(actionButton("staff.reprint", "reprint", "ghost"));  // paper (staff/print.js)
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
  // Only those who do the ticket's service: the server refuses a move to anyone else.
  const only = (p) => offers(S.services.get(entry.service_id), p.id, S.providers);
  const service = String(entry.service_id);
  if (select.dataset.stale !== "0" || select.dataset.service !== service
      || select.options.length !== activeProviders().filter(only).length + 1) {
    optionsFor(select, { anyLabel: t("staff.provider.anyone"), value: entry.provider_id, only });
    select.dataset.stale = "0";
    select.dataset.service = service;
  }
  if (document.activeElement !== select) select.value = value;
}

/** The ⋯ menu's service choice: the shop's services this ticket's provider offers, and
 * the one it has now even if retired; hidden while the shop has no choice to offer. */
function refreshTransfer(node, entry) {
  const select = node.querySelector("select.transfer");
  if (!select) return;
  const list = choosable(S.services).filter((s) => s.id === entry.service_id
    || offers(s, entry.provider_id, S.providers));
  select.closest("label").hidden = list.length === 0;
  const key = `${list.map((s) => `${s.id}:${s.name}`).join("|")}/${entry.service_id}`;
  if (select.dataset.key !== key || select.dataset.stale === "1") {
    const opts = list.map((s) => h("option", { value: String(s.id), text: s.name }));
    if (entry.service_id == null) opts.unshift(h("option", { value: "", text: t("staff.walkin.serviceNone") }));
    else if (!list.some((s) => s.id === entry.service_id)) {
      opts.unshift(h("option", { value: String(entry.service_id), text: serviceLabel(entry.service_id) ?? "" }));
    }
    select.replaceChildren(...opts);
    select.dataset.key = key;
    select.dataset.stale = "0";
  }
  if (document.activeElement !== select) select.value = entry.service_id == null ? "" : String(entry.service_id);
}

/** A ticket's service on its row or card, where it tells staff something: in a shop of
 * one service every ticket is for it, so the name would only be noise. */
function serviceShown(e) {
  return S.services.size > 1 ? serviceLabel(e.service_id) : null;
}

/** The discreet mark of a priority ticket (staff screens only: the TV never says it). */
function priorityMark() {
  return h("span", { class: "prio", hidden: true, dataset: { i18nTitle: "staff.row.priority", i18nAriaLabel: "staff.row.priority" },
    attrs: { title: t("staff.row.priority"), "aria-label": t("staff.row.priority"), role: "img" }, text: "★" });
}

function showPriority(node, e) {
  node.dataset.priority = e.priority ? "true" : "false";
  node.querySelector(".prio").hidden = !e.priority;
  const toggle = node.querySelector('[data-action="priority"]');
  if (!toggle) return;
  const key = e.priority ? "staff.menu.priorityOff" : "staff.menu.priorityOn";
  toggle.dataset.i18n = key;
  setText(toggle, t(key));
}

function createRow(entry) {
  const li = h("li", { class: "row", dataset: { id: String(entry.id) } },
    h("span", { class: "grip", dataset: { i18nAriaLabel: "staff.row.drag", i18nTitle: "staff.row.drag" },
      attrs: { "aria-label": t("staff.row.drag"), title: t("staff.row.drag"), role: "button" }, text: "⠿" }),
    h("span", { class: "pos", dataset: { i18nAriaLabel: "staff.row.position" }, attrs: { "aria-label": t("staff.row.position") } }),
    h("span", { class: "ticket" }),
    h("span", { class: "who" }, h("span", { class: "name-line" }, priorityMark(), h("span", { class: "name" })),
      h("span", { class: "meta" })),
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
    serviceShown(e),
    S.view == null || e.provider_id == null
      ? (e.provider_id == null ? t("staff.row.forAnyone") : t("staff.row.for", { provider: providerLabel(e.provider_id) }))
      : null,
    shortWait(e.estimated_wait_minutes, e.estimated_wait_range),
    e.source === "appointment" ? (at ? t("staff.row.appointmentAt", { time: at }) : t("staff.row.appointment")) : null,
    here ? t("staff.row.here", { duration: here }) : null,
  ].filter(Boolean).map(keepTogether).join(" · ");
  setText(li.querySelector(".meta"), meta);
  showPriority(li, e);
  refreshMoveSelect(li, e);
  refreshTransfer(li, e);
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
    h("div", { class: "name-line" }, priorityMark(), h("span", { class: "name" })),
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
  showPriority(li, e);
  setText(li.querySelector(".meta"), [
    serviceShown(e),
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
