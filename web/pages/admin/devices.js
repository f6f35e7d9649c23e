// Queue Kiosk — Admin page: paired devices, tokens and PIN sessions, and revoking them.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { relativeTime, loginUrl } from "/lib/auth.js";
import { A, act, confirmed } from "./common.js";
import { checkPaired } from "./pairing.js";
import { loadAudit } from "./audit.js";

// ------------------------------------------------------------------ devices and tokens

const KIND_GROUPS = [
  ["device", "Paired tablets and TVs", "No tablet or TV is paired yet."],
  ["session", "Signed in with a PIN", "Nobody is signed in."],
  ["api", "Tokens", "No tokens."],
];
const ROLE_NAMES = { admin: "admin", staff: "staff", kiosk: "check-in", display: "display" };

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
    parts.push(h("div", { class: "group-title", text: title }));
    parts.push(items.length
      ? h("ul", { class: "list", dataset: { kind } }, items.map(deviceRow))
      : h("p", { class: "empty", text: none }));
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

function deviceRow(t) {
  const seen = lastSeen(t);
  const ids = t.ids || [t.id];
  const seenText = seen ? `seen ${relativeTime(seen)}` : "never used";
  const verb = t.kind === "session" ? "Sign out" : "Revoke";
  const revoke = h("button", {
    class: "btn danger slim", type: "button", dataset: { action: "revoke" }, text: verb,
    attrs: { "aria-label": `${verb} ${t.name}` },
  });
  revoke.addEventListener("click", () => revokeToken(t, ids, revoke));
  return h("li", { class: "item device", dataset: { tokenId: String(t.id), tokenIds: ids.join(" "), kind: t.kind, role: t.role } },
    h("span", { class: "name dev-name", text: t.name }),
    h("span", { class: "meta" },
      h("span", { class: "chip", dataset: { role: t.role }, text: ROLE_NAMES[t.role] || t.role }),
      ids.length > 1 ? h("span", { text: `on ${ids.length} screens` }) : null,
      h("span", { class: "dev-seen", dataset: { seen: seen || "", fromServer: t.last_seen_at ? "1" : "0" },
        attrs: { title: seen ? new Date(seen).toLocaleString() : "" }, text: seenText })),
    h("span", { class: "acts" }, revoke));
}

async function revokeToken(t, ids, button) {
  if (!confirmed(button, t.kind === "session" ? "Tap to sign out" : "Tap to revoke")) return;
  await act(async () => {
    for (const id of ids) {
      try {
        await apiFetch("DELETE", `/api/v1/tokens/${id}`, undefined, { outbox: false });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;  // already gone
      }
    }
    toast(t.kind === "session" ? `${t.name} is signed out.` : `${t.name} can no longer connect.`, "success");
    await Promise.all([loadDevices(), loadAudit()]);
  }, "Revoking", button);
}

$("token-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = $("token-role").value;
  const name = $("token-name").value.trim() || `${role} token`;
  await act(async () => {
    const made = await apiFetch("POST", "/api/v1/tokens", { role, name }, { outbox: false });
    setText($("token-secret"), made.token);
    $("token-secret-box").hidden = false;
    $("token-name").value = "";
    await loadDevices();
  }, "Making the token", $("token-make"));
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
