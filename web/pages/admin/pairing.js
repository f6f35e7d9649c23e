// Queue Kiosk — Admin page: pairing a tablet or TV with a one-time code.
import { apiFetch } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { qrSvg } from "/lib/qr.js";
import { t } from "/lib/i18n.js";
import { A, act, PAIRING_MS, redrawOnChange, serverSvg } from "./common.js";
import { refreshDevicesSoon } from "./devices.js";

// ------------------------------------------------------------------ pairing

function pairRole() { return $("pair-form").querySelector('input[name="role"]:checked').value; }

$("pair-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = pairRole();
  const name = $("pair-name").value.trim() || t(role === "kiosk" ? "admin.pair.kiosk" : "admin.pair.display");
  await act(async () => {
    const known = new Set(A.tokens.map((t) => t.id));
    const started = await apiFetch("POST", "/api/v1/pairing", { role, name }, { outbox: false });
    showPairing(started, known);
    refreshDevicesSoon();
  }, "admin.act.pair", $("pair-start"));
});

function showPairing(started, known) {
  const box = $("pair-out");
  // The countdown runs from when the code arrived: the tablet's clock may be off.
  A.pairing = { ...started, known, deadline: Date.now() + PAIRING_MS - 1000, state: "open" };
  setText($("pair-title"), started.name);
  setText($("pair-url"), started.url);
  // The code the owner types on the tablet (SPEC §9), in two halves like a phone's.
  const code = String(started.short_code || "");
  setText($("pair-short-code"), code.length === 6 ? `${code.slice(0, 3)} ${code.slice(3)}` : code);
  $("pair-code-box").hidden = !code;
  const label = t("admin.pair.qrLabel", { name: started.name });
  $("pair-qr").replaceChildren(serverSvg(started.qr_svg, started.url, label) || qrSvg(started.url, { size: 190, label }));
  box.dataset.state = "open";
  box.hidden = false;
  $("pair-state-text").hidden = false;
  $("pair-countdown").hidden = false;
  $("pair-copy").hidden = false;
  drawPairing();
  tickPairing();
  clearInterval(A.pairTimer);
  A.pairTimer = setInterval(tickPairing, 1000);
  box.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function tickPairing() {
  const p = A.pairing;
  if (!p || p.state !== "open") { clearInterval(A.pairTimer); return; }
  const left = Math.max(0, Math.ceil((p.deadline - Date.now()) / 1000));
  setText($("pair-countdown"), `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`);
  if (left <= 0) {
    p.state = "expired";
    $("pair-out").dataset.state = "expired";
    $("pair-code-box").hidden = true;
    $("pair-copy").hidden = true;
    clearInterval(A.pairTimer);
    drawPairing();
  }
}

/** The pairing box's words for its state (open, expired, paired), in the page's language. */
function drawPairing() {
  const p = A.pairing;
  if (!p) return;
  const kiosk = p.role === "kiosk";
  const kioskPage = `${p.url.split("/pair/")[0]}/kiosk`;
  setText($("pair-code-how"), t("admin.pair.typeCode", { address: kioskPage.replace(/^https?:\/\//, "") }));
  if (p.state === "open") {
    setText($("pair-how"), t(kiosk ? "admin.pair.howKiosk" : "admin.pair.howDisplay"));
    setText($("pair-state-text"), t("admin.pair.expiresIn"));
    setText($("pair-done"), t("admin.pair.close"));
  } else if (p.state === "expired") {
    setText($("pair-state-text"), t("admin.pair.expired"));
    setText($("pair-countdown"), t("admin.pair.makeNew"));
  } else if (p.state === "paired") {
    setText($("pair-title"), t("admin.pair.paired", { name: p.deviceName }));
    setText($("pair-how"), t(kiosk ? "admin.pair.pairedKiosk" : "admin.pair.pairedDisplay"));
    setText($("pair-done"), t("admin.pair.done"));
  }
}
redrawOnChange(drawPairing);

export function checkPaired() {
  const p = A.pairing;
  if (!p || p.state !== "open") return;
  const device = A.tokens.find((t) => t.kind === "device" && !p.known.has(t.id) && t.role === p.role && t.name === p.name);
  if (!device) return;
  p.state = "paired";
  p.deviceName = device.name;
  $("pair-out").dataset.state = "paired";
  drawPairing();
  setText($("pair-url"), "");
  $("pair-state-text").hidden = true;
  $("pair-code-box").hidden = true;
  $("pair-countdown").hidden = true;
  $("pair-copy").hidden = true;
  $("pair-name").value = "";
  clearInterval(A.pairTimer);
  toast(t("admin.pair.pairedToast", { name: device.name }), "success");
}

$("pair-done").addEventListener("click", () => {
  A.pairing = null;
  clearInterval(A.pairTimer);
  $("pair-out").hidden = true;
  $("pair-name").value = "";
});
$("pair-copy").addEventListener("click", async () => {
  const url = A.pairing && A.pairing.url;
  if (!url) return;
  try { await navigator.clipboard.writeText(url); toast(t("admin.pair.copied"), "success"); } catch { toast(t("admin.pair.copyByHand"), "info"); }
});
