// Queue Kiosk — Monitor page (/monitor): the day's queue and appointments per provider.
import { apiFetch, param, shopId } from "/lib/api.js";
import { $, h, setText, syncList, clockTime } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { loginUrl, requireRole, logout } from "/lib/auth.js";
import { statusLabel, localToday, textWith } from "/lib/staff-extras.js";
import { startForShop, onChange, t, has, formatDate, formatNumber, kind, useKind } from "/lib/i18n.js";
import { shopId as languageShop } from "/lib/api.js";
import { learnClock, mountClock } from "/lib/clock.js";

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

const SHOP = shopId();
const M = { date: null, data: null, today: null, at: null, status: "connecting", error: null, me: null, shop: null };
window.__monitor = M;

const OPEN = new Set(["checked_in", "called", "in_service"]);

function queueCell(q) {
  if (!q) return h("span", { class: "none", text: "—" });
  const parts = [];
  if (q.ticket) parts.push(h("span", { class: "ticket", text: q.ticket }));
  if (q.status === "checked_in" && q.position != null) {
    parts.push(h("span", { class: "pos", attrs: { title: t("monitor.positionTitle") }, text: t("monitor.position", { position: q.position }) }));
  } else {
    parts.push(h("span", { class: "badge", dataset: { status: q.status }, text: statusLabel(q.status) }));
  }
  return parts;
}

function apptRow(a) {
  const p = a.patient || {};
  // Age and gender matter to a clinic's reception; a barber or a counter has no use for them.
  const clinic = kind() === "clinic";
  const bits = [p.phone, clinic && p.age != null ? t("monitor.age", { count: p.age }) : null,
    clinic ? genderLabel(p.gender) : null].filter(Boolean);
  // A phone number reads left to right on a right-to-left page too (<bdi dir=ltr>).
  const details = bits.length ? h("small", {}, bits.map((b, i) => [i ? " · " : "",
    h(b === p.phone ? "bdi" : "span", { class: "nw", text: b, attrs: b === p.phone ? { dir: "ltr" } : null })])) : null;
  return h("tr", { dataset: { appointmentId: String(a.appointment_id), status: a.status } },
    h("td", { class: "slot" }, a.slot != null ? t("monitor.slot", { slot: a.slot }) : "", h("small", { text: clockTime(a.starts_at) })),
    h("td", { class: "patient" }, p.name || "", details),
    h("td", {}, h("span", { class: "badge", dataset: { status: a.status }, text: statusLabel(a.status) })),
    h("td", { class: "q" }, queueCell(a.queue)));
}

function chip(w) {
  return h("li", { class: "chip", dataset: { entryId: String(w.entry_id), status: w.status } },
    h("span", { class: "t", text: w.ticket }),
    h("span", { class: "n", text: w.full_name }),
    w.status === "checked_in" && w.position != null
      ? h("span", { class: "pos", attrs: { title: t("monitor.positionTitle") }, text: t("monitor.position", { position: w.position }) })
      : h("span", { class: "badge", dataset: { status: w.status }, text: statusLabel(w.status) }));
}

/** A provider's walk-ins: the open ones as chips, the finished ones as a count. */
function walkins(list) {
  if (!list.length) return null;
  const open = list.filter((w) => OPEN.has(w.status));
  const closed = list.length - open.length;
  return h("div", { class: "walkins" },
    h("h3", { text: t("monitor.walkins") }),
    open.length ? h("ul", { class: "chips" }, open.map(chip)) : null,
    closed ? h("div", { class: "done-note", text: t(M.date === M.today ? "monitor.closedToday" : "monitor.closedOnDay", { count: closed }) }) : null);
}

function createDoctor() {
  return h("article", { class: "doctor" });
}

