// Queue Kiosk — the landing page (/): a card per screen, in the shop's language (SPEC §14).
// The page has no other script: start() fills every [data-i18n] and sets <html lang dir>.
import { startForShop } from "/lib/i18n.js";
import { shopId } from "/lib/api.js";

await startForShop(shopId());
