// Queue Kiosk — Admin page: the recent-activity trail, newest first, paged back on demand.
import { apiFetch } from "/lib/api.js";
import { $, h, setText } from "/lib/ui.js";
import { relativeTime } from "/lib/auth.js";
import { A, act, AUDIT_PAGE } from "./common.js";

// ------------------------------------------------------------------ audit trail

const WHAT = {
  queue_joined: "joined the queue", queue_called: "called", queue_recalled: "put back in line",
  queue_started: "service started", queue_completed: "completed", queue_left: "left",
  queue_no_show: "no-show", queue_cancelled: "cancelled", queue_moved: "moved to another provider",
  queue_reordered: "reordered the line", appointment_created: "booked an appointment",
  appointment_updated: "changed an appointment", appointment_checked_in: "appointment check-in",
  provider_created: "added a provider", provider_updated: "changed a provider", provider_deleted: "deactivated a provider",
  shop_created: "added a shop", shop_updated: "changed the shop", appliance_claimed: "set up the appliance",
  staff_created: "added a staff member", staff_disabled: "disabled a staff member",
  staff_logged_in: "signed in", staff_logged_out: "signed out",
  token_created: "made a token", token_revoked: "revoked access", pairing_started: "started pairing a device",
  device_paired: "paired a device", settings_updated: "changed settings",
};

/** [who, detail] of an audit row; nobody signed in is described by what happened. */
function who(e) {
  const a = e.actor || {};
  if (a.role === "system") return ["System", ""];
  if (a.name) return [a.name, a.role || ""];
  const from = a.address ? `from ${a.address}` : "";
  if (e.type === "appliance_claimed") return ["First-run setup", from];
  if (e.type === "device_paired") return ["The device itself", from];
  if (e.type.startsWith("queue_") || e.type.startsWith("appointment_")) return ["A customer", from];
  return ["Not signed in", from];
}

function whenText(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return ["", ""];
  const today = new Date().toDateString() === d.toDateString();
  const clock = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return [today ? clock : `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${clock}`, relativeTime(iso)];
}

const STATUS_WORDS = {
  CHECKED_IN: "waiting", CALLED: "called", IN_SERVICE: "in service", COMPLETED: "done",
  LEFT: "left", NO_SHOW: "no-show", CANCELLED: "cancelled",
};

const SETTING_WORDS = {
  self_checkin: "phone check-in", display_names: "names on the TV", display_voice: "spoken call-out",
  allowed_origins: "allowed origins", limits: "limits",
};

/** The server's one-line summary, in the owner's words ("A003 Lee Wong → waiting"). */
function summaryText(e) {
  let text = String(e.summary || "");
  const m = /^(.*) -> ([A-Z_]+)$/.exec(text);
  if (m) text = `${m[1]} → ${STATUS_WORDS[m[2]] || m[2].toLowerCase()}`;
  text = text.replace(/^(staff|token|provider|shop) /, "");
  const settings = /^settings: (.*)$/.exec(text);
  if (settings) text = settings[1].split(", ").map((k) => SETTING_WORDS[k] || k).join(", ");
  if (e.actor && e.actor.name === text && /^staff_logged_(in|out)$/.test(e.type)) return "";
  return text;
}

function auditRow(e) {
  const [name, sub] = who(e);
  const [when, ago] = whenText(e.at);
  return h("tr", { class: "audit-row", dataset: { seq: String(e.seq), type: e.type } },
    h("td", { class: "a-when", attrs: { title: e.at } }, when, h("small", { text: ago })),
    h("td", { class: "a-who" }, h("span", { class: "a-name", text: name }), sub ? h("small", { text: sub }) : null),
    h("td", { class: "a-what" }, h("b", { text: WHAT[e.type] || e.type.replace(/_/g, " ") }),
      summaryText(e) ? h("small", { class: "a-summary", text: summaryText(e) }) : null));
}

function renderAudit() {
  const items = [...A.audit.values()].sort((a, b) => b.seq - a.seq);
  $("audit-rows").replaceChildren(...items.map(auditRow));
  $("audit-empty").hidden = items.length > 0;
  $("audit-older").hidden = A.auditEnd || items.length === 0;
  setText($("audit-note"), items.length ? `${items.length} shown` : "");
}

export async function loadAudit() {
  try {
    const newest = await apiFetch("GET", `/api/v1/audit?limit=${AUDIT_PAGE}`);
    if (!A.audit.size && newest.length < AUDIT_PAGE) A.auditEnd = true;
    for (const e of newest) A.audit.set(e.seq, e);
    renderAudit();
  } catch { /* next time */ }
}

$("audit-older").addEventListener("click", async () => {
  const oldest = Math.min(...A.audit.keys());
  await act(async () => {
    const older = await apiFetch("GET", `/api/v1/audit?limit=${AUDIT_PAGE}&before=${oldest}`);
    for (const e of older) A.audit.set(e.seq, e);
    if (older.length < AUDIT_PAGE) A.auditEnd = true;
    renderAudit();
  }, "Loading older activity", $("audit-older"));
});
