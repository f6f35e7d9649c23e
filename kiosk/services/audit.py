"""The audit trail: recent actions from the event log, each with who did it."""

from __future__ import annotations

from typing import Any

from kiosk.store import eventlog


def audit(limit: int, before: int | None) -> list[dict[str, Any]]:
    """Recent actions, newest first, with who did them (relayed chatter excluded)."""
    return [
        {
            "seq": e.seq,
            "at": e.at,
            "type": e.type,
            "shop_id": e.shop_id,
            "actor": e.actor,
            "summary": summary(e),
        }
        for e in eventlog.recent(limit, before, relayed=False)
    ]


def summary(event: eventlog.Event) -> str:
    data = event.data
    entries = data.get("entries") or []
    if entries:
        first = entries[0]
        return f"{first.get('ticket')} {first.get('full_name')} -> {first.get('status')}"
    for key in ("token", "staff", "provider", "shop"):
        if isinstance(data.get(key), dict):
            return f"{key} {data[key].get('name')}"
    if data.get("appointments"):
        a = data["appointments"][0]
        return f"appointment {a.get('id')} -> {a.get('status')}"
    if "changes" in data:
        return "settings: " + ", ".join(sorted(data["changes"]))
    return ""
