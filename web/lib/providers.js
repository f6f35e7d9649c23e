// Queue Kiosk — a shop's providers (chairs, barbers, doctors), read by several screens.
//
//   import { loadProviders, providerName } from '/lib/providers.js';
//
// loadProviders(shop, {includeInactive = false}) -> Promise<[provider]>
//   GET /api/v1/shops/{shop}/providers (active ones; all of them with includeInactive,
//   which needs an admin). Rejects like apiFetch (ApiError); what a failure means to
//   the screen (keep the old list, show a toast, try again later) is the caller's call.
// The TV does not call loadProviders: every queue body carries the shop's providers
// (`providers`: the active ones, and a deactivated one a ticket on screen still names),
// so a provider added, renamed or deactivated reaches it with the next update.
// providerName(providers, id) -> string | null
//   The name of provider `id` in `providers` (a Map id -> provider, or an array).
//   null when id is null/undefined ("anyone") or not in the list (yet): each screen
//   words those cases itself, e.g. providerName(list, id) ?? 'Anyone'.
import { apiFetch } from './api.js';

export function loadProviders(shop, { includeInactive = false } = {}) {
  const query = includeInactive ? '?include_inactive=1' : '';
  return apiFetch('GET', `/api/v1/shops/${shop}/providers${query}`);
}

export function providerName(providers, id) {
  if (id === null || id === undefined || !providers) return null;
  const p = providers instanceof Map ? providers.get(id) : providers.find((x) => x.id === id);
  return p ? p.name : null;
}
