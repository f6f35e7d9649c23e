// Queue Kiosk — Admin page: staff and their PINs.
import { apiFetch } from "/lib/api.js";
import { $, h, toast } from "/lib/ui.js";
import { A, act, adminPinOk, confirmed, pinOk } from "./common.js";
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
  if ($("staff-role").value === "admin" && !adminPinOk(pin)) { toast("An admin's PIN must be 6 to 12 digits.", "error"); $("staff-pin").focus(); return; }
  await act(async () => {
    const s = await apiFetch("POST", "/api/v1/staff", { name, pin, role: $("staff-role").value }, { outbox: false });
    ev.target.reset();
    toast(`Added ${s.name}. They sign in at /login with their PIN.`, "success", { timeoutMs: 7000 });
    await Promise.all([loadStaff(), loadAudit()]);
  }, "Adding", $("staff-add"));
});
