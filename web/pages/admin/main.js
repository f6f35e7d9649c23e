import { apiFetch, ApiError, getToken, setToken, param, shopId } from "/lib/api.js";
import { h, setText, toast, syncList, clockTime } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { qrSvg } from "/lib/qr.js";
import { whoAmI, requireRole, logout, openedWithToken, relativeTime, loginUrl } from "/lib/auth.js";

const SHOP = shopId();
const $ = (id) => document.getElementById(id);
const ADDRESS_KEY = "qk.admin.address";
const SETUP = param("setup");
const PAIRING_MS = 10 * 60 * 1000;
const AUDIT_PAGE = 25;
const A = { me: null, appliance: null, providers: [], tokens: [], staff: [], settings: null, audit: new Map(), auditEnd: false, pairing: null };
window.__admin = A;

// ------------------------------------------------------------------ small helpers

function isLoopback(host) {
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\./.test(host);
}

function dropSetupParam() {
  const url = new URL(location.href);
  if (!url.searchParams.has("setup")) return;
  url.searchParams.delete("setup");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
}

function pinOk(pin) { return /^\d{4,12}$/.test(pin); }

async function act(fn, label, button) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      toast("Your sign-in ended. Please sign in again.", "warning");
      location.assign(loginUrl("admin"));
      return undefined;
    }
    toast(`${label} failed: ${err.message || err}`, "error", { timeoutMs: 8000 });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Two taps instead of a blocking confirm(): the second tap within 5 s does it. */
function confirmed(button, prompt = "Tap again to confirm") {
  if (button.dataset.confirm === "1") { button.dataset.confirm = ""; return true; }
  const label = button.textContent;
  button.dataset.confirm = "1";
  setText(button, prompt);
  setTimeout(() => { if (button.dataset.confirm === "1") { button.dataset.confirm = ""; setText(button, label); } }, 5000);
  return false;
}

/**
 * A QR code the server drew (GET /appliance, POST /pairing) as an <svg> element.
 * The markup is ours (segno on the appliance), never anything a person typed; it is
 * still parsed in an inert document and only drawing elements are kept.
 */
function serverSvg(markup, text, label) {
  if (typeof markup !== "string" || !markup.includes("<svg")) return null;
  const doc = new DOMParser().parseFromString(markup, "text/html");
  const svg = doc.querySelector("svg");
  if (!svg) return null;
  const keep = new Set(["svg", "path", "rect", "g", "title"]);
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    if (!keep.has(el.localName)) { el.remove(); continue; }
    for (const attr of [...el.attributes]) {
      // (class too: the server's class="qr" would pick up this page's .qr card style)
      if (/^on/i.test(attr.name) || /href$/i.test(attr.name) || attr.name === "style" || attr.name === "class") el.removeAttribute(attr.name);
    }
  }
  const node = document.importNode(svg, true);
  node.setAttribute("role", "img");
  node.setAttribute("aria-label", label);
  node.dataset.qrText = text;
  return node;
}

// ------------------------------------------------------------------ first run

function showOnly(id) {
  for (const v of ["setup-view", "not-set-up", "need-admin", "admin-view", "load-error"]) $(v).hidden = v !== id;
}

function showSetup() {
  const allowed = !!SETUP || isLoopback(location.hostname);
  if (!allowed) { showOnly("not-set-up"); return; }
  showOnly("setup-view");
  $("setup-name").focus();
}

async function claim(name, pin) {
  const body = { pin };
  if (name) body.name = name;
  if (SETUP) body.setup_token = SETUP;
  // No Bearer token here: the cookie this answer sets is the owner's session.
  return apiFetch("POST", "/api/v1/auth/setup", body, { outbox: false, token: null });
}

function setupError(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 403) return err.message;
  if (err.status === 429) return `Too many tries. Wait ${err.details.retry_after_s || 30} seconds and try again.`;
  if (err.status === 422) return "A PIN is 4 to 12 digits.";
  if (err.status === 0) return "The appliance cannot be reached right now.";
  return err.message;
}

