// Queue Kiosk — Admin page: the kind of place (which words every screen uses) and
// "start for real" (SPEC §9): removing what `--demo` made, after a confirm dialog.
import { apiFetch } from "/lib/api.js";
import { $, toast } from "/lib/ui.js";
import { t, useKind } from "/lib/i18n.js";
import { A, act, redrawOnChange, SHOP } from "./common.js";
import { loadAudit } from "./audit.js";

// ------------------------------------------------------------------ the kind of place

/** The select shows the shop's kind, never undoing the owner's pick before it is saved. */
export function drawKind() {
  const select = $("shop-kind");
  if (!A.shop || document.activeElement === select || select.dataset.dirty) return;
  select.value = A.shop.kind || "other";
}

$("shop-kind").addEventListener("change", (ev) => { ev.target.dataset.dirty = "1"; });

$("kind-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const kind = $("shop-kind").value;
  await act(async () => {
    const shop = await apiFetch("PATCH", `/api/v1/shops/${SHOP}`, { kind }, { outbox: false });
    A.shop = shop;
    delete $("shop-kind").dataset.dirty;
    useKind(shop.kind);  // this page's own words follow at once, as every screen's do
    drawKind();
    toast(t("admin.kind.saved", { kind: t(`admin.kind.${shop.kind}`) }), "success");
    loadAudit();
  }, "admin.act.kind", $("kind-save"));
});

// ------------------------------------------------------------------ start for real

/** The panel shows while the demo's rows are still there. */
export async function loadDemo() {
  try {
    const demo = await apiFetch("GET", "/api/v1/demo");
    $("real").hidden = !demo.present;
  } catch { $("real").hidden = true; /* shown again on the next refresh */ }
}

$("real-open").addEventListener("click", () => $("real-dialog").showModal());
$("real-cancel").addEventListener("click", () => $("real-dialog").close());
$("real-confirm").addEventListener("click", async () => {
  await act(async () => {
    await apiFetch("DELETE", "/api/v1/demo", undefined, { outbox: false });
    $("real-dialog").close();
    $("real").hidden = true;
    toast(t("admin.real.done"), "success");
    loadAudit();
  }, "admin.act.real", $("real-confirm"));
  if ($("real-dialog").open) { $("real-dialog").close(); loadDemo(); }
});

redrawOnChange(drawKind);
