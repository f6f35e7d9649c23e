// Queue Kiosk — Admin page: adding, editing, deactivating and reactivating providers.
import { apiFetch } from "/lib/api.js";
import { $, h, setText, toast, syncList } from "/lib/ui.js";
import { loadProviders } from "/lib/providers.js";
import { t } from "/lib/i18n.js";
import { A, act, confirmed, errorText, SHOP } from "./common.js";

// ------------------------------------------------------------------ providers

export async function refreshProviders() {
  let all;
  try {
    all = await loadProviders(SHOP, { includeInactive: true });
  } catch (err) { toast(t("admin.providers.readFailed", { reason: errorText(err) }), "error"); return; }
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
  // The words come from data-i18n*: translate() and a language switch fill them.
  const input = (name, key, max) => h("input", { class: "field", name, maxLength: max,
    dataset: { i18nPlaceholder: key, i18nAriaLabel: key }, attrs: { placeholder: t(key), "aria-label": t(key) } });
  const form = h("form", { class: "prow", dataset: { providerId: String(p.id) } },
    input("name", "admin.providers.name", 100), input("code", "admin.providers.code", 20),
    input("specialty", "admin.providers.specialty", 100),
    h("div", { class: "acts" },
      h("button", { class: "btn", type: "submit", dataset: { action: "save", i18n: "admin.save" }, text: t("admin.save") }),
      h("button", { class: "btn danger", type: "button", dataset: { action: "deactivate", i18n: "admin.providers.deactivate" }, text: t("admin.providers.deactivate") })));
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
  const b = h("button", { class: "btn slim", type: "button", dataset: { action: "reactivate", i18n: "admin.providers.reactivate" }, text: t("admin.providers.reactivate") });
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
    toast(t("admin.providers.reactivated", { name: p.name }), "success");
    await refreshProviders();
  }, "admin.act.reactivate", button);
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
    toast(t("admin.providers.saved", { name: p.name }), "success");
    await refreshProviders();
  }, "admin.act.saveProvider", form.querySelector('[data-action="save"]'));
}

async function deactivate(form) {
  const id = Number(form.dataset.providerId);
  const name = form.elements.name.value;
  const button = form.querySelector('[data-action="deactivate"]');
  if (!confirmed(button, "admin.confirm.deactivate")) return;
  await act(async () => {
    await apiFetch("DELETE", `/api/v1/providers/${id}`, undefined, { outbox: false });
    toast(t("admin.providers.deactivated", { name }), "success", { timeoutMs: 8000 });
    await refreshProviders();
  }, "admin.act.deactivate", button);
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
    toast(t("admin.providers.added", { name: p.name }), "success");
    await refreshProviders();
  }, "admin.act.addProvider", $("add-provider"));
});
