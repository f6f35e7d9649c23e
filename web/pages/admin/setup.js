// Queue Kiosk — Admin page: the first run on the PC (owner PIN) and the claim panel.
import { apiFetch, ApiError, setToken } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";
import { adminPinOk, dropSetupParam, SETUP } from "./common.js";
import { refreshAll, showAdmin } from "./main.js";

// ------------------------------------------------------------------ first run

export function showOnly(id) {
  for (const v of ["setup-view", "change-pin-view", "not-set-up", "need-admin", "admin-view", "load-error"]) $(v).hidden = v !== id;
}

export function showSetup() {
  // A browser needs the printed link even on the PC (SPEC §16): without it, explain where it is.
  if (!SETUP) { showOnly("not-set-up"); return; }
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
  if (err.status === 422) return "An admin PIN is 6 to 12 digits.";
  if (err.status === 0) return "The appliance cannot be reached right now.";
  return err.message;
}

$("setup-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("setup-name").value.trim();
  const pin = $("setup-pin").value.trim();
  const again = $("setup-pin2").value.trim();
  const err = $("setup-error");
  if (!adminPinOk(pin)) { setText(err, "The PIN must be 6 to 12 digits (numbers only)."); $("setup-pin").focus(); return; }
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
  if (!adminPinOk(pin)) { toast("The PIN must be 6 to 12 digits.", "error"); return; }
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
