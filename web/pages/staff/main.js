// Queue Kiosk — Staff page (/staff): entry module. The other modules register their own handlers
// when imported; this one signs in and opens the live sockets.
import { getToken } from "/lib/api.js";
import { $, setText, toast } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { requireRole, logout } from "/lib/auth.js";
import { S, SHOP, VIEW_KEY, CHAIR_KEY } from "./state.js";
import { apply, refreshProviders, showShopName } from "./data.js";
import { render } from "./render.js";
import { checkSignin, showSignin } from "./signin.js";
import { fillProviderPickers, fillServicePickers, remembered } from "./pickers.js";
import { joined, redrawJoins } from "./joins.js";
import { mountClock } from "/lib/clock.js";
import "./actions.js";
import "./bookings.js";
import "./reorder.js";
import { joinPrinterRoom, onPrinterMessage } from "./print.js";
import { joinWeekRooms, loadWeek, onWeekMessage } from "./week.js";
import { startForShop, onChange, t } from "/lib/i18n.js";
import { shopId as languageShop } from "/lib/api.js";

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

// ------------------------------------------------------------------ live

export let live = null;

function onQueueMessage(msg) {
  if (!msg || typeof msg !== "object") return;
  if (msg.type === "queue_update") apply(msg);
  else if (msg.type === "new_entry" && msg.queue_item) joined(msg.queue_item);
}

function onNotification(msg) {
  if (!msg || typeof msg !== "object" || msg.type !== "notification") return;
  const d = msg.data || {};
  const text = d.message || d.text || d.title || d.body || JSON.stringify(d);
  toast(String(text), msg.severity || d.severity || "info", { timeoutMs: 8000 });
}

function logoutTitle() {
  if (S.me) $("logout").title = t("staff.logoutName", { name: S.me.name || "" });
}

function showWho(me) {
  if (!me || me.kind !== "session") return;  // tokens (scripts, paired devices) have no person
  S.me = me;
  setText($("who-name"), me.name || "");
  logoutTitle();
  $("who").hidden = false;
  $("logout").addEventListener("click", () => logout());
}

export async function start() {
  // Without ?token= this screen needs a staff PIN session (else: the PIN pad at /login).
  const me = await requireRole("staff");
  S.role = me && me.role;  // an admin also approves or rejects time off (timeoff.js)
  showWho(me);
  S.view = remembered(VIEW_KEY);
  S.chair = remembered(CHAIR_KEY);
  mountClock($("clock"));
  getToken();
  refreshProviders();
  checkSignin();
  live = new LiveSocket({
    url: `/ws/queue/${SHOP}/`,
    onMessage: onQueueMessage,
    onRevoked: () => showSignin("staff.signin.whyEnded"),
    poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: apply },
  }).start();
  // Notifications (seed 003 rooms): everything sent to everyone, or to this device's user.
  // Also who works when (week.js): the rooms `schedules` and `timeoff`, live; and the
  // printer's news (print.js): the room `printer`.
  S.rooms = new LiveSocket({ url: "/ws/connect", indicator: false,
    onMessage: (msg) => { onNotification(msg); onWeekMessage(msg); onPrinterMessage(msg); },
    onOpen: (live, how) => { joinWeekRooms(live, how); joinPrinterRoom(live); },
    onResync: loadWeek }).start();
  // Keep "here 12 min" and "called 3 min ago" fresh between updates.
  setInterval(() => { if (!S.drag && !S.saving) render(); }, 30000);
}

// Another language (no page switches today, but the catalog may): redraw what JS wrote.
onChange(() => {
  logoutTitle();
  showShopName();
  fillProviderPickers();
  fillServicePickers();
  redrawJoins();
  render();
});

start();
