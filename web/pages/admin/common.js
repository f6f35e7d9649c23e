// Queue Kiosk — Admin page: the shared state (window.__admin) and the helpers every panel uses.
import { ApiError, param, shopId } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";
import { has, locale, onChange, t } from "/lib/i18n.js";

export const SHOP = shopId();
export const ADDRESS_KEY = "qk.admin.address";
// The link printed at first start, or one from `kiosk admin reset` (a claimed appliance).
export const SETUP = param("setup") || param("reset");
export const RESET = param("reset");
export const PAIRING_MS = 10 * 60 * 1000;
export const AUDIT_PAGE = 25;
export const A = { me: null, appliance: null, providers: [], tokens: [], staff: [], settings: null, audit: new Map(), auditEnd: false, pairing: null };
window.__admin = A;

// ------------------------------------------------------------------ small helpers

export function isLoopback(host) {
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\./.test(host);
}

export function dropSetupParam() {
  const url = new URL(location.href);
  if (!url.searchParams.has("setup") && !url.searchParams.has("reset")) return;
  url.searchParams.delete("setup");
  url.searchParams.delete("reset");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
}

export function pinOk(pin) { return /^\d{4,12}$/.test(pin); }
export function adminPinOk(pin) { return /^\d{6,12}$/.test(pin); }

/**
 * This page's own words for an API error (SPEC §14: the API's messages stay English).
 * `codes` lets an action say more for a code it knows, e.g. { conflict: "admin.error.pinTaken" }.
 */
export function errorText(err, codes = {}) {
  if (!(err instanceof ApiError)) return t("admin.error.unknown");
  if (err.status === 0) return t("common.unreachable");
  const details = err.details || {};
  const key = codes[err.code] || (err.code && `admin.error.${err.code}`);
  if (key && has(key)) {
    return t(key, { field: details.field || "", count: Number(details.retry_after_s) || 30 });
  }
  return t("admin.error.unknown");
}

/** An action's failure: its own sentence ("The shop name could not be saved.") and the reason. */
export async function act(fn, label, button, codes = {}) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      toast(t("admin.signInEnded"), "warning");
      location.assign(loginUrl("admin"));
      return undefined;
    }
    toast(t("admin.failed", { action: t(label), reason: errorText(err, codes) }), "error", { timeoutMs: 8000 });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Two taps instead of a blocking confirm(): the second tap within 5 s does it. */
export function confirmed(button, prompt = "admin.confirm.tapAgain") {
  if (button.dataset.confirm === "1") { button.dataset.confirm = ""; return true; }
  const label = button.textContent;
  button.dataset.confirm = "1";
  setText(button, t(prompt));
  setTimeout(() => { if (button.dataset.confirm === "1") { button.dataset.confirm = ""; setText(button, label); } }, 5000);
  return false;
}

/** "just now", "5 minutes ago", "yesterday": Intl in the page's language. */
export function ago(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return "";
  const s = Math.round((now - at) / 1000);
  if (s < 45 && s > -30) return t("admin.time.justNow");
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return rtf.format(-m, "minute");
  const h = Math.round(m / 60);
  if (Math.abs(h) < 24) return rtf.format(-h, "hour");
  return rtf.format(-Math.round(h / 24), "day");
}

/** Redraw on a language switch: every panel registers its own redraw. */
export function redrawOnChange(fn) { onChange(() => { try { fn(); } catch (err) { console.error(err); } }); }

/**
 * A QR code the server drew (GET /appliance, POST /pairing) as an <svg> element.
 * The markup is ours (segno on the appliance), never anything a person typed; it is
 * still parsed in an inert document and only drawing elements are kept.
 */
export function serverSvg(markup, text, label) {
  if (typeof markup !== "string" || !markup.includes("<svg")) return null;
  const doc = new DOMParser().parseFromString(markup, "text/html");
  const svg = doc.querySelector("svg");
  if (!svg) return null;
  const keep = new Set(["svg", "path", "rect", "g", "title"]);
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    if (!keep.has(el.localName)) { el.remove(); continue; }
    for (const attr of [...el.attributes]) {
      // (class too: the server's class="qr" would pick up this page's .qr card style)
      if (/^on/i.test(attr.name) || /href$/i.test(attr.name) || attr.name === "style" || attr.name === "class") el.removeAttribute(attr.name);
    }
  }
  const node = document.importNode(svg, true);
  node.setAttribute("role", "img");
  node.setAttribute("aria-label", label);
  node.dataset.qrText = text;
  return node;
}
