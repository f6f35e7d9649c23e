// Queue Kiosk — Admin page: the shared state (window.__admin) and the helpers every panel uses.
import { ApiError, param, shopId } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { loginUrl } from "/lib/auth.js";

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

export async function act(fn, label, button) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      toast("Your sign-in ended. Please sign in again.", "warning");
      location.assign(loginUrl("admin"));
      return undefined;
    }
    toast(`${label} failed: ${err.message || err}`, "error", { timeoutMs: 8000 });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Two taps instead of a blocking confirm(): the second tap within 5 s does it. */
export function confirmed(button, prompt = "Tap again to confirm") {
  if (button.dataset.confirm === "1") { button.dataset.confirm = ""; return true; }
  const label = button.textContent;
  button.dataset.confirm = "1";
  setText(button, prompt);
  setTimeout(() => { if (button.dataset.confirm === "1") { button.dataset.confirm = ""; setText(button, label); } }, 5000);
  return false;
}

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