$("setup-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("setup-name").value.trim();
  const pin = $("setup-pin").value.trim();
  const again = $("setup-pin2").value.trim();
  const err = $("setup-error");
  if (!pinOk(pin)) { setText(err, "The PIN must be 4 to 12 digits (numbers only)."); $("setup-pin").focus(); return; }
  if (pin !== again) { setText(err, "The two PINs are not the same. Please type them again."); $("setup-pin2").value = ""; $("setup-pin2").focus(); return; }
  setText(err, "");
  $("setup-save").disabled = true;
  try {
    const result = await claim(name, pin);
    dropSetupParam();
    setToken(null);  // the new session cookie speaks for this browser from now on
    $("welcome").hidden = false;
    await showAdmin({ role: "admin", name: result.staff.name, kind: "session", authenticated: true, claimed: true });
  } catch (e) {
    setText(err, setupError(e));
    if (e instanceof ApiError && e.status === 403 && /already/.test(e.message)) {
      err.append(" ", h("a", { href: loginUrl("admin", "/admin"), text: "Sign in" }));
    }
  } finally {
    $("setup-save").disabled = false;
  }
});

$("claim-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const pin = $("claim-pin").value.trim();
  if (!pinOk(pin)) { toast("The PIN must be 4 to 12 digits.", "error"); return; }
  if (pin !== $("claim-pin2").value.trim()) { toast("The two PINs are not the same.", "error"); return; }
  try {
    await claim($("claim-name").value.trim(), pin);
    dropSetupParam();
    $("claim").hidden = true;
    toast("Owner PIN set.", "success");
    refreshAll();
  } catch (e) { toast(setupError(e), "error", { timeoutMs: 8000 }); }
});

$("welcome-close").addEventListener("click", () => { $("welcome").hidden = true; });

// ------------------------------------------------------------------ screens and QR codes

