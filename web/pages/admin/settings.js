// Queue Kiosk — Admin page: the shop's name and the appliance settings.
import { apiFetch } from "/lib/api.js";
import { $, h, setText, toast } from "/lib/ui.js";
import { LANGUAGES, language, t, translate, use } from "/lib/i18n.js";
import { A, act, errorText, redrawOnChange, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";
import { showVoices } from "./voices.js";
import { drawKind } from "./real.js";

// ------------------------------------------------------------------ settings

function showSettings(s) {
  A.settings = s;
  $("set-selfcheckin").checked = !!s.self_checkin;
  $("set-voice").checked = !!s.display_voice;
  for (const r of document.querySelectorAll('input[name="display_names"]')) r.checked = r.value === s.display_names;
  if (document.activeElement !== $("set-origins")) $("set-origins").value = (s.allowed_origins || []).join("\n");
  if (document.activeElement !== $("set-hosts")) $("set-hosts").value = (s.allowed_hosts || []).join("\n");
  showLineRules(s);
}

export async function loadSettings() {
  try { showSettings(await apiFetch("GET", "/api/v1/settings")); } catch { /* shown on the next write */ }
}

// A refused line setting said as what it accepts, not by its field's name.
const FIELD_SAYS = { priority_rule: "admin.line.ruleInvalid", appointment_grace_minutes: "admin.line.graceInvalid" };

async function patchSettings(changes, done, input) {
  if (input) input.disabled = true;
  try {
    const s = await apiFetch("PATCH", "/api/v1/settings", changes, { outbox: false });
    showSettings(s);
    toast(t(done), "success");
    loadAudit();
  } catch (err) {
    if (A.settings) showSettings(A.settings);  // put the switch back
    const own = err && err.code === "invalid_field" && FIELD_SAYS[err.details && err.details.field];
    toast(t("admin.failed", { action: t("admin.act.settings"), reason: own ? t(own) : errorText(err) }), "error", { timeoutMs: 8000 });
  } finally {
    if (input) input.disabled = false;
  }
}

$("set-selfcheckin").addEventListener("change", (ev) => patchSettings({ self_checkin: ev.target.checked },
  ev.target.checked ? "admin.set.selfCheckinOn" : "admin.set.selfCheckinOff", ev.target));
$("set-voice").addEventListener("change", (ev) => patchSettings({ display_voice: ev.target.checked },
  ev.target.checked ? "admin.set.voiceOn" : "admin.set.voiceOff", ev.target));
for (const r of document.querySelectorAll('input[name="display_names"]')) {
  r.addEventListener("change", () => patchSettings({ display_names: r.value },
    r.value === "ticket" ? "admin.set.namesTicketDone" : "admin.set.namesInitialDone"));
}
$("origins-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const list = $("set-origins").value.split(/[\s,]+/).map((o) => o.trim().replace(/\/+$/, "")).filter(Boolean);
  patchSettings({ allowed_origins: list }, list.length ? "admin.set.originsSaved" : "admin.set.originsNone", $("origins-save"));
});

$("hosts-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const list = $("set-hosts").value.split(/[\s,]+/).map((h) => h.trim()).filter(Boolean);
  patchSettings({ allowed_hosts: list }, list.length ? "admin.set.hostsSaved" : "admin.set.hostsNone", $("hosts-save"));
});

// ------------------------------------------------------------------ the order of the line (SPEC §10)

// Where priority tickets go ("first", or "ratio:N": N normal tickets between two priority
// ones), whether the desk tablet may give priority, and how late an appointment may be and
// still keep its time. Drawn here, at the end of the settings panel, once the settings (and
// so the page's catalog) have arrived.
const say = (key, props = {}) => ({ ...props, dataset: { ...(props.dataset || {}), i18n: key } });

