// Queue Kiosk — Admin page: an admin PIN from release 1 (4 digits) is replaced before anything else.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { adminPinOk, pinOk } from "./common.js";
import { showOnly } from "./setup.js";

export function showChangePin() {
  showOnly("change-pin-view");
  $("change-pin-old").focus();
}

function changeError(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 401) return "That is not your current PIN.";
  if (err.status === 409) return "Someone else already has this PIN. Choose another.";
  if (err.status === 422) return "The new PIN must be 6 to 12 digits.";
  if (err.status === 429) return `Too many tries. Wait ${err.details.retry_after_s || 30} seconds and try again.`;
  return err.message;
}

$("change-pin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const pin = $("change-pin-old").value.trim();
  const fresh = $("change-pin-new").value.trim();
  const err = $("change-pin-error");
  if (!pinOk(pin)) { setText(err, "Type your current PIN."); $("change-pin-old").focus(); return; }
  if (!adminPinOk(fresh)) { setText(err, "The new PIN must be 6 to 12 digits (numbers only)."); $("change-pin-new").focus(); return; }
  if (fresh !== $("change-pin-new2").value.trim()) {
    setText(err, "The two new PINs are not the same. Please type them again.");
    $("change-pin-new2").value = "";
    $("change-pin-new2").focus();
    return;
  }
  setText(err, "");
  $("change-pin-save").disabled = true;
  try {
    await apiFetch("POST", "/api/v1/auth/pin", { pin, new_pin: fresh }, { outbox: false, token: null });
    location.reload();
  } catch (e) {
    setText(err, changeError(e));
  } finally {
    $("change-pin-save").disabled = false;
  }
});