function updateDoctor(card, d) {
  const doc = d.doctor;
  card.dataset.providerId = String(doc.id);
  card.classList.toggle("inactive", d.active === false);
  const sub = [doc.code, doc.specialty].filter(Boolean).join(" · ");
  const total = d.total_appointments;
  const pct = total ? Math.round((d.checked_in_count / total) * 100) : 0;
  const visible = d.appointments;
  card.replaceChildren(...[
    h("div", { class: "doc-head" },
      h("div", {}, h("div", { class: "doc-name", text: doc.name }), sub ? h("div", { class: "doc-sub", text: sub }) : null,
        // A deactivated provider's day is still listed under their name (issue 13).
        d.active === false ? h("div", { class: "doc-inactive", text: t("monitor.doc.inactive") }) : null),
      h("div", { class: "doc-count" },
        textWith("monitor.doc.checkedIn", { count: total },
          { checked: h("b", { class: "doc-checked", text: formatNumber(d.checked_in_count) }) }))),
    h("div", { class: "bar", attrs: { "aria-hidden": "true" } }, h("i", { style: { width: `${pct}%` } })),
    visible.length
      ? h("table", {},
          h("thead", {}, h("tr", {},
            h("th", { text: t("monitor.col.slot") }), h("th", { text: t("monitor.col.customer") }),
            h("th", { text: t("monitor.col.status") }), h("th", { class: "end", text: t("monitor.col.queue") }))),
          h("tbody", {}, visible.map(apptRow)))
      : h("p", { class: "none", text: t("monitor.noAppointments") }),
    walkins(d.walk_ins || []),
  ].filter(Boolean));   // no walk-ins: nothing (replaceChildren would write "null")
}

function render(data) {
  M.data = data;
  M.error = null;
  $("error").hidden = true;
  const doctors = data.doctors || [];
  const allEntries = [
    ...(data.unassigned || []),
    ...doctors.flatMap((d) => [...(d.walk_ins || []), ...d.appointments.map((a) => a.queue).filter(Boolean)]),
  ];
  setText($("st-doctors"), data.total_doctors);
  setText($("st-appts"), data.total_appointments);
  setText($("st-checked"), doctors.reduce((n, d) => n + d.checked_in_count, 0));
  setText($("st-waiting"), allEntries.filter((e) => e.status === "checked_in").length);
  setText($("st-serving"), allEntries.filter((e) => e.status === "called" || e.status === "in_service").length);

  const unassigned = (data.unassigned || []).filter((w) => OPEN.has(w.status));
  $("unassigned-box").hidden = unassigned.length === 0;
  $("unassigned").replaceChildren(...unassigned.map(chip));

  syncList($("doctors"), doctors, (d) => d.doctor.id, createDoctor, updateDoctor);
  $("empty").hidden = doctors.length > 0;
  M.at = new Date();
  showDay();
  showUpdated();
}

// ------------------------------------------------------------------ words

const GENDER = { female: "monitor.gender.female", male: "monitor.gender.male", other: "monitor.gender.other" };
function genderLabel(g) {
  if (!g) return null;
  return GENDER[String(g).toLowerCase()] ? t(GENDER[String(g).toLowerCase()]) : String(g);
}

/** The date heading: "Today, Tuesday 1 December" (formatted for the page's language). */
function showDay() {
  if (!M.date) return;
  const day = formatDate(M.date, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  setText($("day"), M.date === M.today ? t("monitor.dayToday", { date: day }) : day);
}

/** "Updated 10:42:05", or the connection's state while it is not live. */
function showUpdated() {
  const fresh = M.status === "connected" || (live && live.polling && M.at);
  if (!fresh) {
    setText($("updated"), t(M.status === "connecting" ? "monitor.status.connecting" : "monitor.status.reconnecting"));
  } else if (M.at) {
    setText($("updated"), t("monitor.updated", {
      time: formatDate(M.at, { hour: "numeric", minute: "2-digit", second: "2-digit" }) }));
  }
}

// The central monitor's socket errors carry an English message and no code: the page
// says it in its own words, by what went wrong.
function socketError(message) {
  const m = String(message || "");
  if (/^no shop/.test(m)) return "monitor.error.noShop";
  if (/^date /.test(m)) return "monitor.error.badDate";
  return "monitor.error.other";
}

function showError() {
  if (!M.error) { $("error").hidden = true; return; }
  setText($("error"), has(M.error) ? t(M.error) : t("monitor.error.other"));
  $("error").hidden = false;
}

function showEmpty() {
  $("empty").replaceChildren(...textWith("monitor.empty", {},
    { admin: h("a", { href: "/admin", text: t("monitor.emptyAdmin") }) }));
}

function showWho() {
  if (!M.me) return;
  $("logout").title = t("monitor.logoutName", { name: M.me.name || "" });
}

function showShop() {
  if (M.shop) document.title = t("monitor.titleShop", { shop: M.shop });
}

onChange(() => {
  showDay();
  showUpdated();
  showError();
  showEmpty();
  showWho();
  showShop();
  if (M.data) render(M.data);
});
showEmpty();

// ------------------------------------------------------------------ live

/** The shop's own date, as the server says it now: a screen on "today" moves with it at
 *  local midnight (the server sends a fresh view then), with no clock of its own. */
function followDay(today) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today || "") || today === M.today) return;
  const onToday = M.date === M.today;
  M.today = today;
  if (onToday) setDate(today);
}

