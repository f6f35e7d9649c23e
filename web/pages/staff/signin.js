// Queue Kiosk — Staff page: the sign-in prompt when the page has no usable token.
import { apiFetch, ApiError, getToken, setToken } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";

// ------------------------------------------------------------------ sign-in

export function showSignin(why) {
  // A PIN session that ended (signed out elsewhere, disabled): back to the PIN pad.
  if (!getToken()) { location.assign(loginUrl("staff")); return; }
  $("signin-pin").href = loginUrl("staff");
  if (why) setText($("signin-why"), why + " Paste a staff token below, or open this page from the owner's link.");
  $("signin").hidden = false;
}

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
      showSignin(err.status === 403 ? "This device's token may not run the queue (it needs the staff role)."
        : getToken() ? "This device's token is unknown or was revoked." : null);
    }
  }
}
