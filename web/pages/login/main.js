// Queue Kiosk — Login page (/login): the staff PIN pad.
import { apiFetch, param, shopId } from "/lib/api.js";
import { $, setText } from "/lib/ui.js";
import { whoAmI, login, logout, safeNext, atLeast } from "/lib/auth.js";
import { startForShop, t, onChange } from "/lib/i18n.js";
import { shopId as languageShop } from "/lib/api.js";

// Every text on this page comes from the shop's language catalog (SPEC §14).
await startForShop(languageShop());

const pin = $("pin");
const NEED = ["staff", "admin"].includes(param("need")) ? param("need") : null;
const RAW_NEXT = param("next");
const NEXT = safeNext(RAW_NEXT, null);
const state = { busy: false, lockedUntil: 0, timer: null };
window.__login = state;

// The page a sign-in leads to: each sentence naming it is a whole message per page.
const PAGES = { "/staff": "staff", "/monitor": "monitor", "/admin": "admin" };
const TARGET = NEXT ? PAGES[new URL(NEXT, location.origin).pathname] || null : null;
const PAGE = TARGET || "other";

// Every text shown is kept as [key, params] so a language switch redraws it.
const shown = { msg: null, lead: null, title: null, who: null, shop: null };

function show(id, key, params = {}) {
  shown[id] = key ? [key, params] : null;
  if (key) setText($(id), t(key, params));
}

function message(key, kind = "error", params = {}) {
  const box = $("msg");
  shown.msg = [key || "login.hint", params];
  setText(box, t(key || "login.hint", params));
  box.dataset.kind = key ? kind : "hint";
}

function redraw() {
  for (const id of ["msg", "lead", "title", "who-text"]) {
    const [key, params] = shown[id === "who-text" ? "who" : id] || [];
    if (key) setText($(id), t(key, params));
  }
  document.title = shown.shop ? t("login.titleShop", { shop: shown.shop }) : t("login.title");
}
onChange(redraw);

function digits(value) { return String(value || "").replace(/\D+/g, "").slice(0, 12); }

function setPin(value) {
  pin.value = digits(value);
  refresh();
}

function locked() { return Date.now() < state.lockedUntil; }

function refresh() {
  const off = state.busy || locked();
  $("submit").disabled = off || pin.value.length < 4;
  for (const key of $("pad").querySelectorAll("button")) key.disabled = off;
  pin.disabled = off;
}

function press(key) {
  if (state.busy || locked()) return;
  if (key === "back") setPin(pin.value.slice(0, -1));
  else if (key === "clear") setPin("");
  else if (/^\d$/.test(key)) {
    if (pin.value.length >= 12) return;
    setPin(pin.value + key);
    if ($("msg").dataset.kind === "error") message("");
  }
}

$("pad").addEventListener("click", (ev) => {
  const b = ev.target.closest("button");
  if (b) press(b.dataset.digit || b.dataset.key);
});

pin.addEventListener("input", () => { setPin(pin.value); if ($("msg").dataset.kind === "error") message(""); });

// Keyboard anywhere on the page (the field may not have focus after a tap on the pad).
document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (document.activeElement === pin && !pin.readOnly) return;  // the field handles itself
  if (/^\d$/.test(ev.key)) { ev.preventDefault(); press(ev.key); }
  else if (ev.key === "Backspace") { ev.preventDefault(); press("back"); }
  else if (ev.key === "Escape") { ev.preventDefault(); press("clear"); }
  else if (ev.key === "Enter") { ev.preventDefault(); $("login").requestSubmit(); }
});

function startLockout(seconds) {
  state.lockedUntil = Date.now() + seconds * 1000;
  setPin("");
  clearInterval(state.timer);
  const tick = () => {
    const left = Math.ceil((state.lockedUntil - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(state.timer);
      state.timer = null;
      message("login.again", "ok");
      refresh();
      if (!pin.readOnly) pin.focus();
      return;
    }
    const mm = Math.floor(left / 60);
    const ss = String(left % 60).padStart(2, "0");
    if (mm) message("login.lockout.clock", "wait", { time: `${mm}:${ss}` });
    else message("login.lockout.seconds", "wait", { count: left });
  };
  tick();
  state.timer = setInterval(tick, 250);
  refresh();
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (state.busy || locked()) return;
  const value = digits(pin.value);
  if (value.length < 4) { message("login.tooShort"); return; }
  state.busy = true;
  refresh();
  message("login.checking", "info");
  const result = await login(value);
  state.busy = false;
  if (result.ok) {
    if (result.staff && result.staff.name) message("login.welcome", "ok", { name: result.staff.name });
    else message("login.welcomeAnon", "ok");
    const role = result.staff && result.staff.role;
    if (NEED && !atLeast(role, NEED)) {
      // Signed in, but not enough for the page we came from (a staff PIN on /admin).
      shown.who = ["login.signedInAs", { name: result.staff.name }];
      setText($("who-text"), t("login.signedInAs", { name: result.staff.name }));
      $("who").hidden = false;
      message(`login.notEnough.${PAGE}`, "error", { name: result.staff.name });
      refresh();
      return;
    }
    // An admin PIN from release 1 is replaced first, on the Admin page (SPEC §16).
    if (result.staff && result.staff.must_change_pin) { location.replace("/admin"); return; }
    location.replace(NEXT || (role === "admin" ? "/admin" : "/staff"));
    return;
  }
  setPin("");
  if (result.status === 429) {
    startLockout(result.retryAfterS || 30);
  } else if (result.status === 401) {
    message("login.wrong");
    const card = $("login");
    card.classList.remove("shake");
    void card.offsetWidth;  // restart the animation
    card.classList.add("shake");
  } else if (result.status === 422) {
    message("login.badLength");
  } else if (result.status === 0) {
    message("common.unreachable");
  } else {
    message("login.failed");   // the API's own message stays English (SPEC §14)
  }
  refresh();
  if (!pin.readOnly) pin.focus();
});

$("who-logout").addEventListener("click", () => logout({ to: location.pathname + location.search }));

async function start() {
  // A tablet's on-screen keyboard would cover the pad: touch screens use the pad only.
  if (matchMedia("(pointer: coarse)").matches) pin.readOnly = true;
  apiFetch("GET", `/api/v1/shops/${shopId()}`).then((shop) => {
    if (shop && shop.name) {
      setText($("shop-name"), shop.name);
      shown.shop = shop.name;
      document.title = t("login.titleShop", { shop: shop.name });
    }
  }).catch(() => {});
  let me = null;
  try { me = await whoAmI({ cookieOnly: true }); } catch { /* offline: show the pad anyway */ }
  if (me && me.claimed === false) {
    $("unclaimed").hidden = false;
    return;
  }
  if (me && me.authenticated) {
    // Already signed in well enough for where we were going: carry on.
    if (NEXT && atLeast(me.role, NEED || "staff")) { location.replace(NEXT); return; }
    shown.who = ["login.signedInAs", { name: me.name || me.role }];
    setText($("who-text"), t(...shown.who));
    $("who").hidden = false;
  }
  if (NEED === "admin") {
    show("title", "login.ownerHeading");
    if (me && me.authenticated) show("lead", `login.needAdmin.${PAGE}`, { name: me.name || me.role });
    else show("lead", `login.adminLead.${PAGE}`);
  } else if (TARGET) {
    show("lead", `login.openLead.${TARGET}`);
  }
  message("");
  $("login").hidden = false;
  refresh();
  if (!pin.readOnly) pin.focus();
}

start();