function subscribe() {
  if (!M.date) return;
  live.send({ action: "subscribe", date: M.date, shop_id: SHOP });
}

const live = new LiveSocket({
  url: "/api/v1/ws/queue",
  onOpen: () => subscribe(),
  onRevoked: () => location.assign(loginUrl("staff")),
  onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if ((msg.type === "snapshot" || msg.type === "update") && msg.data) {
      followDay(msg.today);
      if (msg.data.date === M.date) render(msg.data);
    } else if (msg.type === "error" && msg.message) {
      M.error = socketError(msg.message);
      showError();
    }
  },
  onStatus(status) {
    M.status = status;
    showUpdated();
  },
  // Socket down: the same data as plain JSON every 5 s (read at each poll: the date may change).
  poll: {
    get url() { return `/api/v1/monitor?date=${encodeURIComponent(M.date || M.today || "")}&shop_id=${SHOP}`; },
    everyMs: 5000,
    onData(body) { if (body && body.data && body.data.date === M.date) render(body.data); },
  },
});

function setDate(day) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day || "")) return;
  M.date = day;
  $("date").value = day;
  const url = new URL(location.href);
  if (day === M.today) url.searchParams.delete("date"); else url.searchParams.set("date", day);
  history.replaceState(history.state, "", url.pathname + url.search);
  showDay();
  subscribe();
  live.pollNow();  // while polling, show the new date at once
}

$("date").addEventListener("change", (ev) => setDate(ev.target.value));
$("today").addEventListener("click", () => setDate(M.today));

async function start() {
  // Without ?token= this screen needs a staff PIN session (else: the PIN pad at /login).
  const me = await requireRole("staff");
  if (me && me.kind === "session") {
    M.me = me;
    setText($("who-name"), me.name || "");
    showWho();
    $("who").hidden = false;
    $("logout").addEventListener("click", () => logout());
  }
  // The shop's own today (its time zone), not the browser's.
  M.today = localToday();
  try {
    const shop = await apiFetch("GET", `/api/v1/shops/${SHOP}/queue`);
    if (shop.appointments_today && shop.appointments_today.date) M.today = shop.appointments_today.date;
    learnClock(shop.timestamp);  // the appliance's clock in the shop's zone (SPEC §9)
    if (shop.shop_name) { M.shop = shop.shop_name; setText($("shop-name"), shop.shop_name); showShop(); }
  } catch { /* use the browser's date */ }
  M.date = param("date") && /^\d{4}-\d{2}-\d{2}$/.test(param("date")) ? param("date") : M.today;
  $("date").value = M.date;
  showDay();
  showUpdated();
  live.start();
}

mountClock($("clock"));
start();
// The clock's offset is learnt from a shop-time stamp (the central view's are UTC): ask
// again now and then, so a daylight-saving change (and a new kind of place) reaches this
// screen the same day.
setInterval(() => {
  apiFetch("GET", `/api/v1/shops/${SHOP}/queue`).then((q) => { learnClock(q.timestamp); useKind(q.kind); }, () => {});
}, 30 * 60 * 1000);
