// Queue Kiosk — Admin page: the ticket printer (SPEC §12). Where it is, the paper, whether a
// paired kiosk prints on every join, the owner's header and footer, and a test ticket.
import { apiFetch } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { t } from "/lib/i18n.js";
import { act, ago, redrawOnChange } from "./common.js";

const P = { printer: null, state: null };

function showKind(kind) {
  for (const row of document.querySelectorAll("#printer .printer-for")) row.hidden = row.dataset.kind !== kind;
  document.querySelector("#printer .printer-more").hidden = kind === "none";
  $("printer-test").hidden = kind === "none";
}

const hex = (n) => (n === null || n === undefined ? "" : n.toString(16).padStart(4, "0"));

function showPrinter(p) {
  P.printer = p;
  $("printer-kind").value = p.kind;
  $("printer-host").value = p.host || "";
  $("printer-port").value = String(p.port || 9100);
  $("printer-usb-vendor").value = hex(p.usb_vendor);
  $("printer-usb-product").value = hex(p.usb_product);
  $("printer-device").value = p.device || "";
  $("printer-queue").value = p.queue || "";
  for (const r of document.querySelectorAll('input[name="printer_width"]')) r.checked = Number(r.value) === p.width_mm;
  $("printer-auto").checked = !!p.auto_print;
  $("printer-header").value = p.header || "";
  $("printer-footer").value = p.footer || "";
  showKind(p.kind);
}

function drawState() {
  const s = P.state;
  if (!s) { setText($("printer-state"), ""); return; }
  const status = t(`admin.printer.status.${s.status}`);
  const line = t("admin.printer.state", { status });
  setText($("printer-state"), s.at ? `${line} · ${ago(s.at)}` : line);
  $("printer-state").dataset.status = s.status;
}
redrawOnChange(drawState);

export async function loadPrinter() {
  try {
    const settings = await apiFetch("GET", "/api/v1/settings");
    if (settings.printer) showPrinter(settings.printer);
    P.state = await apiFetch("GET", "/api/v1/printer");
    drawState();
  } catch { /* not signed in yet: loaded again when the admin view shows */ }
}

function formPrinter() {
  const kind = $("printer-kind").value;
  const width = document.querySelector('input[name="printer_width"]:checked');
  const body = {
    kind,
    width_mm: width ? Number(width.value) : 80,
    auto_print: $("printer-auto").checked,
    header: $("printer-header").value,
    footer: $("printer-footer").value,
  };
  if (kind === "network") Object.assign(body, { host: $("printer-host").value.trim(), port: Number($("printer-port").value) || 9100 });
  if (kind === "usb") Object.assign(body, { usb_vendor: $("printer-usb-vendor").value.trim() || null, usb_product: $("printer-usb-product").value.trim() || null });
  if (kind === "serial") body.device = $("printer-device").value.trim();
  if (kind === "cups") body.queue = $("printer-queue").value.trim();
  return body;
}

$("printer-kind").addEventListener("change", (ev) => showKind(ev.target.value));

$("printer-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const saved = await act(
    () => apiFetch("PATCH", "/api/v1/settings", { printer: formPrinter() }, { outbox: false }),
    "admin.act.printer", $("printer-save"));
  if (!saved) return;
  showPrinter(saved.printer);
  toast(t("admin.printer.saved"), "success");
  P.state = await apiFetch("GET", "/api/v1/printer").catch(() => P.state);
  drawState();
});

$("printer-test").addEventListener("click", async () => {
  const result = await act(() => apiFetch("POST", "/api/v1/printer/test", {}, { outbox: false }),
    "staff.printer.error", $("printer-test"));
  if (!result) return;
  toast(t(`staff.printer.${result.status}`), result.status === "ok" ? "success" : "error", { timeoutMs: 8000 });
  P.state = await apiFetch("GET", "/api/v1/printer").catch(() => P.state);
  drawState();
});

// The admin view appears after sign-in (main.js); load then, and again on each showing.
const view = $("admin-view");
if (view) {
  new MutationObserver(() => { if (!view.hidden) loadPrinter(); }).observe(view, { attributes: true, attributeFilter: ["hidden"] });
  if (!view.hidden) loadPrinter();
}
