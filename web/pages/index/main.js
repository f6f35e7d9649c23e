// Queue Kiosk — the landing page (/): a card per screen, in the shop's language (SPEC §14).
// Its first two cards say where each device goes (SPEC §9): desk tablets and TVs are
// paired from /admin, customers' phones open /join (with its QR code for a poster, at
// the address the phones on the shop's network reach).
import { startForShop, t } from "/lib/i18n.js";
import { apiFetch, shopId } from "/lib/api.js";
import { qrSvg } from "/lib/qr.js";

const SHOP = shopId();
await startForShop(SHOP);

const suffix = SHOP === 1 ? "" : `?shop=${SHOP}`;
document.getElementById("for-phones").href = `/join${suffix}`;
try {
  const appliance = await apiFetch("GET", "/api/v1/appliance");
  const url = `${appliance.base_url}/join${suffix}`;
  document.getElementById("phones-qr").replaceChildren(qrSvg(url, { size: 180, label: t("index.phones.qrLabel") }));
  document.getElementById("phones-url").textContent = url;
  document.getElementById("phones-qr-box").hidden = false;
} catch { /* the cards still lead the way */ }
