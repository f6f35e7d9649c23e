// Queue Kiosk — Admin page: the shop's services (SPEC §10: haircut 30, beard 15…). The owner
// adds one, renames it, sets its minutes (the first guess of its length, 1–480), ticks who
// offers it (nobody ticked: everyone), puts them in the order customers see them, and
// retires one. Every screen follows with its next queue update (the body names them).
import { apiFetch } from "/lib/api.js";
import { $, h, setText, toast, syncList } from "/lib/ui.js";
import { loadServices } from "/lib/services.js";
import { t } from "/lib/i18n.js";
import { A, act, confirmed, errorText, redrawOnChange, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";

// A refused field said as the owner's own sentence, not "the value for minutes".
const REFUSED = { invalid_field: "admin.services.error.invalid", conflict: "admin.services.error.conflict" };
const byPosition = (a, b) => (a.position - b.position) || (a.id - b.id);

let active = [];
let retired = [];

export async function refreshServices() {
  let all;
  try {
    all = await loadServices(SHOP, { includeInactive: true });
  } catch (err) { toast(t("admin.services.readFailed", { reason: errorText(err) }), "error"); return; }
  active = all.filter((s) => s.active !== false).sort(byPosition);
  retired = all.filter((s) => s.active === false).sort(byPosition);
  draw();
}

// After the owner's own change: the list again, and the activity trail that now names it.
function changed() {
  loadAudit();
  return refreshServices();
}

function draw() {
  syncList($("svc-list"), active, (s) => s.id, createService, updateService);
  $("svc-empty").hidden = active.length > 0;
  $("svc-one").hidden = active.length !== 1;
  syncList($("svc-off"), retired, (s) => s.id, createRetired, updateRetired);
  $("svc-off-box").hidden = retired.length === 0;
}

const say = (key, props = {}) => ({ ...props, text: t(key), dataset: { ...(props.dataset || {}), i18n: key } });
const labelled = (key) => ({ "aria-label": t(key) });

function createService(s) {
  const input = (name, key, attrs) => h("input", { class: "field", name,
    dataset: { i18nAriaLabel: key }, attrs: { ...labelled(key), ...attrs } });
  const arrow = (action, key, text) => h("button", { class: "btn slim", type: "button", text,
    dataset: { action, i18nAriaLabel: key, i18nTitle: key }, attrs: { ...labelled(key), title: t(key) } });
  const form = h("form", { class: "srow", dataset: { serviceId: String(s.id) }, attrs: { novalidate: true, autocomplete: "off" } },
    h("div", { class: "order" }, arrow("up", "admin.services.up", "↑"), arrow("down", "admin.services.down", "↓")),
    input("name", "admin.services.name", { maxlength: 100 }),
    h("label", { class: "mins" }, input("minutes", "admin.services.minutes", { type: "number", min: 1, max: 480, step: 1, inputmode: "numeric" }),
      h("span", say("admin.services.minutesUnit"))),
    h("fieldset", { class: "who" },
      h("legend", say("admin.services.who")),
      h("div", { class: "who-list" }),
      h("span", say("admin.services.everyone", { class: "muted small everyone" }))),
    h("div", { class: "acts" },
      h("button", say("admin.save", { class: "btn", type: "submit", dataset: { action: "save" } })),
      h("button", say("admin.services.deactivate", { class: "btn danger", type: "button", dataset: { action: "deactivate" } }))));
  form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); save(form); });
  form.querySelector('[data-action="deactivate"]').addEventListener("click", () => retire(form));
  form.querySelector('[data-action="up"]').addEventListener("click", () => move(s.id, -1));
  form.querySelector('[data-action="down"]').addEventListener("click", () => move(s.id, 1));
  return form;
}

