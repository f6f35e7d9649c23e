// Queue Kiosk — Admin page: pairing a tablet or TV with a one-time code.
import { apiFetch } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { qrSvg } from "/lib/qr.js";
import { A, act, PAIRING_MS, serverSvg } from "./common.js";
import { refreshDevicesSoon } from "./devices.js";

// ------------------------------------------------------------------ pairing

function pairRole() { return $("pair-form").querySelector('input[name="role"]:checked').value; }

$("pair-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const role = pairRole();
  const name = $("pair-name").value.trim() || (role === "kiosk" ? "Check-in tablet" : "Waiting-room TV");
  await act(async () => {
    const known = new Set(A.tokens.map((t) => t.id));
    const started = await apiFetch("POST", "/api/v1/pairing", { role, name }, { outbox: false });
    showPairing(started, known);
    refreshDevicesSoon();
  }, "Making the pairing code", $("pair-start"));
});

function showPairing(started, known) {
  const box = $("pair-out");
  // The countdown runs from when the code arrived: the tablet's clock may be off.
  A.pairing = { ...started, known, deadline: Date.now() + PAIRING_MS - 1000, state: "open" };
  const what = started.role === "kiosk" ? "check-in tablet" : "waiting-room TV";
  setText($("pair-title"), started.name);
  setText($("pair-how"), `New ${what}: scan this code with it, or open the link on it. Works once.`);
  setText($("pair-url"), started.url);
  $("pair-qr").replaceChildren(serverSvg(started.qr_svg, started.url, `QR code: pair ${started.name}`) || qrSvg(started.url, { size: 190 }));
  box.dataset.state = "open";
  box.hidden = false;
  $("pair-state-text").hidden = false;
  $("pair-countdown").hidden = false;
  $("pair-copy").hidden = false;
  setText($("pair-done"), "Close");
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
    setText($("pair-state-text"), "This code has expired.");
    setText($("pair-countdown"), "Make a new one.");
    $("pair-copy").hidden = true;
    clearInterval(A.pairTimer);
  }
}

export function checkPaired() {
  const p = A.pairing;
  if (!p || p.state !== "open") return;
  const device = A.tokens.find((t) => t.kind === "device" && !p.known.has(t.id) && t.role === p.role && t.name === p.name);
  if (!device) return;
  p.state = "paired";
  $("pair-out").dataset.state = "paired";
  setText($("pair-title"), `✓ “${device.name}” is paired`);
  setText($("pair-how"), device.role === "kiosk" ? "It now shows the check-in screen." : "It now shows the waiting-room display.");
  setText($("pair-url"), "");
  $("pair-state-text").hidden = true;
  $("pair-countdown").hidden = true;
  $("pair-copy").hidden = true;
  setText($("pair-done"), "Done");
  $("pair-name").value = "";
  clearInterval(A.pairTimer);
  toast(`${device.name} is paired.`, "success");
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
  try { await navigator.clipboard.writeText(url); toast("Link copied.", "success"); } catch { toast("Select the link and copy it by hand.", "info"); }
});
