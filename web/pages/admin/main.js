// Queue Kiosk — Admin page (/admin): entry module. The panel modules register their own handlers
// when imported; this one signs in and loads every panel.
import { getToken } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { LiveSocket } from "/lib/live.js";
import { whoAmI, requireRole, logout, openedWithToken } from "/lib/auth.js";
import { A, dropSetupParam, RESET, SETUP, SHOP } from "./common.js";
import { showOnly, showSetup } from "./setup.js";
import { showChangePin } from "./pin.js";
import { loadAppliance, storedAddress } from "./screens.js";
import { loadDevices, refreshDevicesSoon, renderDevices } from "./devices.js";
import { loadStaff } from "./staff.js";
import { loadSettings, loadShop } from "./settings.js";
import { refreshProviders } from "./providers.js";
import { refreshServices } from "./services.js";
import { loadAudit } from "./audit.js";
import { loadDemo } from "./real.js";
import { refreshWebhooksAfterChange } from "./webhooks.js";
import { learnClock, mountClock } from "/lib/clock.js";
import "./pairing.js";
import { startForShop, t, useKind } from "/lib/i18n.js";
import { redrawOnChange } from "./common.js";
import { shopId as languageShop } from "/lib/api.js";

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

// ------------------------------------------------------------------ start

mountClock($("clock"));  // blank until the appliance has said what time it is

$("logout").addEventListener("click", () => logout({ to: "/login?need=admin&next=%2Fadmin" }));

export function refreshAll() {
  return Promise.all([loadShop(), refreshProviders().then(refreshServices), loadDevices(), loadStaff(), loadSettings(), loadAudit(), loadAppliance(), loadDemo()]);
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => { refreshProviders().then(refreshServices); loadShop(); }, 300);
}

function drawWho() {
  const me = A.me;
  if (!me) return;
  setText($("who-name"), me.name || t(me.kind === "session" ? "admin.role.admin" : "admin.who.token"));
  $("who-name").title = t("admin.who.title", { name: me.name || t("admin.role.admin") });
}
redrawOnChange(drawWho);

let live = null;
export async function showAdmin(me) {
  A.me = me;
  showOnly("admin-view");
  $("claim").hidden = me.claimed !== false;
  drawWho();
  $("who").hidden = false;
  $("address").value = storedAddress() || "";
  $("navlinks").hidden = false;
  await refreshAll();
  refreshDevicesSoon();
  setInterval(() => { if (A.tokens.length) renderDevices(); }, 30000);  // "seen 2 min ago" stays true
  if (!live) {
    // Provider and shop changes made elsewhere reach every queue socket: follow them. The
    // queue body also carries the appliance's clock (SPEC §9) and the shop's kind.
    const follow = (m) => {
      if (!m || m.type !== "queue_update") return;
      learnClock(m.timestamp);
      useKind(m.kind);
      refreshSoon();
      refreshWebhooksAfterChange();
    };
    live = new LiveSocket({
      url: `/ws/queue/${SHOP}`,
      onMessage: follow,
      poll: { url: `/api/v1/shops/${SHOP}/queue`, everyMs: 5000, onData: follow },
    }).start();
  }
}

async function start() {
  getToken();
  loadShop();
  let me;
  try {
    me = await whoAmI();
  } catch (err) {
    setText($("load-error"), t("admin.loadError"));
    showOnly("load-error");
    return;
  }
  if (me.must_change_pin) { showChangePin(); return; }
  if (me.claimed && SETUP && !RESET) dropSetupParam();   // a used or stale link: nothing to keep
  if (me.role === "admin" && !me.tokenRejected) {
    if (RESET) dropSetupParam();   // signed in already: the reset link is not needed
    await showAdmin(me);
    return;
  }
  // A link from `kiosk admin reset` opens the setup on a claimed appliance too.
  if (!me.claimed || RESET) { showSetup(); return; }
  if (openedWithToken()) {
    // Scripts and tests open pages with ?token=: say what is wrong instead of leaving.
    const why = me.tokenRejected ? "admin.needAdmin.tokenRejected" : "admin.needAdmin.notAdmin";
    $("need-admin-why").dataset.i18n = why;
    setText($("need-admin-why"), t(why));
    showOnly("need-admin");
    return;
  }
  await showAdmin(await requireRole("admin"));
}

start();
