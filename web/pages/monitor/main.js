// Queue Kiosk — Monitor page (/monitor): the day's queue and appointments per provider.
import { apiFetch, param, shopId } from "/lib/api.js";
import { $, h, setText, syncList, clockTime } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { loginUrl, requireRole, logout } from "/lib/auth.js";
import { statusLabel, localToday } from "/lib/staff-extras.js";
import { startForShop } from "/lib/i18n.js";
import { shopId as languageShop } from "/lib/api.js";

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

const SHOP = shopId();
const M = { date: null, data: null, today: null };
window.__monitor = M;

const OPEN = new Set(["checked_in", "called", "in_service"]);

function queueCell(q) {
  if (!q) return h("span", { class: "none", text: "—" });
  const parts = [];
  if (q.ticket) parts.push(h("span", { class: "ticket", text: q.ticket }));
  if (q.status === "checked_in" && q.position != null) {
    parts.push(h("span", { class: "pos", attrs: { title: "Position in line" }, text: `#${q.position}` }));
  } else {
    parts.push(h("span", { class: "badge", dataset: { status: q.status }, text: statusLabel(q.status) }));
  }
  return parts;
}

function apptRow(a) {
  const p = a.patient || {};
  const bits = [p.phone, p.age != null ? `${p.age} y` : null, p.gender].filter(Boolean);
  const details = bits.length ? h("small", {}, bits.map((b, i) => [i ? " · " : "", h("span", { class: "nw", text: b })])) : null;
  return h("tr", { dataset: { appointmentId: String(a.appointment_id), status: a.status } },
    h("td", { class: "slot" }, a.slot != null ? `#${a.slot}` : "", h("small", { text: clockTime(a.starts_at) })),
    h("td", { class: "patient" }, p.name || "", details),
    h("td", {}, h("span", { class: "badge", dataset: { status: a.status }, text: statusLabel(a.status) })),
    h("td", { class: "q" }, queueCell(a.queue)));
}

function chip(w) {
  return h("li", { class: "chip", dataset: { entryId: String(w.entry_id), status: w.status } },
    h("span", { class: "t", text: w.ticket }),
    h("span", { class: "n", text: w.full_name }),
    w.status === "checked_in" && w.position != null
      ? h("span", { class: "pos", attrs: { title: "Position in line" }, text: `#${w.position}` })
      : h("span", { class: "badge", dataset: { status: w.status }, text: statusLabel(w.status) }));
}

/** A provider's walk-ins: the open ones as chips, the finished ones as a count. */
function walkins(list) {
  if (!list.length) return null;
  const open = list.filter((w) => OPEN.has(w.status));
  const closed = list.length - open.length;
  return h("div", { class: "walkins" },
    h("h3", { text: "Walk-ins" }),
    open.length ? h("ul", { class: "chips" }, open.map(chip)) : null,
    closed ? h("div", { class: "done-note", text: `${closed} finished or gone today` }) : null);
}

function createDoctor() {
  return h("article", { class: "doctor" });
}

function updateDoctor(card, d) {
  const doc = d.doctor;
  card.dataset.providerId = String(doc.id);
  const sub = [doc.code, doc.specialty].filter(Boolean).join(" · ");
  const total = d.total_appointments;
  const pct = total ? Math.round((d.checked_in_count / total) * 100) : 0;
  const visible = d.appointments;
  card.replaceChildren(
    h("div", { class: "doc-head" },
      h("div", {}, h("div", { class: "doc-name", text: doc.name }), sub ? h("div", { class: "doc-sub", text: sub }) : null),
      h("div", { class: "doc-count" },
        h("b", { class: "doc-checked", text: d.checked_in_count }), ` / ${total} checked in`)),
    h("div", { class: "bar", attrs: { "aria-hidden": "true" } }, h("i", { style: { width: `${pct}%` } })),
    visible.length
      ? h("table", {},
          h("thead", {}, h("tr", {},
            h("th", { text: "Slot" }), h("th", { text: "Patient" }), h("th", { text: "Status" }), h("th", { text: "Queue", style: { textAlign: "right" } }))),
          h("tbody", {}, visible.map(apptRow)))
      : h("p", { class: "none", text: "No appointments on this date." }),
    walkins(d.walk_ins || []));
}

function render(data) {
  M.data = data;
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
  const at = new Date();
  setText($("updated"), `${data.date === M.today ? "Today" : data.date} · updated ${at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}`);
}

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
      setText($("error"), msg.message);
      $("error").hidden = false;
    }
  },
  onStatus(status) {
    if (status !== "connected") setText($("updated"), status === "connecting" ? "Connecting…" : "Not live — reconnecting…");
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
  subscribe();
  live.pollNow();  // while polling, show the new date at once
}

$("date").addEventListener("change", (ev) => setDate(ev.target.value));
$("today").addEventListener("click", () => setDate(M.today));

async function start() {
  // Without ?token= this screen needs a staff PIN session (else: the PIN pad at /login).
  const me = await requireRole("staff");
  if (me && me.kind === "session") {
    setText($("who-name"), me.name || "");
    $("logout").title = `Log out ${me.name || ""}`.trim();
    $("who").hidden = false;
    $("logout").addEventListener("click", () => logout());
  }
  // The shop's own today (its time zone), not the browser's.
  M.today = localToday();
  try {
    const shop = await apiFetch("GET", `/api/v1/shops/${SHOP}/queue`);
    if (shop.appointments_today && shop.appointments_today.date) M.today = shop.appointments_today.date;
    if (shop.shop_name) { setText($("shop-name"), shop.shop_name); document.title = `Monitor · ${shop.shop_name}`; }
  } catch { /* use the browser's date */ }
  M.date = param("date") && /^\d{4}-\d{2}-\d{2}$/.test(param("date")) ? param("date") : M.today;
  $("date").value = M.date;
  live.start();
}

start();
