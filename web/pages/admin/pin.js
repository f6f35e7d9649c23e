// Queue Kiosk — Admin page: an admin PIN from release 1 (4 digits) is replaced before anything else.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { t } from "/lib/i18n.js";
import { adminPinOk, errorText, pinOk } from "./common.js";
import { showOnly } from "./setup.js";

export function showChangePin() {
  showOnly("change-pin-view");
  $("change-pin-old").focus();
}

function changeError(err) {
  if (!(err instanceof ApiError)) return errorText(err);
  if (err.status === 401) return t("admin.changePin.wrongOld");
  if (err.status === 409) return t("admin.error.pinTaken");
  if (err.status === 422) return t("admin.changePin.rule");
  return errorText(err);
}

$("change-pin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const pin = $("change-pin-old").value.trim();
  const fresh = $("change-pin-new").value.trim();
  const err = $("change-pin-error");
  if (!pinOk(pin)) { setText(err, t("admin.changePin.typeOld")); $("change-pin-old").focus(); return; }
  if (!adminPinOk(fresh)) { setText(err, t("admin.changePin.ruleDigits")); $("change-pin-new").focus(); return; }
  if (fresh !== $("change-pin-new2").value.trim()) {
    setText(err, t("admin.changePin.mismatch"));
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
