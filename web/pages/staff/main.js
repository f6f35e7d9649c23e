import { apiFetch, ApiError, getToken, setToken, shopId } from "/lib/api.js";
import { h, setText, toast, syncList, clockTime } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { requireRole, logout, loginUrl } from "/lib/auth.js";
import Sortable from "/vendor/sortable/sortable.esm.js";
import {
  waitingOf, inView, spliceOrder, slotsOf, since, shortWait, statusLabel,
} from "/lib/staff-extras.js";

const SHOP = shopId();
const VIEW_KEY = `qk.staff.view.${SHOP}`;
const $ = (id) => document.getElementById(id);

const S = {
  queue: null,            // the last queue display body (queue_update)
  providers: new Map(),   // id -> provider (active ones)
  providersAt: 0,
  view: null,             // provider id, or null = everyone
  drag: null,             // {full, slots, version} while a drag is going on
  saving: false,          // a reorder is on its way to the server
  parked: null,           // a queue body that arrived during a drag / save
  rooms: null,            // the notifications socket
};
window.__staff = S;       // for tests and for the curious

// ------------------------------------------------------------------ data in

function apply(body) {
  if (!body || !Array.isArray(body.queue_items)) return;
  if (S.drag || S.saving) { S.parked = newer(S.parked, body); return; }
  if (S.queue && typeof body.seq === "number" && typeof S.queue.seq === "number"
      && body.seq < S.queue.seq) return;          // an older answer overtaken by the socket
  S.queue = body;
  if (body.shop_name) { setText($("shop-name"), body.shop_name); document.title = `Staff · ${body.shop_name}`; }
  const unknown = body.queue_items.some((e) => e.provider_id != null && !S.providers.has(e.provider_id));
  if (unknown || Date.now() - S.providersAt > 15000) loadProviders();
  render();
}

function newer(a, b) {
  if (!a) return b;
  return (b.seq ?? 0) >= (a.seq ?? 0) ? b : a;
}

async function loadProviders() {
  S.providersAt = Date.now();
  try {
    const list = await apiFetch("GET", `/api/v1/shops/${SHOP}/providers`);
    S.providers = new Map(list.map((p) => [p.id, p]));
    fillProviderPickers();
    if (S.queue) render();
  } catch (err) {
    S.providersAt = 0;
  }
}

async function refetchQueue() {
  try { apply(await apiFetch("GET", `/api/v1/shops/${SHOP}/queue`)); } catch { /* socket or poll will catch up */ }
}

function providerName(id) {
  if (id == null) return "anyone";
  const p = S.providers.get(id);
  return p ? p.name : `#${id}`;
}

// ------------------------------------------------------------------ pickers

function optionsFor(select, { anyLabel, value }) {
  const opts = [h("option", { value: "", text: anyLabel })];
  for (const p of S.providers.values()) opts.push(h("option", { value: String(p.id), text: p.name }));
  select.replaceChildren(...opts);
  select.value = value == null ? "" : String(value);
  if (select.value !== (value == null ? "" : String(value))) select.value = "";
}

function fillProviderPickers() {
  if (S.view != null && !S.providers.has(S.view)) setView(null, false);
  optionsFor($("view"), { anyLabel: "Everyone", value: S.view });
  const walkinSel = $("walkin-provider");
  const keep = walkinSel.value ? Number(walkinSel.value) : S.view;
  optionsFor(walkinSel, { anyLabel: "Anyone", value: keep });
  for (const li of document.querySelectorAll("[data-move]")) li.dataset.stale = "1";
}

function setView(id, save = true) {
  S.view = id;
  if (save) { try { localStorage.setItem(VIEW_KEY, id == null ? "" : String(id)); } catch { /* ok */ } }
  $("view").value = id == null ? "" : String(id);
  $("walkin-provider").value = id == null ? "" : String(id);
  setText($("call-next"), id == null ? "Call next" : `Call next for ${providerName(id)}`);
  if (S.queue) render();
}

$("view").addEventListener("change", (ev) => setView(ev.target.value ? Number(ev.target.value) : null));

// ------------------------------------------------------------------ rendering

function render() {
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
    `${waiting.length} waiting`,
    called ? `${called} called` : null,
    `${inService} in service`,
  ].filter(Boolean).join(" · "));
  setText($("call-next"), S.view == null ? "Call next" : `Call next for ${providerName(S.view)}`);
  $("call-next").disabled = waiting.length === 0;

  renderAppointments();
}

