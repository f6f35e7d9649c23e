// Queue Kiosk — Admin page: the addresses and QR codes of the screens.
import { apiFetch } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { qrSvg } from "/lib/qr.js";
import { t } from "/lib/i18n.js";
import { A, ADDRESS_KEY, isLoopback, redrawOnChange, serverSvg, SHOP } from "./common.js";

// ------------------------------------------------------------------ screens and QR codes

function normalBase(text) {
  let t = String(text || "").trim();
  if (!t) return null;
  if (!/^https?:\/\//i.test(t)) t = "http://" + t;
  try { const u = new URL(t); return `${u.protocol}//${u.host}`; } catch { return null; }
}

export function storedAddress() {
  try { return localStorage.getItem(ADDRESS_KEY); } catch { return null; }
}

function detectedBase() {
  return (A.appliance && A.appliance.base_url) || location.origin;
}

function drawCodes() {
  const override = normalBase($("address").value);
  const detected = detectedBase();
  const base = override || detected;
  const suffix = SHOP === 1 ? "" : `?shop=${SHOP}`;
  const pages = [["qr-join", "join", t("admin.screens.join.qr")], ["qr-display", "display", t("admin.screens.display.qr")]];
  for (const [id, page, label] of pages) {
    const box = $(id);
    const url = `${base}/${page}${suffix}`;
    const fromServer = !override && A.appliance && A.appliance.urls[page] === url
      ? serverSvg(A.appliance.qr_svg[page], url, label) : null;
    box.querySelector(".qr-code").replaceChildren(fromServer || qrSvg(url, { size: 150, label }));
    setText(box.querySelector(".url"), url);
    box.querySelector("a").href = url;
  }
  // The TV set-up's command names this appliance's own display address (SPEC §9).
  setText($("sound-url"), `${base}/display${suffix}`);
  const host = new URL(base).hostname;
  $("loopback-warn").hidden = !isLoopback(host);
  setText($("loopback-warn"), t("admin.screens.loopback", { host: new URL(base).host }));
}

redrawOnChange(drawCodes);

export async function loadAppliance() {
  try {
    A.appliance = await apiFetch("GET", `/api/v1/appliance${SHOP === 1 ? "" : `?shop=${SHOP}`}`);
  } catch { A.appliance = null; /* fall back to this page's own address */ }
  $("address").placeholder = detectedBase().replace(/^https?:\/\//, "");
  drawCodes();
  // Show the override when it is in use, or when the detected address is no use to a tablet.
  if ($("address").value || isLoopback(new URL(detectedBase()).hostname)) $("address-box").open = true;
}

$("address").addEventListener("input", () => {
  const value = $("address").value.trim();
  try {
    if (normalBase(value)) localStorage.setItem(ADDRESS_KEY, value);
    else if (!value) localStorage.removeItem(ADDRESS_KEY);
  } catch { /* ok */ }
  drawCodes();
});
$("address-reset").addEventListener("click", () => {
  try { localStorage.removeItem(ADDRESS_KEY); } catch { /* ok */ }
  $("address").value = "";
  drawCodes();
});