function drawLineRules() {
  if ($("line-rules")) return;
  const radio = (value, key) => h("label", null, h("input", { type: "radio", name: "priority_rule", value }), " ", h("span", say(key)));
  const box = h("div", { class: "block line-rules", id: "line-rules" },
    h("b", say("admin.line.rule")),
    h("div", say("admin.line.ruleText", { class: "muted small" })),
    h("div", { class: "radios", attrs: { role: "radiogroup" }, dataset: { i18nAriaLabel: "admin.line.rule" } },
      radio("first", "admin.line.first"),
      h("span", { class: "rule-row" }, radio("ratio", "admin.line.ratio"),
        h("input", { class: "field", id: "set-ratio", type: "number", attrs: { min: 1, max: 10, step: 1, inputmode: "numeric" },
          dataset: { i18nAriaLabel: "admin.line.ratioN" } }),
        h("span", say("admin.line.ratioAfter", { class: "muted small" })))),
    h("div", { class: "setting" },
      h("div", { class: "text" }, h("b", say("admin.line.kiosk")), h("span", say("admin.line.kioskText"))),
      h("label", { class: "switch" }, h("input", { type: "checkbox", id: "set-prio-kiosk", attrs: { role: "switch" },
        dataset: { i18nAriaLabel: "admin.line.kiosk" } }), h("i"))),
    h("form", { class: "rule-row", id: "grace-form", attrs: { novalidate: true } },
      h("label", { attrs: { for: "set-grace" } }, h("b", say("admin.line.grace"))),
      h("input", { class: "field", id: "set-grace", type: "number", attrs: { min: 0, max: 240, step: 1, inputmode: "numeric" } }),
      h("span", say("admin.line.graceUnit")),
      h("button", say("admin.save", { class: "btn slim", type: "submit", id: "grace-save" })),
      h("div", say("admin.line.graceText", { class: "muted small", style: { width: "100%" } }))));
  $("settings").append(box);
  translate(box);
  const ratio = () => `ratio:${$("set-ratio").value.trim()}`;
  for (const r of box.querySelectorAll('input[name="priority_rule"]')) {
    r.addEventListener("change", () => patchSettings({ priority_rule: r.value === "first" ? "first" : ratio() }, "admin.line.ruleSaved"));
  }
  $("set-ratio").addEventListener("change", () => {
    box.querySelector('input[value="ratio"]').checked = true;
    patchSettings({ priority_rule: ratio() }, "admin.line.ruleSaved", $("set-ratio"));
  });
  $("set-prio-kiosk").addEventListener("change", (ev) => patchSettings({ priority_at_kiosk: ev.target.checked },
    ev.target.checked ? "admin.line.kioskOn" : "admin.line.kioskOff", ev.target));
  $("grace-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const typed = $("set-grace").value.trim();
    patchSettings({ appointment_grace_minutes: /^\d+$/.test(typed) ? Number(typed) : typed }, "admin.line.graceSaved", $("grace-save"));
  });
}

function showLineRules(s) {
  drawLineRules();
  const ratio = /^ratio:(\d+)$/.exec(s.priority_rule || "");
  for (const r of document.querySelectorAll('input[name="priority_rule"]')) r.checked = r.value === (ratio ? "ratio" : "first");
  if (document.activeElement !== $("set-ratio")) $("set-ratio").value = ratio ? ratio[1] : "2";
  $("set-prio-kiosk").checked = !!s.priority_at_kiosk;
  if (document.activeElement !== $("set-grace")) $("set-grace").value = String(s.appointment_grace_minutes ?? 10);
}

// ------------------------------------------------------------------ shop

function drawShop() {
  const shop = A.shop;
  if (!shop) return;
  setText($("shop-title"), shop.name);
  document.title = t("admin.titleShop", { shop: shop.name });
  setText($("shop-tz"), shop.timezone ? t("admin.shop.timezone", { zone: shop.timezone }) : "");
}

/** The language select: each language by its own name (a reader finds theirs in any language). */
function drawLanguages() {
  const select = $("shop-language");
  const chosen = (A.shop && A.shop.language) || language();
  if (!select.options.length) {
    select.append(...Object.entries(LANGUAGES).map(([code, name]) => {
      const option = new Option(name, code);
      option.lang = code;
      return option;
    }));
  }
  // Never undo the owner's pick before they save it (a live refresh redraws this).
  if (document.activeElement !== select && !select.dataset.dirty) select.value = chosen;
}

$("shop-language").addEventListener("change", (ev) => { ev.target.dataset.dirty = "1"; });

export async function loadShop() {
  try {
    const shop = await apiFetch("GET", `/api/v1/shops/${SHOP}`);
    A.shop = shop;
    drawShop();
    drawLanguages();
    drawKind();
    if (document.activeElement !== $("shop-name")) $("shop-name").value = shop.name;
    showVoices(shop.language || language());
  } catch (err) { toast(t("admin.shop.readFailed", { reason: errorText(err) }), "error"); }
}

redrawOnChange(drawShop);

$("shop-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const name = $("shop-name").value.trim();
  if (!name) return;
  await act(async () => {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, { name }, { outbox: false });
    A.shop = shop;
    drawShop();
    toast(t("admin.shop.saved", { name: shop.name }), "success");
  }, "admin.act.shopName", $("shop-save"));
});

$("language-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const lang = $("shop-language").value;
  await act(async () => {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, { language: lang }, { outbox: false });
    A.shop = shop;
    delete $("shop-language").dataset.dirty;
    // The owner's own page follows the shop (a ?lang= in the address is dropped: it would win).
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) {
      url.searchParams.delete("lang");
      history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    }
    await use(shop.language);
    drawLanguages();
    showVoices(shop.language);
    toast(t("admin.language.saved", { language: LANGUAGES[shop.language] || shop.language }), "success");
    loadAudit();
  }, "admin.act.language", $("language-save"));
});