function updateService(form, s) {
  const i = active.findIndex((x) => x.id === s.id);
  form.querySelector('[data-action="up"]').disabled = i <= 0;
  form.querySelector('[data-action="down"]').disabled = i === active.length - 1;
  const offered = new Set(s.provider_ids || []);
  // Who may offer it: the active providers. A retired one still listed serves nobody (the
  // server treats a service whose providers all retired as anyone's), so it is not shown.
  const people = A.providers;
  const dirty = form.dataset.dirty === "1";
  syncList(form.querySelector(".who-list"), people, (p) => p.id, (p) => h("label", { class: "who-one" },
    h("input", { type: "checkbox", name: "provider", value: String(p.id) }), h("span")),
  (label, p) => {
    setText(label.lastChild, p.name);
    if (!dirty) label.firstChild.checked = offered.has(p.id);
  });
  form.querySelector("fieldset.who").hidden = people.length === 0;
  if (dirty) return;      // never overwrite what the owner is typing
  form.elements.name.value = s.name || "";
  form.elements.minutes.value = String(s.minutes);
}

function fieldsOf(form) {
  const minutes = form.elements.minutes.value.trim();
  return {
    name: form.elements.name.value.trim(),
    // Sent as typed: the appliance says what it accepts (1–480), in a sentence of ours.
    minutes: /^-?\d+$/.test(minutes) ? Number(minutes) : minutes,
  };
}

async function save(form) {
  const id = Number(form.dataset.serviceId);
  const body = fieldsOf(form);
  if (!body.name) { form.elements.name.focus(); return; }
  body.provider_ids = [...form.querySelectorAll('input[name="provider"]:checked')].map((c) => Number(c.value));
  await act(async () => {
    const s = await apiFetch("PATCH", `/api/v1/services/${id}`, body, { outbox: false });
    delete form.dataset.dirty;
    toast(t("admin.services.saved", { name: s.name }), "success");
    await changed();
  }, "admin.act.saveService", form.querySelector('[data-action="save"]'), REFUSED);
}

// One step up or down: the new order is written as positions 0..n-1 (only the ones that move).
async function move(id, step) {
  const order = active.map((s) => s.id);
  const from = order.indexOf(id);
  const to = from + step;
  if (from < 0 || to < 0 || to >= order.length) return;
  [order[from], order[to]] = [order[to], order[from]];
  await act(async () => {
    for (const [position, sid] of order.entries()) {
      const s = active.find((x) => x.id === sid);
      if (s.position !== position) await apiFetch("PATCH", `/api/v1/services/${sid}`, { position }, { outbox: false });
    }
    await changed();
  }, "admin.act.moveService", null, REFUSED);
}

async function retire(form) {
  const id = Number(form.dataset.serviceId);
  const button = form.querySelector('[data-action="deactivate"]');
  const name = active.find((s) => s.id === id)?.name || form.elements.name.value;
  if (!confirmed(button, "admin.confirm.deactivate")) return;
  await act(async () => {
    // A service no ticket ever named is removed outright; one that tickets name is kept, retired.
    const gone = await apiFetch("DELETE", `/api/v1/services/${id}`, undefined, { outbox: false });
    toast(t(gone && gone.deleted ? "admin.services.removed" : "admin.services.deactivated", { name }), "success", { timeoutMs: 8000 });
    await changed();
  }, "admin.act.deactivateService", button);
}

function createRetired(s) {
  const b = h("button", say("admin.providers.reactivate", { class: "btn slim", type: "button", dataset: { action: "reactivate" } }));
  b.addEventListener("click", () => act(async () => {
    const back = await apiFetch("PATCH", `/api/v1/services/${s.id}`, { active: true }, { outbox: false });
    toast(t("admin.services.reactivated", { name: back.name }), "success");
    await changed();
  }, "admin.act.reactivateService", b));
  return h("li", { class: "item", dataset: { retiredId: String(s.id) } },
    h("span", { class: "name" }), h("span", { class: "meta" }), h("span", { class: "acts" }, b));
}

function updateRetired(li, s) {
  setText(li.querySelector(".name"), s.name);
  setText(li.querySelector(".meta"), t("admin.services.minutesOf", { minutes: s.minutes }));
}

$("svc-add-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const body = fieldsOf(form);
  if (!body.name) { form.elements.name.focus(); return; }
  await act(async () => {
    const s = await apiFetch("POST", `/api/v1/shops/${SHOP}/services`, body, { outbox: false });
    form.reset();
    toast(t("admin.services.added", { name: s.name }), "success");
    await changed();
  }, "admin.act.addService", $("svc-add"), REFUSED);
});

redrawOnChange(draw);  // "30 min" in the new language (the labels follow their data-i18n)
