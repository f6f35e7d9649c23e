"""The audit trail: recent actions from the event log, each with who did it."""

from __future__ import annotations

from bisect import bisect_left
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
    if event.type == "queue_reordered":
        return _reorder_summary(data)
    if event.type == "appointment_moved" and data.get("appointments"):
        a = data["appointments"][0]
        return f"appointment {a.get('id')} moved to {a.get('starts_at') or a.get('date')}"
    if event.type == "queue_announced" and entries:
        return f"{entries[0].get('ticket')} {entries[0].get('full_name')} called again"
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


def _reorder_summary(data: dict[str, Any]) -> str:
    """Name the tickets someone dragged, not the first of those that only shifted a
    place to make room (dragging A007 to 3rd place moves A003..A006 too)."""
    by_id = {e.get("id"): e for e in data.get("entries") or []}
    before, after = data.get("previous_order"), data.get("order") or []
    if not before:  # logged before the order was kept: say what is known
        return "order changed: " + ", ".join(str(e.get("ticket")) for e in by_id.values())
    dragged = [i for i in after if i not in _kept_in_order(before, after) and i in by_id]
    return ", ".join(
        f"{by_id[i].get('ticket')} {by_id[i].get('full_name')} moved to place {after.index(i) + 1}"
        for i in dragged
    )


def _kept_in_order(before: list[int], after: list[int]) -> set[int]:
    """The ids whose relative order a reorder kept: the longest run of `after` that
    is increasing in `before`'s places. Everyone else was picked up and dropped."""
    place = {entry_id: i for i, entry_id in enumerate(before)}
    ranks = [place[i] for i in after if i in place]
    ids = [i for i in after if i in place]
    tails: list[int] = []  # tails[k]: the smallest rank ending an increasing run of k+1
    tail_at: list[int] = []  # where in `ranks` that run ends
    parent = [-1] * len(ranks)
    for at, rank in enumerate(ranks):
        k = bisect_left(tails, rank)
        if k == len(tails):
            tails.append(rank)
            tail_at.append(at)
        else:
            tails[k] = rank
            tail_at[k] = at
        parent[at] = tail_at[k - 1] if k else -1
    kept, at = set(), tail_at[-1] if tail_at else -1
    while at >= 0:
        kept.add(ids[at])
        at = parent[at]
    return kept
