"""Shops and their providers."""

from __future__ import annotations

import contextlib
import locale
import os
import secrets
from pathlib import Path
from typing import Any

from kiosk.domain import hours as hours_rules
from kiosk.domain import languages
from kiosk.domain.clock import iso_utc, utcnow, valid_timezone
from kiosk.domain.errors import InvalidField
from kiosk.domain.tickets import CHECKED_IN
from kiosk.domain.topics import topics_for_shop
from kiosk.services.context import Ctx, append_event
from kiosk.services.duty import on_duty_ids
from kiosk.services.line import bump_version
from kiosk.services.rows import entries_in_full, get_shop, provider_by_id, provider_dict, shop_dict
from kiosk.store.database import Outcome
from kiosk.store.models import Provider, QueueEntry, Setting, Shop

# What a shop is picks the words its screens use (SPEC §9): customer or patient; chair,
# room or counter. 'other' keeps the words of release 1.
SHOP_KINDS = ("barber", "clinic", "counter", "other")
DEFAULT_KIND = "other"


def system_timezone() -> str:
    """The PC's IANA zone, so a first start needs no setup to get local times right."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name and valid_timezone(name):
            return name
    return "UTC"


def system_language() -> str:
    """The PC's language when the appliance ships it, else English (SPEC §14)."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(variable):
            return languages.from_locale(os.environ[variable])
    return languages.from_locale(locale.getlocale()[0])


def ensure_first_shop(ctx: Ctx, name: str = "My Shop") -> Outcome:
    """First start creates shop 1 in the PC's timezone and language, and the install id."""
    Setting.insert(key="install_id", value=secrets.token_hex(8)).on_conflict_ignore().execute()
    if Shop.select().exists():
        return Outcome(None)
    return create_shop(ctx, name, system_timezone(), system_language())


def install_id() -> str:
    return Setting.get_by_id("install_id").value


def list_shops() -> list[dict[str, Any]]:
    return [shop_dict(s) for s in Shop.select().order_by(Shop.id)]


def read_shop(shop_id: int) -> dict[str, Any]:
    # Whether it is open now lives in the queue display (`hours`), which screens follow
    # live; the shop itself is what the owner set.
    return shop_dict(get_shop(shop_id))


def create_shop(
    ctx: Ctx,
    name: str,
    timezone: str | None,
    language: str = languages.DEFAULT,
    kind: str = DEFAULT_KIND,
) -> Outcome:
    timezone = timezone or system_timezone()
    if not valid_timezone(timezone):
        raise InvalidField("timezone", f"unknown timezone {timezone!r}")
    shop = Shop.create(
        name=name,
        timezone=timezone,
        language=language,
        kind=kind,
        created_at=iso_utc(utcnow()),
    )
    body = shop_dict(shop)
    return Outcome(
        body, (append_event(ctx, shop, "shop_created", topics_for_shop(shop), shop=body),)
    )


def update_shop(ctx: Ctx, shop_id: int, changes: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    if "timezone" in changes and not valid_timezone(changes["timezone"]):
        raise InvalidField("timezone", f"unknown timezone {changes['timezone']!r}")
    if "opening_hours" in changes:
        changes = {**changes, "opening_hours": hours_rules.weekly_hours(changes["opening_hours"])}
    if "closures" in changes:
        changes = {**changes, "closures": hours_rules.closure_list(changes["closures"])}
    for key, value in changes.items():
        setattr(shop, key, value)
    shop.save()
    body = shop_dict(shop)
    return Outcome(
        body, (append_event(ctx, shop, "shop_updated", topics_for_shop(shop), shop=body),)
    )


def list_providers(shop_id: int, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The shop's providers, each with `on_duty` now: the kiosk offers only those."""
    shop = get_shop(shop_id)
    query = Provider.select().where(Provider.shop == shop_id).order_by(Provider.id)
    if not include_inactive:
        query = query.where(Provider.active)
    on_duty = set(on_duty_ids(shop))
    return [{**provider_dict(p), "on_duty": p.id in on_duty} for p in query]


def create_provider(ctx: Ctx, shop_id: int, fields: dict[str, Any]) -> Outcome:
    shop = get_shop(shop_id)
    provider = Provider.create(shop=shop.id, **fields)
    body = provider_dict(provider)
    event = append_event(ctx, shop, "provider_created", topics_for_shop(shop), provider=body)
    return Outcome(body, (event,))


def update_provider(ctx: Ctx, provider_id: int, changes: dict[str, Any]) -> Outcome:
    provider = provider_by_id(provider_id)
    shop = get_shop(provider.shop_id)
    unassigned: list[int] = []
    for key, value in changes.items():
        setattr(provider, key, value)
    provider.save()
    if changes.get("active") is False:
        unassigned = unassign_waiting(provider)
    body = provider_dict(provider)
    version = bump_version(shop) if unassigned else None
    event = append_event(
        ctx,
        shop,
        "provider_updated",
        topics_for_shop(shop),
        provider=body,
        entries=entries_in_full(shop, unassigned) or None,
        version=version,
    )
    return Outcome(body, (event,))


def delete_provider(ctx: Ctx, provider_id: int) -> Outcome:
    """Retire a provider: history keeps its name, so the row stays, inactive; tickets
    waiting for them go back to 'anyone' instead of waiting forever."""
    provider = provider_by_id(provider_id)
    shop = get_shop(provider.shop_id)
    provider.active = False
    provider.save()
    unassigned = unassign_waiting(provider)
    version = bump_version(shop) if unassigned else None
    body = provider_dict(provider)
    event = append_event(
        ctx,
        shop,
        "provider_deleted",
        topics_for_shop(shop),
        provider=body,
        entries=entries_in_full(shop, unassigned) or None,
        version=version,
    )
    return Outcome(body, (event,))


def unassign_waiting(provider: Provider) -> list[int]:
    ids = [
        row.id
        for row in QueueEntry.select(QueueEntry.id).where(
            (QueueEntry.provider == provider.id) & (QueueEntry.status == CHECKED_IN)
        )
    ]
    if ids:
        QueueEntry.update(provider=None).where(QueueEntry.id.in_(ids)).execute()
    return ids


def read_provider(provider_id: int) -> dict[str, Any]:
    return provider_dict(provider_by_id(provider_id))
