// Queue Kiosk — Staff page: who just joined, told in one line in the Waiting panel's head.
//
// A burst of joins (a family, a bus) made one toast each, stacked over the rows' ⋯
// buttons (issue 13). Now a burst is one notice, "3 new customers", that takes the
// place of the drag hint beside the panel's title: it sits in the page's flow, so it
// never covers a row or moves one.
import { $, setText } from "/lib/ui.js";
import { t } from "/lib/i18n.js";
import { providerLabel } from "./data.js";

const SHOWN_MS = 8000;     // after the last join of a burst
const burst = [];          // the entries that joined since the notice was last empty
let timer = null;

export function joined(entry) {
  if (!burst.some((e) => e.id === entry.id)) burst.push(entry);
  clearTimeout(timer);
  timer = setTimeout(clear, SHOWN_MS);
  redrawJoins();
}

/** One join: who and for whom; more: how many (their tickets in the tooltip). */
function sentence() {
  if (burst.length !== 1) return t("staff.joins.many", { count: burst.length });
  const e = burst[0];
  return e.provider_id != null
    ? t("staff.toast.joinedFor", { ticket: e.ticket, name: e.full_name, provider: providerLabel(e.provider_id) })
    : t("staff.toast.joined", { ticket: e.ticket, name: e.full_name });
}

export function redrawJoins() {
  const box = $("join-notice");
  box.hidden = burst.length === 0;
  $("drag-hint").hidden = burst.length > 0;
  if (!burst.length) return;
  setText(box, sentence());
  box.title = burst.map((e) => e.ticket).join(", ");
  box.dataset.count = String(burst.length);
}

function clear() {
  burst.length = 0;
  redrawJoins();
}
