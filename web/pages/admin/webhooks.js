// Queue Kiosk — Admin page: webhooks (SPEC §15). The owner registers URLs that get the
// shop's events; the secret shows once; each webhook's latest outcome shows here, so a
// receiver that is down is seen without reading any log.
import { apiFetch } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { t } from "/lib/i18n.js";
import { A, act, ago, confirmed, redrawOnChange } from "./common.js";

const REFRESH_MS = 15000;
// A change in the shop is what webhooks deliver, and the outbox is read every second:
// look again this long after one, so its outcome shows in seconds, not at the next round.
const AFTER_CHANGE_MS = 2500;
let hooks = [];
let eventTypes = [];
let timer = null;
let afterChange = null;

export function refreshWebhooksAfterChange() {
  if (!timer || !hooks.length) return;
  clearTimeout(afterChange);
  afterChange = setTimeout(() => { if (!document.hidden) loadWebhooks(); }, AFTER_CHANGE_MS);
}

export async function loadWebhooks() {
  let answer;
  try { answer = await apiFetch("GET", "/api/v1/webhooks"); } catch { return; }
  hooks = answer.webhooks;
  if (!eventTypes.length) { eventTypes = answer.event_types; drawEventChoices(); }
  drawWebhooks();
}

function drawEventChoices() {
  const box = $("webhook-events");
  box.replaceChildren(box.querySelector("legend"), ...eventTypes.map((type) =>
    h("label", { class: "event-choice" },
      h("input", { type: "checkbox", value: type }), " ", h("code", { text: type }))));
}

function outcome(hook) {
  if (hook.last_attempt_at && hook.last_status !== null && hook.last_status >= 200 && hook.last_status < 300) {
    return h("span", { class: "webhook-ok", text: t("admin.webhooks.lastOk", { when: ago(hook.last_attempt_at) }) });
  }
  if (hook.last_attempt_at) {
    const why = hook.last_status
      ? t("admin.webhooks.failedStatus", { status: hook.last_status })
      : t("admin.webhooks.failedNetwork");
    return h("span", { class: "webhook-failed qk-error-text", text: t("admin.webhooks.lastFailed", { when: ago(hook.last_attempt_at), why }) });
  }
  return h("span", { text: t("admin.webhooks.never") });
}

function webhookRow(hook) {
  const toggle = h("button", { class: "btn slim", type: "button", dataset: { action: "toggle" },
    text: t(hook.active ? "admin.webhooks.pause" : "admin.webhooks.resume") });
  toggle.addEventListener("click", () => setActive(hook, !hook.active, toggle));
  const remove = h("button", { class: "btn danger slim", type: "button", dataset: { action: "remove" },
    text: t("admin.webhooks.remove") });
  remove.addEventListener("click", () => removeWebhook(hook, remove));
  const events = hook.events.includes("*") ? t("admin.webhooks.allEvents") : hook.events.join(", ");
  return h("li", { class: "item webhook", dataset: { webhookId: String(hook.id), active: hook.active ? "1" : "0" } },
    h("span", { class: "name webhook-url", text: hook.url }),
    h("span", { class: "meta" },
      h("span", { class: "chip", text: t(hook.active ? "admin.webhooks.on" : "admin.webhooks.paused") }),
      h("span", { text: events }),
      hook.include_contact ? h("span", { text: t("admin.webhooks.withContact") }) : null,
      outcome(hook),
      hook.pending ? h("span", { class: "webhook-pending", text: t("admin.webhooks.pending", { count: hook.pending }) }) : null),
    h("span", { class: "acts" }, toggle, remove));
}

function drawWebhooks() {
  const list = $("webhook-list");
  list.replaceChildren(...hooks.map(webhookRow));
  if (!hooks.length) list.append(h("li", { class: "empty", text: t("admin.webhooks.none") }));
}
redrawOnChange(() => { drawWebhooks(); });

async function setActive(hook, active, button) {
  await act(async () => {
    await apiFetch("PATCH", `/api/v1/webhooks/${hook.id}`, { active }, { outbox: false });
    await loadWebhooks();
  }, "admin.act.webhook", button);
}

async function removeWebhook(hook, button) {
  if (!confirmed(button)) return;
  await act(async () => {
    await apiFetch("DELETE", `/api/v1/webhooks/${hook.id}`, undefined, { outbox: false });
    toast(t("admin.webhooks.removed"), "success");
    await loadWebhooks();
  }, "admin.act.webhook", button);
}

$("webhook-all").addEventListener("change", (ev) => { $("webhook-events").hidden = ev.target.checked; });

$("webhook-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const url = $("webhook-url").value.trim();
  const chosen = [...$("webhook-events").querySelectorAll("input:checked")].map((i) => i.value);
  const events = $("webhook-all").checked ? ["*"] : chosen;
  if (!events.length) { toast(t("admin.webhooks.pickEvents"), "error"); return; }
  await act(async () => {
    const made = await apiFetch("POST", "/api/v1/webhooks",
      { url, events, include_contact: $("webhook-contact").checked }, { outbox: false });
    ev.target.reset();
    $("webhook-events").hidden = true;
    setText($("webhook-secret"), made.secret);
    $("webhook-secret-box").hidden = false;
    toast(t("admin.webhooks.added"), "success");
    await loadWebhooks();
  }, "admin.act.webhook", $("webhook-add"));
});

// The page shows the admin view once someone with the admin role signed in: load then,
// and keep the outcomes fresh while it is open.
function startWhenShown() {
  const view = $("admin-view");
  const begin = () => {
    if (view.hidden || timer || !A.me || A.me.role !== "admin") return;
    loadWebhooks();
    timer = setInterval(() => { if (!document.hidden) loadWebhooks(); }, REFRESH_MS);
  };
  new MutationObserver(begin).observe(view, { attributes: true, attributeFilter: ["hidden"] });
  begin();
}
startWhenShown();