function normalBase(text) {
  let t = String(text || "").trim();
  if (!t) return null;
  if (!/^https?:\/\//i.test(t)) t = "http://" + t;
  try { const u = new URL(t); return `${u.protocol}//${u.host}`; } catch { return null; }
}

function storedAddress() {
  try { return localStorage.getItem(ADDRESS_KEY); } catch { return null; }
}

function detectedBase() {
  return (A.appliance && A.appliance.base_url) || location.origin;
}

function drawCodes() {
  const override = normalBase($("address").value);
  const detected = detectedBase();
  const base = override || detected;
  const suffix = SHOP === 1 ? "" : `?shop=${SHOP}`;
  const pages = [["qr-kiosk", "kiosk", "QR code: customer check-in"], ["qr-display", "display", "QR code: waiting-room display"]];
  for (const [id, page, label] of pages) {
    const box = $(id);
    const url = `${base}/${page}${suffix}`;
    const fromServer = !override && A.appliance && A.appliance.urls[page] === url
      ? serverSvg(A.appliance.qr_svg[page], url, label) : null;
    box.querySelector(".qr-code").replaceChildren(fromServer || qrSvg(url, { size: 150, label }));
    setText(box.querySelector(".url"), url);
    box.querySelector("a").href = url;
  }
  const host = new URL(base).hostname;
  $("loopback-warn").hidden = !isLoopback(host);
  setText($("loopback-host"), new URL(base).host);
}

async function loadAppliance() {
  try {
    A.appliance = await apiFetch("GET", `/api/v1/appliance${SHOP === 1 ? "" : `?shop=${SHOP}`}`);
  } catch { A.appliance = null; /* fall back to this page's own address */ }
  $("address").placeholder = detectedBase().replace(/^https?:\/\//, "");
  drawCodes();
  // Show the override when it is in use, or when the detected address is no use to a tablet.
  if ($("address").value || isLoopback(new URL(detectedBase()).hostname)) $("address-box").open = true;
}

$("address").addEventListener("input", () => {
  const value = $("address").value.trim();
  try {
    if (normalBase(value)) localStorage.setItem(ADDRESS_KEY, value);
    else if (!value) localStorage.removeItem(ADDRESS_KEY);
  } catch { /* ok */ }
  drawCodes();
});
$("address-reset").addEventListener("click", () => {
  try { localStorage.removeItem(ADDRESS_KEY); } catch { /* ok */ }
  $("address").value = "";
  drawCodes();
});

// ------------------------------------------------------------------ pairing

function pairRole() { return $("pair-form").querySelector('input[name="role"]:checked').value; }

$("pair-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = pairRole();
  const name = $("pair-name").value.trim() || (role === "kiosk" ? "Check-in tablet" : "Waiting-room TV");
  await act(async () => {
    const known = new Set(A.tokens.map((t) => t.id));
    const started = await apiFetch("POST", "/api/v1/pairing", { role, name }, { outbox: false });
    showPairing(started, known);
    refreshDevicesSoon();
  }, "Making the pairing code", $("pair-start"));
});

function showPairing(started, known) {
  const box = $("pair-out");
  // The countdown runs from when the code arrived: the tablet's clock may be off.
  A.pairing = { ...started, known, deadline: Date.now() + PAIRING_MS - 1000, state: "open" };
  const what = started.role === "kiosk" ? "check-in tablet" : "waiting-room TV";
  setText($("pair-title"), started.name);
  setText($("pair-how"), `New ${what}: scan this code with it, or open the link on it. Works once.`);
  setText($("pair-url"), started.url);
  $("pair-qr").replaceChildren(serverSvg(started.qr_svg, started.url, `QR code: pair ${started.name}`) || qrSvg(started.url, { size: 190 }));
  box.dataset.state = "open";
  box.hidden = false;
  $("pair-state-text").hidden = false;
  $("pair-countdown").hidden = false;
  $("pair-copy").hidden = false;
  setText($("pair-done"), "Close");
  tickPairing();
  clearInterval(A.pairTimer);
  A.pairTimer = setInterval(tickPairing, 1000);
  box.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function tickPairing() {
  const p = A.pairing;
  if (!p || p.state !== "open") { clearInterval(A.pairTimer); return; }
  const left = Math.max(0, Math.ceil((p.deadline - Date.now()) / 1000));
  setText($("pair-countdown"), `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`);
  if (left <= 0) {
    p.state = "expired";
    $("pair-out").dataset.state = "expired";
    setText($("pair-state-text"), "This code has expired.");
    setText($("pair-countdown"), "Make a new one.");
    $("pair-copy").hidden = true;
    clearInterval(A.pairTimer);
  }
}

function checkPaired() {
  const p = A.pairing;
  if (!p || p.state !== "open") return;
  const device = A.tokens.find((t) => t.kind === "device" && !p.known.has(t.id) && t.role === p.role && t.name === p.name);
  if (!device) return;
  p.state = "paired";
  $("pair-out").dataset.state = "paired";
  setText($("pair-title"), `✓ “${device.name}” is paired`);
  setText($("pair-how"), device.role === "kiosk" ? "It now shows the check-in screen." : "It now shows the waiting-room display.");
  setText($("pair-url"), "");
  $("pair-state-text").hidden = true;
  $("pair-countdown").hidden = true;
  $("pair-copy").hidden = true;
  setText($("pair-done"), "Done");
  $("pair-name").value = "";
  clearInterval(A.pairTimer);
  toast(`${device.name} is paired.`, "success");
}

$("pair-done").addEventListener("click", () => {
  A.pairing = null;
  clearInterval(A.pairTimer);
  $("pair-out").hidden = true;
  $("pair-name").value = "";
});
$("pair-copy").addEventListener("click", async () => {
  const url = A.pairing && A.pairing.url;
  if (!url) return;
  try { await navigator.clipboard.writeText(url); toast("Link copied.", "success"); } catch { toast("Select the link and copy it by hand.", "info"); }
});

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

async function loadDevices() {
  try {
    A.tokens = await apiFetch("GET", "/api/v1/tokens");
  } catch (err) { if (err instanceof ApiError && err.status === 401) location.assign(loginUrl("admin")); return; }
  renderDevices();
  checkPaired();
}

function unexpired(t, now = Date.now()) {
  return !t.expires_at || Date.parse(t.expires_at) > now;
}

function renderDevices() {
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
function refreshDevicesSoon() {
  clearTimeout(devicesTimer);
  // Faster while a pairing code waits to be used.
  const every = A.pairing && A.pairing.state === "open" ? 3000 : 15000;
  devicesTimer = setTimeout(async () => {
    if (document.visibilityState !== "hidden") await Promise.all([loadDevices(), loadAudit()]);
    refreshDevicesSoon();
  }, every);
}

// ------------------------------------------------------------------ staff

async function loadStaff() {
  try { A.staff = await apiFetch("GET", "/api/v1/staff"); } catch { return; }
  const active = A.staff.filter((s) => !s.disabled);
  const disabled = A.staff.filter((s) => s.disabled);
  const admins = active.filter((s) => s.role === "admin").length;
  const list = $("staff-list");
  list.replaceChildren(...[...active, ...disabled].map((s) => staffRow(s, s.role === "admin" && admins === 1)));
  if (!A.staff.length) list.append(h("li", { class: "empty", text: "Nobody yet." }));
}

function staffRow(s, lastAdmin) {
  const since = s.created_at
    ? `added ${new Date(s.created_at).toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" })}` : "";
  const acts = h("span", { class: "acts" });
  if (lastAdmin) {
    // The server refuses to disable the last admin (nobody could open this page).
    acts.append(h("span", { class: "muted small", text: "owner", attrs: { title: "Add another admin before disabling this one" } }));
  } else if (!s.disabled) {
    const b = h("button", { class: "btn danger slim", type: "button", dataset: { action: "disable" }, text: "Disable", attrs: { "aria-label": `Disable ${s.name}` } });
    b.addEventListener("click", () => disableStaff(s, b));
    acts.append(b);
  }
  return h("li", { class: "item", dataset: { staffId: String(s.id), disabled: s.disabled ? "1" : "0" } },
    h("span", { class: "name staff-name", text: s.name }),
    h("span", { class: "meta" },
      h("span", { class: "chip", dataset: { role: s.role }, text: s.role }),
      s.disabled ? h("span", { text: "disabled — PIN no longer works" }) : h("span", { text: since })),
    acts);
}

async function disableStaff(s, button) {
  if (!confirmed(button, "Tap to disable")) return;
  await act(async () => {
    await apiFetch("DELETE", `/api/v1/staff/${s.id}`, undefined, { outbox: false });
    toast(`${s.name}'s PIN no longer works.`, "success");
    await Promise.all([loadStaff(), loadDevices(), loadAudit()]);
  }, "Disabling", button);
}

$("staff-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("staff-name").value.trim();
  const pin = $("staff-pin").value.trim();
  if (!name) { $("staff-name").focus(); return; }
  if (!pinOk(pin)) { toast("The PIN must be 4 to 12 digits (numbers only).", "error"); $("staff-pin").focus(); return; }
  await act(async () => {
    const s = await apiFetch("POST", "/api/v1/staff", { name, pin, role: $("staff-role").value }, { outbox: false });
    ev.target.reset();
    toast(`Added ${s.name}. They sign in at /login with their PIN.`, "success", { timeoutMs: 7000 });
    await Promise.all([loadStaff(), loadAudit()]);
  }, "Adding", $("staff-add"));
});

// ------------------------------------------------------------------ settings

function showSettings(s) {
  A.settings = s;
  $("set-selfcheckin").checked = !!s.self_checkin;
  $("set-voice").checked = !!s.display_voice;
  for (const r of document.querySelectorAll('input[name="display_names"]')) r.checked = r.value === s.display_names;
  if (document.activeElement !== $("set-origins")) $("set-origins").value = (s.allowed_origins || []).join("\n");
}

async function loadSettings() {
  try { showSettings(await apiFetch("GET", "/api/v1/settings")); } catch { /* shown on the next write */ }
}

async function patchSettings(changes, done, input) {
  if (input) input.disabled = true;
  try {
    const s = await apiFetch("PATCH", "/api/v1/settings", changes, { outbox: false });
    showSettings(s);
    toast(done, "success");
    loadAudit();
  } catch (err) {
    if (A.settings) showSettings(A.settings);  // put the switch back
    toast(`Saving failed: ${err.message || err}`, "error", { timeoutMs: 8000 });
  } finally {
    if (input) input.disabled = false;
  }
}

$("set-selfcheckin").addEventListener("change", (ev) => patchSettings({ self_checkin: ev.target.checked },
  ev.target.checked ? "Customers can check in from their phones." : "Phone check-in is off: only paired tablets and staff add people.", ev.target));
$("set-voice").addEventListener("change", (ev) => patchSettings({ display_voice: ev.target.checked },
  ev.target.checked ? "The TV speaks the call-out." : "The TV only chimes.", ev.target));
for (const r of document.querySelectorAll('input[name="display_names"]')) {
  r.addEventListener("change", () => patchSettings({ display_names: r.value },
    r.value === "ticket" ? "The TV shows ticket numbers only." : "The TV shows first names and an initial."));
}
$("origins-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const list = $("set-origins").value.split(/[\s,]+/).map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
  patchSettings({ allowed_origins: list }, list.length ? "Allowed origins saved." : "No other origins allowed.", $("origins-save"));
});

// ------------------------------------------------------------------ shop

async function loadShop() {
  try {
    const shop = await apiFetch("GET", `/api/v1/shops/${SHOP}`);
    setText($("shop-title"), shop.name);
    document.title = `Admin · ${shop.name}`;
    if (document.activeElement !== $("shop-name")) $("shop-name").value = shop.name;
    setText($("shop-tz"), shop.timezone ? `Time zone: ${shop.timezone}` : "");
  } catch (err) { toast(`Could not read the shop: ${err.message}`, "error"); }
}

$("shop-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("shop-name").value.trim();
  if (!name) return;
  await act(async () => {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, { name }, { outbox: false });
    setText($("shop-title"), shop.name);
    toast(`Shop name saved: ${shop.name}`, "success");
  }, "Saving the shop name", $("shop-save"));
});

