"""Webhooks (SPEC §15): the owner's URLs that hear about the shop's events, and what
each delivery says and how it is signed.

The outbox rows are written with every event (services/context.py), the delivery
worker (appliance/webhook_delivery.py) sends them; this module owns the use cases
(register, change, remove), the body and the signature, and the retry schedule.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from typing import Any

import orjson

from kiosk.domain.clock import iso_utc, utcnow
from kiosk.domain.errors import InvalidField, NotFound
from kiosk.domain.redaction import REDACTED, render, render_relayed
from kiosk.services.context import Ctx, append_event
from kiosk.store import webhook_outbox
from kiosk.store.database import Outcome
from kiosk.store.models import Webhook

# The event-log types a webhook may name (docs/webhooks.md lists them with their data);
# relayed events (POST /api/v1/events) come under the integrator's own type.
EVENT_TYPES = (
    "queue_joined",
    "queue_called",
    "queue_recalled",
    "queue_started",
    "queue_completed",
    "queue_left",
    "queue_no_show",
    "queue_cancelled",
    "queue_moved",
    "queue_transferred",
    "queue_prioritized",
    "queue_reordered",
    "queue_announced",
    "appointment_created",
    "appointment_updated",
    "appointment_moved",
    "appointment_checked_in",
    "shop_created",
    "shop_updated",
    "provider_created",
    "provider_updated",
    "provider_deleted",
    "service_created",
    "service_updated",
    "service_deleted",
)
MAX_WEBHOOKS = 20
RETRY_FOR_S = 24 * 3600
FIRST_RETRY_S = 1.0
LONGEST_WAIT_S = 3600.0
SIGNATURE_HEADER = "X-Kiosk-Signature"
DELIVERY_HEADER = "X-Kiosk-Delivery"
TIMESTAMP_HEADER = "X-Kiosk-Timestamp"

_ADMIN = ["admin"]


def webhook_dict(hook: Webhook, *, secret: bool = False) -> dict[str, Any]:
    body = {
        "id": hook.id,
        "url": hook.url,
        "events": hook.events,
        "active": hook.active,
        "include_contact": hook.include_contact,
        "created_at": hook.created_at,
        "last_attempt_at": hook.last_attempt_at,
        "last_status": hook.last_status,
        "last_error": hook.last_error,
        "last_success_at": hook.last_success_at,
    }
    if secret:
        body["secret"] = hook.secret  # once, in the answer that created it
    return body


def _public(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "secret"}


def list_webhooks() -> list[dict[str, Any]]:
    out = []
    for hook in Webhook.select().order_by(Webhook.id):
        body = webhook_dict(hook)
        body["pending"] = webhook_outbox.pending_count(hook.id)
        body["recent"] = webhook_outbox.recent(hook.id)
        out.append(body)
    return out


def create_webhook(ctx: Ctx, fields: dict[str, Any]) -> Outcome:
    if Webhook.select().count() >= MAX_WEBHOOKS:
        raise InvalidField("url", f"at most {MAX_WEBHOOKS} webhooks; remove one first")
    hook = Webhook.create(
        url=fields["url"],
        events=fields["events"],
        secret="whsec_" + secrets.token_urlsafe(24),
        active=fields.get("active", True),
        include_contact=fields.get("include_contact", False),
        created_at=iso_utc(utcnow()),
    )
    body = webhook_dict(hook, secret=True)
    event = append_event(ctx, None, "webhook_created", _ADMIN, webhook=_public(body))
    return Outcome(body, (event,))


def _hook(webhook_id: int) -> Webhook:
    hook = Webhook.get_or_none(Webhook.id == webhook_id)
    if hook is None:
        raise NotFound(f"no webhook {webhook_id}", {"webhook_id": webhook_id})
    return hook


def update_webhook(ctx: Ctx, webhook_id: int, changes: dict[str, Any]) -> Outcome:
    hook = _hook(webhook_id)
    for key, value in changes.items():
        setattr(hook, key, value)
    hook.save()
    body = webhook_dict(hook)
    event = append_event(ctx, None, "webhook_updated", _ADMIN, webhook=body)
    return Outcome(body, (event,))


def delete_webhook(ctx: Ctx, webhook_id: int) -> Outcome:
    hook = _hook(webhook_id)
    body = webhook_dict(hook)
    hook.delete_instance()  # its pending deliveries go with it (ON DELETE CASCADE)
    event = append_event(ctx, None, "webhook_deleted", _ADMIN, webhook=body)
    return Outcome({"deleted": True, "id": webhook_id}, (event,))


# ---------------------------------------------------------------- one delivery


def body_of(delivery: dict[str, Any]) -> bytes:
    """The JSON an integrator receives: `{id, seq, type, at, shop_id, data}`, with
    display-level redaction unless the webhook lets contact data through."""
    data = orjson.loads(delivery["data"]) if delivery["data"] else {}
    if not delivery["include_contact"]:
        data = render_relayed(data, REDACTED) if data.get("relayed") else render(data, REDACTED)
    data.pop("relayed", None)
    return orjson.dumps(
        {
            "id": delivery["id"],
            "seq": delivery["seq"],
            "type": delivery["type"],
            "at": delivery["at"],
            "shop_id": delivery["shop_id"],
            "data": data,
        }
    )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `timestamp + "." + body` (SPEC §15): the
    timestamp inside the signature lets a receiver refuse an old delivery replayed."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers_for(delivery: dict[str, Any], body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "QueueKiosk-Webhooks",
        DELIVERY_HEADER: delivery["id"],
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(delivery["secret"], timestamp, body),
    }


def next_attempt(delivery: dict[str, Any], now: float) -> tuple[str, float]:
    """After a failed attempt: ("pending", when) on an exponential backoff with jitter
    (1 s, 2 s, 4 s ... at most an hour apart), or ("failed", now) after 24 h."""
    attempts = delivery["attempts"] + 1
    wait = min(LONGEST_WAIT_S, FIRST_RETRY_S * 2 ** (attempts - 1))
    wait *= random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries, not a secret
    if now + wait - delivery["created_at"] > RETRY_FOR_S:
        return "failed", now
    return "pending", now + wait
