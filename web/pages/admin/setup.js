// Queue Kiosk — Admin page: the first run on the PC (owner PIN) and the claim panel.
import { apiFetch, ApiError, setToken } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";
import { t } from "/lib/i18n.js";
import { adminPinOk, dropSetupParam, errorText, SETUP } from "./common.js";
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

// A refused setup (403): already claimed, a used or stale link, or no link at all. The API
// says which only in English words, so the page tells them apart by what it knows.
function alreadySetUp(err) { return err instanceof ApiError && err.status === 403 && /already/.test(err.message); }

function setupError(err) {
  if (!(err instanceof ApiError)) return errorText(err);
  if (alreadySetUp(err)) return t("admin.setup.error.claimed");
  if (err.status === 403) return t(SETUP ? "admin.setup.error.linkUsed" : "admin.setup.error.needLink");
  if (err.status === 422) return t("admin.setup.error.rule");
  return errorText(err);
}

$("setup-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("setup-name").value.trim();
  const pin = $("setup-pin").value.trim();
  const again = $("setup-pin2").value.trim();
  const err = $("setup-error");
  if (!adminPinOk(pin)) { setText(err, t("admin.setup.error.ruleDigits")); $("setup-pin").focus(); return; }
  if (pin !== again) { setText(err, t("admin.setup.error.mismatch")); $("setup-pin2").value = ""; $("setup-pin2").focus(); return; }
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
    if (alreadySetUp(e)) {
      err.append(" ", h("a", { href: loginUrl("admin", "/admin"), text: t("admin.setup.signIn") }));
    }
  } finally {
    $("setup-save").disabled = false;
  }
});

$("claim-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const pin = $("claim-pin").value.trim();
  if (!adminPinOk(pin)) { toast(t("admin.setup.error.rule"), "error"); return; }
  if (pin !== $("claim-pin2").value.trim()) { toast(t("admin.setup.error.mismatch"), "error"); return; }
  try {
    await claim($("claim-name").value.trim(), pin);
    dropSetupParam();
    $("claim").hidden = true;
    toast(t("admin.claim.done"), "success");
    refreshAll();
  } catch (e) { toast(setupError(e), "error", { timeoutMs: 8000 }); }
});

$("welcome-close").addEventListener("click", () => { $("welcome").hidden = true; });