function actionButton(label, action, cls = "") {
  return h("button", { type: "button", class: `btn ${cls}`.trim(), dataset: { action }, text: label });
}

function moreMenu(kind) {
  const select = h("select", { class: "move", dataset: { move: "1" }, attrs: { "aria-label": "Move to" } });
  const items = [
    h("label", { class: "menu-move" }, h("span", { text: "Move to" }), select),
  ];
  if (kind !== "in_service") items.push(actionButton("No-show", "noshow", "ghost danger"));
  items.push(actionButton("Customer left", "left", "ghost"));
  return h("details", { class: "more" },
    h("summary", { class: "btn", attrs: { "aria-label": "More actions", title: "More actions" }, text: "⋯" }),
    h("div", { class: "menu" }, ...items));
}

function refreshMoveSelect(node, entry) {
  const select = node.querySelector("select.move");
  if (!select) return;
  const value = entry.provider_id == null ? "" : String(entry.provider_id);
  if (select.dataset.stale !== "0" || select.options.length !== S.providers.size + 1) {
    optionsFor(select, { anyLabel: "Anyone", value: entry.provider_id });
    select.dataset.stale = "0";
  }
  if (document.activeElement !== select) select.value = value;
}

function createRow(entry) {
  const li = h("li", { class: "row", dataset: { id: String(entry.id) } },
    h("span", { class: "grip", attrs: { "aria-label": "Drag to reorder", title: "Drag to reorder", role: "button" }, text: "⠿" }),
    h("span", { class: "pos", attrs: { "aria-label": "Position" } }),
    h("span", { class: "ticket" }),
    h("span", { class: "who" }, h("span", { class: "name" }), h("span", { class: "meta" })),
    h("span", { class: "row-actions" },
      actionButton("Call", "call", "primary"),
      actionButton("Start", "start"),
      moreMenu("waiting")));
  return li;
}

function updateRow(li, e) {
  li.dataset.status = e.status;
  setText(li.querySelector(".pos"), e.position_in_queue);
  setText(li.querySelector(".ticket"), e.ticket);
  setText(li.querySelector(".name"), e.full_name);
  const meta = [
    S.view == null || e.provider_id == null ? `for ${providerName(e.provider_id)}` : null,
    shortWait(e.estimated_wait_minutes),
    e.source === "appointment" ? `appointment ${apptTime(e.appointment_id)}`.trim() : null,
    e.checked_in_at && since(e.checked_in_at) !== "just now" ? `here ${since(e.checked_in_at)}` : null,
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
      actionButton("Start", "start", "primary"),
      actionButton("Complete", "complete", "primary"),
      actionButton("Recall", "recall"),
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
    providerName(e.provider_id),
    when ? `${e.status === "CALLED" ? "called" : "started"} ${since(when)}${since(when) === "just now" ? "" : " ago"}` : null,
  ].filter(Boolean).join(" · "));
  const called = e.status === "CALLED";
  li.querySelector('[data-action="start"]').hidden = !called;
  li.querySelector('[data-action="recall"]').hidden = !called;
  li.querySelector('[data-action="complete"]').hidden = called;
  const noshow = li.querySelector('[data-action="noshow"]');
  if (noshow) noshow.hidden = !called;
  refreshMoveSelect(li, e);
}

function renderAppointments() {
  const block = S.queue.appointments_today || { appointments: [] };
  const all = (block.appointments || []).filter((a) => a.status !== "cancelled");
  const list = all.filter((a) => S.view == null || a.provider_id === S.view)
    .sort((a, b) => String(a.starts_at || "").localeCompare(String(b.starts_at || "")) || (a.slot ?? 0) - (b.slot ?? 0));
  const done = list.filter((a) => ["checked_in", "in_progress", "completed"].includes(a.status)).length;
  setText($("appts-count"), list.length ? `${done} of ${list.length} checked in` : "");
  syncList($("appts"), list, (a) => a.id, createAppt, updateAppt);
  $("appts-empty").hidden = list.length > 0;
}

function createAppt(a) {
  return h("li", { class: "appt", dataset: { appointmentId: String(a.id) } },
    h("span", { class: "appt-time" }),
    h("span", { class: "who" }, h("span", {}, h("span", { class: "name" }), h("span", { class: "badge" })), h("span", { class: "meta" })),
    actionButton("Check in", "checkin", "primary small"));
}

