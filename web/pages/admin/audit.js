// Queue Kiosk — Admin page: the recent-activity trail, newest first, paged back on demand.
import { apiFetch } from "/lib/api.js";
import { $, h, setText } from "/lib/ui.js";
import { formatDate, formatTime, has, t } from "/lib/i18n.js";
import { A, act, ago, AUDIT_PAGE, redrawOnChange } from "./common.js";

// ------------------------------------------------------------------ audit trail

// An event type's words are `admin.audit.event.<type>`; an unknown type shows as it is.
function whatText(type) {
  return has(`admin.audit.event.${type}`) ? t(`admin.audit.event.${type}`) : type.replace(/_/g, " ");
}

/** [who, detail] of an audit row; nobody signed in is described by what happened. */
function who(e) {
  const a = e.actor || {};
  if (a.role === "system") return [t("admin.audit.actor.system"), ""];
  if (a.name) return [a.name, a.role && has(`admin.role.${a.role}`) ? t(`admin.role.${a.role}`) : a.role || ""];
  const from = a.address ? t("admin.audit.from", { address: a.address }) : "";
  if (e.type === "appliance_claimed") return [t("admin.audit.actor.setup"), from];
  if (e.type === "device_paired") return [t("admin.audit.actor.device"), from];
  if (e.type.startsWith("queue_") || e.type.startsWith("appointment_")) return [t("admin.audit.actor.customer"), from];
  return [t("admin.audit.actor.anonymous"), from];
}

function whenText(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return ["", ""];
  const today = new Date().toDateString() === d.toDateString();
  const clock = formatTime(d);
  return [today ? clock : t("admin.audit.dayTime", { day: formatDate(d, { month: "short", day: "numeric" }), time: clock }), ago(iso)];
}

const statusWord = (s) => (has(`common.ticket.${s}`) ? t(`common.ticket.${s}`) : s.toLowerCase());
const settingWord = (k) => (has(`admin.audit.setting.${k}`) ? t(`admin.audit.setting.${k}`) : k);

// A list of setting names, as the language joins a list ("a, b and c" is not a summary's style: commas).
function formatListPlain(items) { return items.join(t("admin.audit.listSeparator")); }

/** The server's one-line summary, in the owner's words ("A003 Lee Wong → waiting"). */
function summaryText(e) {
  let text = String(e.summary || "");
  const m = /^(.*) -> ([A-Z_]+)$/.exec(text);
  if (m) text = `${m[1]} → ${statusWord(m[2])}`;
  text = text.replace(/^(staff|token|provider|shop) /, "");
  const settings = /^settings: (.*)$/.exec(text);
  if (settings) text = formatListPlain(settings[1].split(", ").map(settingWord));
  if (e.actor && e.actor.name === text && /^staff_logged_(in|out)$/.test(e.type)) return "";
  return text;
}

function auditRow(e) {
  const [name, sub] = who(e);
  const [when, ago] = whenText(e.at);
  return h("tr", { class: "audit-row", dataset: { seq: String(e.seq), type: e.type } },
    h("td", { class: "a-when", attrs: { title: e.at } }, when, h("small", { text: ago })),
    h("td", { class: "a-who" }, h("span", { class: "a-name", text: name }), sub ? h("small", { text: sub }) : null),
    h("td", { class: "a-what" }, h("b", { text: whatText(e.type) }),
      summaryText(e) ? h("small", { class: "a-summary", text: summaryText(e) }) : null));
}

function renderAudit() {
  const items = [...A.audit.values()].sort((a, b) => b.seq - a.seq);
  $("audit-rows").replaceChildren(...items.map(auditRow));
  $("audit-empty").hidden = items.length > 0;
  $("audit-older").hidden = A.auditEnd || items.length === 0;
  setText($("audit-note"), items.length ? t("admin.audit.shown", { count: items.length }) : "");
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
  }, "admin.act.older", $("audit-older"));
});

redrawOnChange(() => { if (A.audit.size) renderAudit(); });
