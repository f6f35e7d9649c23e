// Queue Kiosk — Admin page: paired devices, tokens and PIN sessions, and revoking them.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";
import { formatDate, formatTime, has, t } from "/lib/i18n.js";
import { A, act, ago, confirmed, redrawOnChange } from "./common.js";
import { checkPaired } from "./pairing.js";
import { loadAudit } from "./audit.js";

// ------------------------------------------------------------------ devices and tokens

// [kind, title key, "none" key]
const KIND_GROUPS = [
  ["device", "admin.devices.group.device", "admin.devices.none.device"],
  ["session", "admin.devices.group.session", "admin.devices.none.session"],
  ["api", "admin.devices.group.api", "admin.devices.none.api"],
];
const roleName = (role) => (has(`admin.devices.role.${role}`) ? t(`admin.devices.role.${role}`) : role);

/** When the device was last heard from: a device or session was seen when it was made. */
function lastSeen(t) {
  if (t.last_seen_at) return t.last_seen_at;
  return t.kind === "device" || t.kind === "session" ? t.created_at : null;
}

export async function loadDevices() {
  try {
    A.tokens = await apiFetch("GET", "/api/v1/tokens");
  } catch (err) { if (err instanceof ApiError && err.status === 401) location.assign(loginUrl("admin")); return; }
  renderDevices();
  checkPaired();
}

function unexpired(t, now = Date.now()) {
  return !t.expires_at || Date.parse(t.expires_at) > now;
}

export function renderDevices() {
  const host = $("device-groups");
  const current = A.tokens.filter((t) => unexpired(t));
  const parts = [];
  for (const [kind, title, none] of KIND_GROUPS) {
    let items = current.filter((t) => t.kind === kind);
    if (kind === "api" && !items.length) continue;
    if (kind === "session") items = sessionsByPerson(items);
    parts.push(h("div", { class: "group-title", text: t(title) }));
    parts.push(items.length
      ? h("ul", { class: "list", dataset: { kind } }, items.map(deviceRow))
      : h("p", { class: "empty", text: t(none) }));
  }
  host.replaceChildren(...parts);
}

/** One row per person signed in, however many screens they signed in on. */
function sessionsByPerson(sessions) {
  const people = new Map();
  for (const t of sessions) {
    const key = t.staff_id != null ? `s${t.staff_id}` : `n${t.name}`;
    const seen = lastSeen(t);
    const p = people.get(key);
    if (!p) people.set(key, { ...t, ids: [t.id], last_seen_at: seen });
    else {
      p.ids.push(t.id);
      if (seen && (!p.last_seen_at || seen > p.last_seen_at)) p.last_seen_at = seen;
    }
  }
  return [...people.values()];
}

function deviceRow(tok) {
  const seen = lastSeen(tok);
  const ids = tok.ids || [tok.id];
  const seenText = seen ? t("admin.devices.seen", { ago: ago(seen) }) : t("admin.devices.neverUsed");
  const session = tok.kind === "session";
  const revoke = h("button", {
    class: "btn danger slim", type: "button", dataset: { action: "revoke" },
    text: t(session ? "admin.devices.signOut" : "admin.devices.revoke"),
    attrs: { "aria-label": t(session ? "admin.devices.signOutName" : "admin.devices.revokeName", { name: tok.name }) },
  });
  revoke.addEventListener("click", () => revokeToken(tok, ids, revoke));
  return h("li", { class: "item device", dataset: { tokenId: String(tok.id), tokenIds: ids.join(" "), kind: tok.kind, role: tok.role } },
    h("span", { class: "name dev-name", text: tok.name }),
    h("span", { class: "meta" },
      h("span", { class: "chip", dataset: { role: tok.role }, text: roleName(tok.role) }),
      ids.length > 1 ? h("span", { text: t("admin.devices.screens", { count: ids.length }) }) : null,
      h("span", { class: "dev-seen", dataset: { seen: seen || "", fromServer: tok.last_seen_at ? "1" : "0" },
        attrs: { title: seen ? t("admin.audit.dayTime", { day: formatDate(new Date(seen), { day: "numeric", month: "short" }), time: formatTime(new Date(seen)) }) : "" }, text: seenText })),
    h("span", { class: "acts" }, revoke));
}

async function revokeToken(tok, ids, button) {
  if (!confirmed(button, tok.kind === "session" ? "admin.confirm.signOut" : "admin.confirm.revoke")) return;
  await act(async () => {
    for (const id of ids) {
      try {
        await apiFetch("DELETE", `/api/v1/tokens/${id}`, undefined, { outbox: false });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;  // already gone
      }
    }
    toast(t(tok.kind === "session" ? "admin.devices.signedOut" : "admin.devices.revoked", { name: tok.name }), "success");
    await Promise.all([loadDevices(), loadAudit()]);
  }, "admin.act.revoke", button);
}

$("token-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = $("token-role").value;
  const name = $("token-name").value.trim() || t("admin.token.defaultName", { role: roleName(role) });
  await act(async () => {
    const made = await apiFetch("POST", "/api/v1/tokens", { role, name }, { outbox: false });
    setText($("token-secret"), made.token);
    $("token-secret-box").hidden = false;
    $("token-name").value = "";
    await loadDevices();
  }, "admin.act.token", $("token-make"));
});

let devicesTimer = null;
export function refreshDevicesSoon() {
  clearTimeout(devicesTimer);
  // Faster while a pairing code waits to be used.
  const every = A.pairing && A.pairing.state === "open" ? 3000 : 15000;
  devicesTimer = setTimeout(async () => {
    if (document.visibilityState !== "hidden") await Promise.all([loadDevices(), loadAudit()]);
    refreshDevicesSoon();
  }, every);
}

redrawOnChange(() => { if (A.tokens.length) renderDevices(); });