function updateAppt(li, a) {
  const entry = a.queue_entry_id && S.queue.queue_items.find((e) => e.id === a.queue_entry_id);
  setText(li.querySelector(".appt-time"), clockTime(a.starts_at) || (a.slot != null ? `#${a.slot}` : ""));
  setText(li.querySelector(".name"), a.customer ? a.customer.name : "");
  setText(li.querySelector(".meta"), [
    S.view == null ? providerName(a.provider_id) : null,
    entry ? `${entry.ticket}${entry.position_in_queue ? ` · #${entry.position_in_queue} in line` : ""}` : null,
  ].filter(Boolean).join(" · "));
  const badge = li.querySelector(".badge");
  setText(badge, statusLabel(a.status));
  badge.dataset.status = a.status;
  li.dataset.status = a.status;
  const canCheckIn = ["scheduled", "confirmed"].includes(a.status);
  li.querySelector('[data-action="checkin"]').hidden = !canCheckIn;
  badge.hidden = canCheckIn && a.status === "scheduled";   // the button says it all
}

// ------------------------------------------------------------------ actions

function entryOf(id) {
  return S.queue && S.queue.queue_items.find((e) => e.id === id);
}

function who(e) { return e ? `${e.ticket} ${e.full_name}` : "ticket"; }

async function write(method, path, body, label, button) {
  if (button) button.disabled = true;
  try {
    const data = await apiFetch(method, path, body, { label });
    if (data && data.queued) {
      toast(`No connection: "${label}" will be sent when the appliance is back.`, "warning");
    } else if (!live || !live.connected) {
      refetchQueue();
    }
    return data;
  } catch (err) {
    failed(err, label);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

function failed(err, label) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    showSignin(err.status === 403
      ? "This token may not run the queue (it needs the staff role)."
      : "The sign-in is missing or no longer valid.");
  }
  const msg = err instanceof ApiError ? err.message : String(err);
  toast(`${label} failed: ${msg}`, "error", { timeoutMs: 8000 });
}

const STATUS_FOR = {
  call: ["CALLED", "Call"], start: ["IN_SERVICE", "Start"], complete: ["COMPLETED", "Complete"],
  recall: ["CHECKED_IN", "Recall"], noshow: ["NO_SHOW", "No-show"], left: ["LEFT", "Left"],
};

document.addEventListener("click", async (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (!button) {
    // A click outside an open menu closes it.
    for (const d of document.querySelectorAll("details.more[open]")) if (!d.contains(ev.target)) d.open = false;
    return;
  }
  const action = button.dataset.action;
  if (action === "checkin") {
    const id = Number(button.closest("[data-appointment-id]").dataset.appointmentId);
    const data = await write("POST", "/api/v1/checkins", { appointment_id: id }, "Check in", button);
    if (data && data.ticket) toast(`Checked in: ${data.ticket} ${data.full_name}`, "success");
    return;
  }
  const holder = button.closest("[data-id]");
  if (!holder || !STATUS_FOR[action]) return;
  const id = Number(holder.dataset.id);
  const e = entryOf(id);
  const [status, label] = STATUS_FOR[action];
  const menu = button.closest("details");
  if (menu) menu.open = false;
  const data = await write("PATCH", `/api/v1/queue/${id}`, { status }, `${label} ${e ? e.ticket : ""}`.trim(), button);
  if (data && action === "call" && !data.queued) toast(`Called ${who(data)}`, "success");
});

document.addEventListener("change", async (ev) => {
  const select = ev.target.closest("select.move");
  if (!select) return;
  const id = Number(select.closest("[data-id]").dataset.id);
  const e = entryOf(id);
  const provider = select.value ? Number(select.value) : null;
  const menu = select.closest("details");
  if (menu) menu.open = false;
  const data = await write("PATCH", `/api/v1/queue/${id}`, { provider_id: provider },
    `Move ${e ? e.ticket : ""}`.trim());
  if (data && !data.queued) toast(`${who(data)} moved to ${provider == null ? "anyone (first free)" : providerName(provider)}`, "success");
});

document.addEventListener("toggle", (ev) => {
  const d = ev.target;
  if (d.matches && d.matches("details.more") && d.open) {
    for (const other of document.querySelectorAll("details.more[open]")) if (other !== d) other.open = false;
  }
}, true);