// ------------------------------------------------------------------ providers

async function loadProviders() {
  let all;
  try {
    all = await apiFetch("GET", `/api/v1/shops/${SHOP}/providers?include_inactive=1`);
  } catch (err) { toast(`Could not read the providers: ${err.message}`, "error"); return; }
  const list = all.filter((p) => p.active !== false);
  const off = all.filter((p) => p.active === false);
  A.providers = list;
  syncList($("plist"), list, (p) => p.id, createProvider, updateProvider);
  $("plist-empty").hidden = list.length > 0;
  $("pcols").hidden = list.length === 0;
  syncList($("plist-off"), off, (p) => p.id, createInactive, updateInactive);
  $("inactive-box").hidden = off.length === 0;
}

function createProvider(p) {
  const input = (name, placeholder, max) => h("input", { class: "field", name, placeholder, maxLength: max, attrs: { "aria-label": placeholder } });
  const form = h("form", { class: "prow", dataset: { providerId: String(p.id) } },
    input("name", "Name", 100), input("code", "Code", 20), input("specialty", "Specialty", 100),
    h("div", { class: "acts" },
      h("button", { class: "btn", type: "submit", dataset: { action: "save" }, text: "Save" }),
      h("button", { class: "btn danger", type: "button", dataset: { action: "deactivate" }, text: "Deactivate" })));
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); saveProvider(form); });
  form.querySelector('[data-action="deactivate"]').addEventListener("click", () => deactivate(form));
  return form;
}

