// Queue Kiosk — Admin page: the shop's name and the appliance settings.
import { apiFetch } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { A, act, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";

// ------------------------------------------------------------------ settings

function showSettings(s) {
  A.settings = s;
  $("set-selfcheckin").checked = !!s.self_checkin;
  $("set-voice").checked = !!s.display_voice;
  for (const r of document.querySelectorAll('input[name="display_names"]')) r.checked = r.value === s.display_names;
  if (document.activeElement !== $("set-origins")) $("set-origins").value = (s.allowed_origins || []).join("\n");
  if (document.activeElement !== $("set-hosts")) $("set-hosts").value = (s.allowed_hosts || []).join("\n");
}

export async function loadSettings() {
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

$("hosts-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const list = $("set-hosts").value.split(/[\s,]+/).map((h) => h.trim()).filter(Boolean);
  patchSettings({ allowed_hosts: list }, list.length ? "Other names saved." : "Only the appliance's own names are allowed.", $("hosts-save"));
});

// ------------------------------------------------------------------ shop

export async function loadShop() {
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