$("call-next").addEventListener("click", async () => {
  const button = $("call-next");
  button.disabled = true;
  try {
    const body = S.view == null ? {} : { provider_id: S.view };
    const data = await apiFetch("POST", `/api/v1/shops/${SHOP}/queue/call-next`, body, { label: "Call next", outbox: false });
    toast(`Called ${who(data)}${data.provider_id ? ` for ${providerName(data.provider_id)}` : ""}`, "success");
    if (!live || !live.connected) refetchQueue();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      toast(S.view == null ? "Nobody is waiting." : `Nobody is waiting for ${providerName(S.view)}.`, "info");
    } else {
      failed(err, "Call next");
    }
  } finally {
    button.disabled = !S.queue || waitingOf(S.queue.queue_items).filter((e) => inView(e, S.view)).length === 0;
  }
});

$("walkin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("walkin-name").value.trim();
  if (!name) { $("walkin-name").focus(); return; }
  const body = { full_name: name };
  const phone = $("walkin-phone").value.trim();
  if (phone) body.phone = phone;
  const provider = $("walkin-provider").value;
  if (provider) body.provider_id = Number(provider);
  const data = await write("POST", `/api/v1/shops/${SHOP}/queue`, body, `Add ${name}`, $("walkin-add"));
  if (data) {
    $("walkin-name").value = "";
    $("walkin-phone").value = "";
    $("walkin-name").focus();
  }
});

// ------------------------------------------------------------------ drag and drop

function showNotice(text, kind = "error") {
  const box = $("order-notice");
  box.dataset.kind = kind;
  setText(box.querySelector(".notice-text"), text);
  box.hidden = false;
}
$("order-notice").querySelector(".notice-close").addEventListener("click", () => { $("order-notice").hidden = true; });

function visibleRows() {
  return [...$("waiting").children].filter((el) => el.classList.contains("row") && !el.classList.contains("row-drag"));
}

/** While dragging: every visible row shows the position it would get if dropped now. */
function renumber() {
  if (!S.drag) return;
  const rows = visibleRows();
  rows.forEach((li, i) => setText(li.querySelector(".pos"), S.drag.slots[i]));
  const clone = document.querySelector(".row-drag .pos");
  const dragged = document.querySelector("#waiting .row-chosen");
  if (clone && dragged) setText(clone, dragged.querySelector(".pos").textContent);
}

Sortable.create($("waiting"), {
  handle: ".grip",
  draggable: ".row",
  forceFallback: true,        // the same pointer/touch code path everywhere (HTML5 DnD fails on tablets)
  fallbackOnBody: true,
  fallbackTolerance: 3,
  animation: 120,
  ghostClass: "row-ghost",
  chosenClass: "row-chosen",
  dragClass: "row-drag",
  onStart() {
    const full = waitingOf(S.queue.queue_items).map((e) => e.id);
    const visible = visibleRows().map((li) => Number(li.dataset.id));
    S.drag = { full, visible, slots: slotsOf(full, visible), version: S.queue.version };
    for (const d of document.querySelectorAll("details.more[open]")) d.open = false;
    document.body.classList.add("dragging");
  },
  onChange: renumber,
  onMove() { requestAnimationFrame(renumber); },
  async onEnd() {
    document.body.classList.remove("dragging");
    const drag = S.drag;
    const order = visibleRows().map((li) => Number(li.dataset.id));
    S.drag = null;
    if (!drag || order.join() === drag.visible.join()) { settle(); return; }
    $("order-notice").hidden = true;
    renumberFinal(drag, order);
    S.saving = true;
    document.body.classList.add("saving");
    try {
      const entryIds = spliceOrder(drag.full, order);
      const body = await apiFetch("PUT", `/api/v1/shops/${SHOP}/queue/order`,
        { entry_ids: entryIds, version: drag.version }, { label: "Reorder", outbox: false });
      S.saving = false;
      S.parked = newer(S.parked, body);
      settle();
    } catch (err) {
      S.saving = false;
      rollBack(err);
    } finally {
      document.body.classList.remove("saving");
    }
  },
});

function renumberFinal(drag, order) {
  visibleRows().forEach((li, i) => setText(li.querySelector(".pos"), drag.slots[i]));
}

