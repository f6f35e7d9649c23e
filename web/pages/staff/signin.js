// Queue Kiosk — Staff page: the sign-in prompt when the page has no usable token.
import { apiFetch, ApiError, getToken, setToken } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";
import { t, onChange } from "/lib/i18n.js";

// ------------------------------------------------------------------ sign-in

let whyKey = null;   // the catalog key of the reason shown, kept for a language switch

function showWhy() {
  setText($("signin-why"), whyKey ? t("staff.signin.whyThen", { reason: t(whyKey) }) : t("staff.signin.how"));
}

/** whyKey: a catalog key (staff.signin.why*) saying why, or null for the general text. */
export function showSignin(key) {
  // A PIN session that ended (signed out elsewhere, disabled): back to the PIN pad.
  if (!getToken()) { location.assign(loginUrl("staff")); return; }
  $("signin-pin").href = loginUrl("staff");
  whyKey = key || null;
  $("signin-why").removeAttribute("data-i18n");   // this page words it (showWhy)
  showWhy();
  $("signin").hidden = false;
}

onChange(() => { if (!$("signin").hidden) showWhy(); });

$("signin-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = $("signin-token").value.trim();
  if (!token) return;
  setToken(token);
  location.reload();
});

export async function checkSignin() {
  // /ws/stats needs staff: a cheap way to learn whether this token (or the PIN
  // session cookie) may run the queue, without changing anything.
  try {
    await apiFetch("GET", "/ws/stats");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      showSignin(err.status === 403 ? "staff.signin.whyDeviceRole"
        : getToken() ? "staff.signin.whyRevoked" : null);
    }
  }
}
