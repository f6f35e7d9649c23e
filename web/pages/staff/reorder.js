// Queue Kiosk — Staff page: drag and drop reordering (Sortable), saved with the queue's version.
import { apiFetch, ApiError } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import Sortable from "/vendor/sortable/sortable.esm.js";
import { waitingOf, spliceOrder, slotsOf } from "/lib/staff-extras.js";
import { S, SHOP } from "./state.js";
import { apply, newer, refetchQueue } from "./data.js";
import { render } from "./render.js";
import { failed, errorText } from "./actions.js";
import { t, onChange } from "/lib/i18n.js";

// ------------------------------------------------------------------ drag and drop

let notice = null;   // [key, params] of the notice shown, redrawn on a language switch

function showNotice(key, params = {}, kind = "error") {
  const box = $("order-notice");
  box.dataset.kind = kind;
  notice = [key, params];
  setText(box.querySelector(".notice-text"), t(key, params));
  box.hidden = false;
}
onChange(() => { if (notice) setText($("order-notice").querySelector(".notice-text"), t(...notice)); });
$("order-notice").querySelector(".notice-close").addEventListener("click", () => { $("order-notice").hidden = true; });

function visibleRows() {
  return [...$("waiting").children].filter((el) => el.classList.contains("row") && !el.classList.contains("row-drag"));
}

/** While dragging: every visible row shows the position it would get if dropped now. */
function renumber() {
  if (!S.drag) return;
  const rows = visibleRows();
  rows.forEach((li, i) => setText(li.querySelector(".pos"), S.drag.slots[i]));
  const clone = document.querySelector(".row-drag .pos");
  const dragged = document.querySelector("#waiting .row-chosen");
  if (clone && dragged) setText(clone, dragged.querySelector(".pos").textContent);
}

Sortable.create($("waiting"), {
  handle: ".grip",
  draggable: ".row",
  forceFallback: true,        // the same pointer/touch code path everywhere (HTML5 DnD fails on tablets)
  fallbackOnBody: true,
  fallbackTolerance: 3,
  animation: 120,
  ghostClass: "row-ghost",
  chosenClass: "row-chosen",
  dragClass: "row-drag",
  onStart() {
    const full = waitingOf(S.queue.queue_items).map((e) => e.id);
    const visible = visibleRows().map((li) => Number(li.dataset.id));
    S.drag = { full, visible, slots: slotsOf(full, visible), version: S.queue.version };
    for (const d of document.querySelectorAll("details.more[open]")) d.open = false;
    document.body.classList.add("dragging");
  },
  onChange: renumber,
  onMove() { requestAnimationFrame(renumber); },
  async onEnd() {
    document.body.classList.remove("dragging");
    const drag = S.drag;
    const order = visibleRows().map((li) => Number(li.dataset.id));
    S.drag = null;
    if (!drag || order.join() === drag.visible.join()) { settle(); return; }
    $("order-notice").hidden = true;
    renumberFinal(drag, order);
    S.saving = true;
    document.body.classList.add("saving");
    try {
      const entryIds = spliceOrder(drag.full, order);
      const body = await apiFetch("PUT", `/api/v1/shops/${SHOP}/queue/order`,
        { entry_ids: entryIds, version: drag.version }, { label: t("staff.do.reorder"), outbox: false });
      S.saving = false;
      S.parked = newer(S.parked, body);
      settle();
    } catch (err) {
      S.saving = false;
      rollBack(err);
    } finally {
      document.body.classList.remove("saving");
    }
  },
});

function renumberFinal(drag, order) {
  visibleRows().forEach((li, i) => setText(li.querySelector(".pos"), drag.slots[i]));
}

/** Apply whatever arrived during the drag / save (or redraw what we had). */
function settle() {
  const parked = S.parked;
  S.parked = null;
  if (parked) { S.queue = null; apply(parked); } else render();
}

function rollBack(err) {
  if (err instanceof ApiError && err.code === "stale_version") {
    showNotice("staff.order.stale");
  } else if (err instanceof ApiError && err.status === 0) {
    showNotice("staff.order.offline");
  } else {
    showNotice("staff.order.failed", { reason: errorText(err) });
  }
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) failed(err, t("staff.do.reorder"));
  // Put the rows back in the server's order at once (details.entry_ids), then the full data.
  const ids = err && err.details && Array.isArray(err.details.entry_ids) ? err.details.entry_ids : null;
  const parked = S.parked;
  S.parked = null;
  if (parked) { S.queue = null; apply(parked); }
  else if (ids && S.queue) {
    const rank = new Map(ids.map((id, i) => [id, i + 1]));
    S.queue = { ...S.queue, version: err.details.version ?? S.queue.version,
      queue_items: S.queue.queue_items.map((e) => rank.has(e.id) ? { ...e, position_in_queue: rank.get(e.id) } : e)
        .filter((e) => e.status !== "CHECKED_IN" || rank.has(e.id)) };
    render();
  } else {
    render();
  }
  refetchQueue();
}