function updateProvider(form, p) {
  if (form.dataset.dirty === "1") return;      // never overwrite what the owner is typing
  form.elements.name.value = p.name || "";
  form.elements.code.value = p.code || "";
  form.elements.specialty.value = p.specialty || "";
}

function createInactive(p) {
  const b = h("button", { class: "btn slim", type: "button", dataset: { action: "reactivate" }, text: "Reactivate" });
  b.addEventListener("click", () => reactivate(p.id, b));
  return h("li", { class: "item", dataset: { inactiveId: String(p.id) } },
    h("span", { class: "name" }), h("span", { class: "meta" }), h("span", { class: "acts" }, b));
}

function updateInactive(li, p) {
  setText(li.querySelector(".name"), p.name);
  setText(li.querySelector(".meta"), [p.code, p.specialty].filter(Boolean).join(" · "));
  li.querySelector("button").dataset.name = p.name;
}

async function reactivate(id, button) {
  await act(async () => {
    const p = await apiFetch("PATCH", `/api/v1/providers/${id}`, { active: true }, { outbox: false });
    toast(`${p.name} is back.`, "success");
    await loadProviders();
  }, "Reactivating", button);
}

async function saveProvider(form) {
  const id = Number(form.dataset.providerId);
  const body = {
    name: form.elements.name.value.trim(),
    code: form.elements.code.value.trim() || null,
    specialty: form.elements.specialty.value.trim() || null,
  };
  if (!body.name) { form.elements.name.focus(); return; }
  for (const k of ["code", "specialty"]) if (body[k] === null) delete body[k];
  await act(async () => {
    const p = await apiFetch("PATCH", `/api/v1/providers/${id}`, body, { outbox: false });
    delete form.dataset.dirty;
    toast(`Saved: ${p.name}`, "success");
    await loadProviders();
  }, "Saving the provider", form.querySelector('[data-action="save"]'));
}

