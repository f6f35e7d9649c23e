"""A shop's services (SPEC §10): what customers come for, how long it takes, who does it."""

from __future__ import annotations

from typing import Any

from kiosk.domain.errors import Conflict, InvalidField, NotFound
from kiosk.domain.topics import topics_for_shop
from kiosk.services.context import Ctx, append_event, sql
from kiosk.services.rows import get_shop
from kiosk.store.database import Outcome
from kiosk.store.models import Provider, QueueEntry, Service, Shop


def service_dict(s: Service) -> dict[str, Any]:
    return {
        "id": s.id,
        "shop_id": s.shop_id,
        "name": s.name,
        "minutes": s.minutes,
        "provider_ids": list(s.provider_ids),
        "active": bool(s.active),
        "position": s.position,
    }


def list_services(shop_id: int, include_inactive: bool = False) -> list[dict[str, Any]]:
    get_shop(shop_id)
    query = Service.select().where(Service.shop == shop_id).order_by(Service.position, Service.id)
    if not include_inactive:
        query = query.where(Service.active)
    return [service_dict(s) for s in query]


def _service(service_id: int) -> Service:
    service = Service.get_or_none(Service.id == service_id)
    if service is None:
        raise NotFound(f"no service {service_id}", {"service_id": service_id})
    return service


def offers(service: Service, provider_id: int | None) -> bool:
    """Whether a provider does this service (nobody in particular: anyone may). A service
    whose providers have all retired is anyone's, or its tickets would wait forever."""
    if provider_id is None or not service.provider_ids:
        return True
    still_here = Provider.select(Provider.id).where(
        Provider.id.in_(service.provider_ids) & Provider.active
    )
    return provider_id in service.provider_ids or not still_here.exists()


def active_service(
    shop: Shop, service_id: int | None, provider_id: int | None = None
) -> Service | None:
    """The shop's active service a ticket asks for, checked against the provider it
    asks for; None when it asks for none."""
    if service_id is None:
        return None
    service = Service.get_or_none(
        (Service.id == service_id) & (Service.shop == shop.id) & Service.active
    )
    if service is None:
        raise InvalidField("service_id", f"no active service {service_id} in shop {shop.id}")
    if not offers(service, provider_id):
        raise InvalidField(
            "provider_id", f"provider {provider_id} does not offer {service.name!r} here"
        )
    return service


def only_service(shop: Shop) -> int | None:
    """The one active service of a shop that has exactly one: every ticket is for it."""
    ids = sql("SELECT id FROM service WHERE shop_id = ? AND active LIMIT 2", (shop.id,)).fetchall()
    return ids[0][0] if len(ids) == 1 else None


def _check(shop: Shop, fields: dict[str, Any], service: Service | None = None) -> None:
    # Only those newly named must be active: a form sending back the whole list may
    # still hold a provider who retired since.
    provider_ids = set(fields.get("provider_ids") or ()) - set(
        service.provider_ids if service else ()
    )
    if provider_ids:
        known = {
            p.id
            for p in Provider.select(Provider.id).where(
                (Provider.shop == shop.id) & Provider.active & Provider.id.in_(sorted(provider_ids))
            )
        }
        missing = sorted(set(provider_ids) - known)
        if missing:
            raise InvalidField("provider_ids", f"no active provider {missing[0]} in shop {shop.id}")
    name = fields.get("name")
    if name is not None:
        same = Service.select().where(
            (Service.shop == shop.id)
            & Service.active
            & (Service.name == name)
            & (Service.id != (service.id if service else 0))
        )
        if same.exists():
            raise Conflict(
                f"shop {shop.id} already offers a service called {name!r}",
                {"name": name, "service_id": same.get().id},
            )


def create_service(ctx: Ctx, shop_id: int, fields: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    fields = {"provider_ids": [], "active": True, **fields}
    _check(shop, fields)
    if "position" not in fields:
        last = sql("SELECT MAX(position) FROM service WHERE shop_id = ?", (shop.id,)).fetchone()[0]
        fields["position"] = 0 if last is None else last + 1
    fields["provider_ids"] = sorted(set(fields["provider_ids"]))
    service = Service.create(shop=shop.id, **fields)
    body = service_dict(service)
    event = append_event(ctx, shop, "service_created", topics_for_shop(shop), service=body)
    return Outcome(body, (event,))


def update_service(ctx: Ctx, service_id: int, changes: dict[str, Any]) -> Outcome:
    service = _service(service_id)
    shop = get_shop(service.shop_id)
    # Bringing a service back must not make two active services of one name.
    name = changes.get("name") or (service.name if changes.get("active") else None)
    _check(shop, {**changes, "name": name}, service)
    if "provider_ids" in changes:
        changes = {**changes, "provider_ids": sorted(set(changes["provider_ids"]))}
    for key, value in changes.items():
        setattr(service, key, value)
    service.save()
    body = service_dict(service)
    event = append_event(ctx, shop, "service_updated", topics_for_shop(shop), service=body)
    return Outcome(body, (event,))


def delete_service(ctx: Ctx, service_id: int) -> Outcome:
    """Remove a service; one that tickets name is kept, inactive, so history keeps it."""
    service = _service(service_id)
    shop = get_shop(service.shop_id)
    body = service_dict(service)
    if QueueEntry.select().where(QueueEntry.service == service.id).exists():
        service.active = False
        service.save()
        body = {**service_dict(service), "deleted": False}
    else:
        service.delete_instance()
        body = {**body, "active": False, "deleted": True}
    event = append_event(ctx, shop, "service_deleted", topics_for_shop(shop), service=body)
    return Outcome(body, (event,))