/** Apply whatever arrived during the drag / save (or redraw what we had). */
function settle() {
  const parked = S.parked;
  S.parked = null;
  if (parked) { S.queue = null; apply(parked); } else render();
}

function rollBack(err) {
  if (err instanceof ApiError && err.code === "stale_version") {
    showNotice("Someone changed the queue while you were dragging, so your move was not saved. "
      + "The list now shows the current order; drag again if needed.");
  } else if (err instanceof ApiError && err.status === 0) {
    showNotice("No connection to the appliance: the new order was not saved. The list shows the last known order.");
  } else {
    showNotice(`The new order was not saved: ${err.message || err}. The list shows the current order.`);
  }
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) failed(err, "Reorder");
  // Put the rows back in the server's order at once (details.entry_ids), then the full data.
  const ids = err && err.details && Array.isArray(err.details.entry_ids) ? err.details.entry_ids : null;
  const parked = S.parked;
  S.parked = null;
  if (parked) { S.queue = null; apply(parked); }
  else if (ids && S.queue) {
    const rank = new Map(ids.map((id, i) => [id, i + 1]));
    S.queue = { ...S.queue, version: err.details.version ?? S.queue.version,
      queue_items: S.queue.queue_items.map((e) => rank.has(e.id) ? { ...e, position_in_queue: rank.get(e.id) } : e)
        .filter((e) => e.status !== "CHECKED_IN" || rank.has(e.id)) };
    render();
  } else {
    render();
  }
  refetchQueue();
}

// ------------------------------------------------------------------ sign-in

function showSignin(why) {
  // A PIN session that ended (signed out elsewhere, disabled): back to the PIN pad.
  if (!getToken()) { location.assign(loginUrl("staff")); return; }
  $("signin-pin").href = loginUrl("staff");
  if (why) setText($("signin-why"), why + " Paste a staff token below, or open this page from the owner's link.");
  $("signin").hidden = false;
}

$("signin-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = $("signin-token").value.trim();
  if (!token) return;
  setToken(token);
  location.reload();
});

async function checkSignin() {
  // /ws/stats needs staff: a cheap way to learn whether this token (or the PIN
  // session cookie) may run the queue, without changing anything.
  try {
    await apiFetch("GET", "/ws/stats");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      showSignin(err.status === 403 ? "This device's token may not run the queue (it needs the staff role)."
        : getToken() ? "This device's token is unknown or was revoked." : null);
    }
  }
}

// ------------------------------------------------------------------ live

let live = null;

function onQueueMessage(msg) {
  if (!msg || typeof msg !== "object") return;
  if (msg.type === "queue_update") apply(msg);
  else if (msg.type === "new_entry" && msg.queue_item) {
    const e = msg.queue_item;
    const forWhom = e.provider_id != null ? ` (${providerName(e.provider_id)})` : "";
    toast(`${e.ticket} ${e.full_name} joined${forWhom}`, "info");
  }
}

function onNotification(msg) {
  if (!msg || typeof msg !== "object" || msg.type !== "notification") return;
  const d = msg.data || {};
  const text = d.message || d.text || d.title || d.body || JSON.stringify(d);
  toast(String(text), msg.severity || d.severity || "info", { timeoutMs: 8000 });
}

function showWho(me) {
  if (!me || me.kind !== "session") return;  // tokens (scripts, paired devices) have no person
  setText($("who-name"), me.name || "");
  $("logout").title = `Log out ${me.name || ""}`.trim();
  $("who").hidden = false;
  $("logout").addEventListener("click", () => logout());
}

async function start() {
  // Without ?token= this screen needs a staff PIN session (else: the PIN pad at /login).
  showWho(await requireRole("staff"));
  const saved = (() => { try { return localStorage.getItem(VIEW_KEY); } catch { return null; } })();
  S.view = saved ? Number(saved) : null;
  getToken();
  loadProviders();
  checkSignin();
  live = new LiveSocket({
    url: `/ws/queue/${SHOP}/`,
    onMessage: onQueueMessage,
    poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: apply },
  }).start();
  // Notifications (seed 003 rooms): everything sent to everyone, or to this device's user.
  S.rooms = new LiveSocket({ url: "/ws/connect", onMessage: onNotification, indicator: false }).start();
  // Keep "here 12 min" and "called 3 min ago" fresh between updates.
  setInterval(() => { if (!S.drag && !S.saving) render(); }, 30000);
}

start();
