// Queue Kiosk — Admin page: staff and their PINs.
import { apiFetch } from "/lib/api.js";
import { $, h, toast } from "/lib/ui.js";
import { formatDate, has, t } from "/lib/i18n.js";
import { A, act, adminPinOk, confirmed, pinOk, redrawOnChange } from "./common.js";
import { loadDevices } from "./devices.js";
import { loadAudit } from "./audit.js";

// ------------------------------------------------------------------ staff

export async function loadStaff() {
  try { A.staff = await apiFetch("GET", "/api/v1/staff"); } catch { return; }
  const active = A.staff.filter((s) => !s.disabled);
  const disabled = A.staff.filter((s) => s.disabled);
  const admins = active.filter((s) => s.role === "admin").length;
  const list = $("staff-list");
  list.replaceChildren(...[...active, ...disabled].map((s) => staffRow(s, s.role === "admin" && admins === 1)));
  if (!A.staff.length) list.append(h("li", { class: "empty", text: t("admin.staff.nobody") }));
}

function drawStaff() {
  if (!A.staff.length) return;
  const active = A.staff.filter((s) => !s.disabled);
  const admins = active.filter((s) => s.role === "admin").length;
  $("staff-list").replaceChildren(...[...active, ...A.staff.filter((s) => s.disabled)].map((s) => staffRow(s, s.role === "admin" && admins === 1)));
}
redrawOnChange(drawStaff);

const roleName = (role) => (has(`admin.role.${role}`) ? t(`admin.role.${role}`) : role);

function staffRow(s, lastAdmin) {
  const since = s.created_at
    ? t("admin.staff.since", { date: formatDate(new Date(s.created_at), { day: "numeric", month: "short", year: "numeric" }) }) : "";
  const acts = h("span", { class: "acts" });
  if (lastAdmin) {
    // The server refuses to disable the last admin (nobody could open this page).
    acts.append(h("span", { class: "muted small", text: t("admin.staff.owner"), attrs: { title: t("admin.staff.lastAdmin") } }));
  } else if (!s.disabled) {
    const b = h("button", { class: "btn danger slim", type: "button", dataset: { action: "disable" }, text: t("admin.staff.disable"), attrs: { "aria-label": t("admin.staff.disableName", { name: s.name }) } });
    b.addEventListener("click", () => disableStaff(s, b));
    acts.append(b);
  }
  return h("li", { class: "item", dataset: { staffId: String(s.id), disabled: s.disabled ? "1" : "0" } },
    h("span", { class: "name staff-name", text: s.name }),
    h("span", { class: "meta" },
      h("span", { class: "chip", dataset: { role: s.role }, text: roleName(s.role) }),
      s.disabled ? h("span", { text: t("admin.staff.disabled") }) : h("span", { text: since })),
    acts);
}

async function disableStaff(s, button) {
  if (!confirmed(button, "admin.confirm.disable")) return;
  await act(async () => {
    await apiFetch("DELETE", `/api/v1/staff/${s.id}`, undefined, { outbox: false });
    toast(t("admin.staff.disabledToast", { name: s.name }), "success");
    await Promise.all([loadStaff(), loadDevices(), loadAudit()]);
  }, "admin.act.disable", button, { conflict: "admin.error.lastAdmin" });
}

$("staff-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("staff-name").value.trim();
  const pin = $("staff-pin").value.trim();
  if (!name) { $("staff-name").focus(); return; }
  if (!pinOk(pin)) { toast(t("admin.staff.pinRule"), "error"); $("staff-pin").focus(); return; }
  if ($("staff-role").value === "admin" && !adminPinOk(pin)) { toast(t("admin.staff.adminPinRule"), "error"); $("staff-pin").focus(); return; }
  await act(async () => {
    const s = await apiFetch("POST", "/api/v1/staff", { name, pin, role: $("staff-role").value }, { outbox: false });
    ev.target.reset();
    toast(t("admin.staff.added", { name: s.name }), "success", { timeoutMs: 7000 });
    await Promise.all([loadStaff(), loadAudit()]);
  }, "admin.act.addStaff", $("staff-add"), { conflict: "admin.error.pinTaken" });
});
