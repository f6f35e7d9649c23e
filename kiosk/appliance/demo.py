"""`--demo`: a shop that looks alive, so a newcomer sees the product at once."""

from __future__ import annotations

from kiosk.domain import clock
from kiosk.services import appointments, context, demo_data, queue, rows, shops
from kiosk.store.database import Outcome
from kiosk.store.eventlog import Actor
from kiosk.store.models import Provider

DEMO = context.Ctx(Actor(role="system", name=demo_data.DEMO_ACTOR_NAME))

PROVIDERS = [
    {"name": "Maria Lopez", "code": "CH1", "specialty": "Cuts & colour"},
    {"name": "Sam Okafor", "code": "CH2", "specialty": "Beards & fades"},
    {"name": "Dr. Anna Berg", "code": "RM3", "specialty": "Consultations"},
]
PATIENTS = [
    ("John Doe", "+1 555 0101", 45, "male"),
    ("Priya Sharma", "+1 555 0102", 31, "female"),
    ("Liam O'Brien", "+1 555 0103", 27, "male"),
    ("Chen Wei", "+1 555 0104", 52, "female"),
    ("Fatima Zahra", "+1 555 0105", 38, "female"),
    ("Tomás García", "+1 555 0106", 64, "male"),
]
WALK_INS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"]


def fill(shop_id: int = 1) -> Outcome:
    """Only an empty shop is filled, so restarting with --demo changes nothing, and never
    after the owner chose "start for real". What it makes is recorded, so that choice
    removes exactly that (services/demo_data.py)."""
    if demo_data.removed() or Provider.select().where(Provider.shop == shop_id).exists():
        return Outcome(False)
    events = []
    providers = []
    made: dict[str, list[int]] = {kind: [] for kind in demo_data.KINDS}
    for fields in PROVIDERS:
        outcome = shops.create_provider(DEMO, shop_id, dict(fields))
        providers.append(outcome.value)
        made["providers"].append(outcome.value["id"])
        events += outcome.events
    shop = rows.get_shop(shop_id)
    today = clock.shop_today(shop)
    for index, (name, phone, age, gender) in enumerate(PATIENTS):
        provider = providers[index % len(providers)]
        outcome = appointments.book(
            DEMO,
            provider["id"],
            today,
            None,
            # With the offset in force that day: a bare "09:00" is no instant (SPEC §2).
            clock.local_stamp(shop.timezone, today, 9 + index),
            {"name": name, "phone": phone, "age": age, "gender": gender},
            None,
        )
        made["appointments"].append(outcome.value["id"])
        made["customers"].append(outcome.value["customer_id"])
        events += outcome.events
    for index, name in enumerate(WALK_INS):
        provider_id = providers[index % 2]["id"] if index % 2 else None
        outcome = queue.join(DEMO, shop_id, name, None, provider_id, "walk_in")
        made["entries"].append(outcome.value["id"])
        made["customers"].append(outcome.value["customer_id"])
        events += outcome.events
    demo_data.record(shop_id, made)
    return Outcome(True, tuple(events))