async function deactivate(form) {
  const id = Number(form.dataset.providerId);
  const name = form.elements.name.value;
  const button = form.querySelector('[data-action="deactivate"]');
  if (!confirmed(button, "Tap to confirm")) return;
  await act(async () => {
    await apiFetch("DELETE", `/api/v1/providers/${id}`, undefined, { outbox: false });
    toast(`${name} is deactivated; anyone waiting for them now waits for anyone.`, "success", { timeoutMs: 8000 });
    await loadProviders();
  }, "Deactivating", button);
}

$("add-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target.elements;
  const body = { name: f.name.value.trim() };
  if (!body.name) return;
  if (f.code.value.trim()) body.code = f.code.value.trim();
  if (f.specialty.value.trim()) body.specialty = f.specialty.value.trim();
  await act(async () => {
    const p = await apiFetch("POST", `/api/v1/shops/${SHOP}/providers`, body, { outbox: false });
    ev.target.reset();
    toast(`Added ${p.name}`, "success");
    await loadProviders();
  }, "Adding the provider", $("add-provider"));
});

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

async function loadAudit() {
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

// ------------------------------------------------------------------ start

$("logout").addEventListener("click", () => logout({ to: "/login?need=admin&next=%2Fadmin" }));

function refreshAll() {
  return Promise.all([loadShop(), loadProviders(), loadDevices(), loadStaff(), loadSettings(), loadAudit(), loadAppliance()]);
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { loadProviders(); loadShop(); }, 300);
}

let live = null;
async function showAdmin(me) {
  A.me = me;
  showOnly("admin-view");
  $("claim").hidden = me.claimed !== false;
  setText($("who-name"), me.name || (me.kind === "session" ? "Admin" : "Admin token"));
  $("who-name").title = `Signed in as ${me.name || "admin"} (admin)`;
  $("who").hidden = false;
  $("address").value = storedAddress() || "";
  $("navlinks").hidden = false;
  await refreshAll();
  refreshDevicesSoon();
  setInterval(() => { if (A.tokens.length) renderDevices(); }, 30000);  // "seen 2 min ago" stays true
  if (!live) {
    // Provider and shop changes made elsewhere reach every queue socket: follow them.
    live = new LiveSocket({
      url: `/ws/queue/${SHOP}`,
      onMessage: (m) => { if (m && m.type === "queue_update") refreshSoon(); },
      poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: refreshSoon },
    }).start();
  }
}

async function start() {
  getToken();
  loadShop();
  let me;
  try {
    me = await whoAmI();
  } catch (err) {
    setText($("load-error"), `The appliance cannot be reached right now (${err.message || err}). Reload this page to try again.`);
    showOnly("load-error");
    return;
  }
  if (me.claimed && SETUP) dropSetupParam();   // a used or stale link: nothing to keep
  if (me.role === "admin" && !me.tokenRejected) { await showAdmin(me); return; }
  if (!me.claimed) { showSetup(); return; }
  if (openedWithToken()) {
    // Scripts and tests open pages with ?token=: say what is wrong instead of leaving.
    setText($("need-admin-why"), me.tokenRejected
      ? "This token is unknown or was revoked. Sign in with the owner's PIN instead."
      : "This token is not an admin token. Sign in with the owner's PIN instead.");
    showOnly("need-admin");
    return;
  }
  await showAdmin(await requireRole("admin"));
}

start();
