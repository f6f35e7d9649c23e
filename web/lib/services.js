// Queue Kiosk — a shop's services (SPEC §10: haircut 30, beard 15…), read by several screens.
//
//   import { loadServices, servicesOf, serviceName, offers, choosable } from '/lib/services.js';
//
// loadServices(shop, {includeInactive = false}) -> Promise<[service]>
//   GET /api/v1/shops/{shop}/services (public; retired ones too with includeInactive, which
//   needs an admin). Rejects like apiFetch (ApiError). A screen that follows the queue
//   needs no read of its own: see servicesOf.
// servicesOf(body) -> Map id -> service | null
//   The services a queue body (queue_update, or the polling GET) names: the shop's active
//   ones, and a retired one a ticket on screen still asks for. So a service added, renamed
//   or retired at /admin reaches every screen with the next update. null for a body of a
//   server too old to send them.
// serviceName(services, id) -> string | null
//   The name of service `id` (services: a Map id -> service, or an array); null for no
//   service or one not in the list: each screen words those cases itself.
// offers(service, providerId, providers) -> boolean
//   Whether that provider does that service, as the server decides it for call-next and
//   for a join: nobody in particular may take anything, an empty `provider_ids` means
//   everyone, and a service whose providers have all retired is anyone's (or its tickets
//   would wait forever). `providers`: a Map id -> provider, to know who retired.
// choosable(services) -> [service]
//   The active services in the owner's order, when a customer has a choice to make (more
//   than one); [] otherwise, and the form hides its service picker (SPEC §10).
import { apiFetch } from './api.js';

export function loadServices(shop, { includeInactive = false } = {}) {
  const query = includeInactive ? '?include_inactive=1' : '';
  return apiFetch('GET', `/api/v1/shops/${shop}/services${query}`);
}

export function servicesOf(body) {
  if (!body || !Array.isArray(body.services)) return null;
  return new Map(body.services.map((s) => [s.id, s]));
}

export function serviceName(services, id) {
  if (id === null || id === undefined || !services) return null;
  const s = services instanceof Map ? services.get(id) : services.find((x) => x.id === id);
  return s ? s.name : null;
}

export function offers(service, providerId, providers) {
  if (!service || providerId === null || providerId === undefined) return true;
  const ids = service.provider_ids || [];
  if (!ids.length || ids.includes(providerId)) return true;
  if (!providers) return false;
  return !ids.some((id) => { const p = providers.get(id); return p && p.active !== false; });
}

export function choosable(services) {
  const list = [...(services instanceof Map ? services.values() : services || [])]
    .filter((s) => s.active !== false)
    .sort((a, b) => (a.position - b.position) || (a.id - b.id));
  return list.length > 1 ? list : [];
}
