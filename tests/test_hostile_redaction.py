"""What display-level audiences may see (SPEC §16): no contact data, however it arrives.

Display-level audiences are anonymous clients, display and kiosk tokens and ticket
holders. An integrator's relayed event is redacted by key at any depth; presence
carries no name to them; and with the owner's `display_names: "ticket"` they see
tickets without names, over REST and on every socket, following a change of the
setting with the next message. Staff see everything throughout.

The pure rules are tested on `kiosk.domain.redaction` directly; the rest goes through
`make_app` in process (tests/inprocess.py). "Nothing else arrived" is never shown by
a sleep: each wait is for a message, with a timeout.
"""

from __future__ import annotations

from typing import Any

from kiosk.domain import redaction
from tests.inprocess import Kiosk
from tests.ws_client import (
    API,
    WS,
    book,
    entry_in,
    join,
    new_provider,
    new_shop,
    ok,
    relay,
    today_of,
)

# An integrator's event, shaped its own way: the person is nowhere near a key the
# appliance itself uses for people.
CLIENT = {
    "client": {
        "name": "Ann Marie Lee",
        "phone": "+1 555 0101",
        "email": "ann@example.com",
        "age": 40,
        "gender": "f",
        "address": {"street": "1 Elm St"},
        "birthdate": "1985-02-03",
        "birth_place": "Oslo",
    },
    "orders": [
        {"customer": "Bob Stone", "cliente": "Carla Maria Ruiz", "contacts": [{"Email": "b@x"}]},
        {"customer": {"full_name": "Dee Vance", "Phone": "555-0102", "birthDate": "2001"}},
    ],
    "total": 12.5,
}
SECRETS = ("555 0101", "ann@example.com", "Elm St", "1985", "Oslo", "Lee", "Stone", "Ruiz")
SECRETS += ("b@x", "Vance", "555-0102", "2001")


def redacted_client(names: str = "initial") -> dict[str, Any]:
    """CLIENT as a display-level audience sees it."""

    def name(full: str) -> str | None:
        return None if names == "ticket" else full

    return {
        "client": {
            "name": name("Ann L."),
            "phone": None,
            "email": None,
            "age": None,
            "gender": None,
            "address": None,
            "birthdate": None,
            "birth_place": None,
        },
        "orders": [
            {
                "customer": name("Bob S."),
                "cliente": name("Carla R."),
                "contacts": [{"Email": None}],
            },
            {"customer": {"full_name": name("Dee V."), "Phone": None, "birthDate": None}},
        ],
        "total": 12.5,
    }


# ---------------------------------------------------------------- the rules, pure


def test_relayed_data_hides_contact_keys_at_any_depth_and_keeps_every_key():
    shown = redaction.render_relayed(CLIENT, redaction.REDACTED)
    assert shown == redacted_client()
    assert CLIENT["client"]["phone"] == "+1 555 0101", "a copy: the event itself is untouched"


def test_relayed_data_reaches_staff_whole():
    assert redaction.render_relayed(CLIENT, redaction.FULL) == CLIENT


def test_relayed_names_shorten_only_strings_and_one_word_stays():
    shown = redaction.render_relayed(
        {"name": "Cher", "full_name": "John Michael Doe", "name_tag": "Ann Lee", "id": 7},
        redaction.REDACTED,
    )
    assert shown == {"name": "Cher", "full_name": "John D.", "name_tag": "Ann Lee", "id": 7}


def test_ticket_only_shows_no_names_in_the_appliances_own_data():
    entry = {"id": 1, "ticket": "A001", "full_name": "John Michael Doe", "phone": "555"}
    appointment = {"id": 2, "customer": {"name": "Ann Lee", "phone": "1", "age": 3}}
    for audience, name, short in (
        (redaction.REDACTED, "John D.", "Ann L."),
        (redaction.TICKET_ONLY, None, None),
    ):
        assert redaction.render(entry, audience) == {
            "id": 1,
            "ticket": "A001",
            "full_name": name,
            "phone": None,
        }
        assert redaction.render(appointment, audience)["customer"] == {
            "name": short,
            "phone": None,
            "age": None,
        }
    assert redaction.render(entry, redaction.FULL) == entry


def test_the_display_level_audience_follows_the_setting_and_staff_never_do():
    assert redaction.shown_to(redaction.REDACTED, "initial") == redaction.REDACTED
    assert redaction.shown_to(redaction.REDACTED, "ticket") == redaction.TICKET_ONLY
    assert redaction.shown_to(redaction.REDACTED, None) == redaction.TICKET_ONLY, "unknown: hide"
    assert redaction.shown_to(redaction.FULL, "ticket") == redaction.FULL


# ---------------------------------------------------------------- relayed events, live


async def rooms_in(kiosk: Kiosk, token: str | None, *rooms: str) -> WS:
    sock = await kiosk.ws("/ws/connect", token)
    for room in rooms:
        await sock.send({"command": "join_room", "room": room})
        await sock.wait_for("room_joined", room=room)
    return sock


async def channels_in(kiosk: Kiosk, token: str, *channels: str) -> WS:
    sock = await kiosk.ws("/ws", token)
    await sock.expect("connection:established")
    await sock.send({"type": "subscribe", "payload": {"channels": list(channels)}})
    await sock.wait_for("subscribed")
    return sock


async def test_a_relayed_client_reaches_display_sockets_without_contact_data(
    inprocess_app: Kiosk,
):
    kiosk = inprocess_app
    anonymous = await rooms_in(kiosk, None, "front-desk")
    display = await channels_in(kiosk, kiosk.token("display"), "front-desk")
    kiosk_channels = await channels_in(kiosk, kiosk.token("kiosk"), "front-desk")
    staff = await rooms_in(kiosk, kiosk.token("staff"), "front-desk")

    posted = await relay(kiosk, "client_created", room="front-desk", data=CLIENT)
    assert posted["data"] == CLIENT, "the staff member who posted it gets it back whole"
    seen = (await anonymous.wait_for("client_created", seq=posted["seq"]))["data"]
    assert seen == redacted_client()
    for sock in (display, kiosk_channels):
        message = await sock.wait_for("client_created", seq=posted["seq"])
        assert message["payload"] == redacted_client(), sock.path
    assert (await staff.wait_for("client_created", seq=posted["seq"]))["data"] == CLIENT

    # To everyone (no room) and on replay to a resuming socket, the same.
    broadcast = await relay(kiosk, "client_created", data=CLIENT)
    assert (await anonymous.wait_for("client_created", seq=broadcast["seq"]))["data"] == (
        redacted_client()
    )
    resumed = await kiosk.ws(f"/ws/connect?since={posted['seq'] - 1}")
    await resumed.send({"command": "join_room", "room": "front-desk"})
    assert (await resumed.wait_for("client_created", seq=posted["seq"]))["data"] == (
        redacted_client()
    )
    for sock in (anonymous, display, kiosk_channels, resumed):
        text = "\n".join(sock.raw)
        for secret in SECRETS:
            assert secret not in text, (sock.path, secret)


# ---------------------------------------------------------------- presence


async def test_presence_names_a_user_to_staff_sockets_only(inprocess_app: Kiosk):
    kiosk = inprocess_app
    anonymous = await kiosk.ws("/ws/connect")
    display = await kiosk.ws("/ws/connect", kiosk.token("display"))
    staff = await kiosk.ws("/ws/connect", kiosk.token("admin"))

    comer = await kiosk.ws("/ws/connect", kiosk.token("kiosk"))
    hello = await staff.wait_for("user_connected")
    assert hello["data"]["name"] == "test kiosk", "staff screens see who came"
    user_id = hello["data"]["user_id"]
    for sock in (anonymous, display):
        message = await sock.until(
            lambda m: m.get("type") == "user_connected" and m["data"]["user_id"] == user_id,
            what="user_connected",
        )
        assert message[-1]["data"] == {"user_id": user_id, "name": None}, sock.path

    await comer.close()
    bye = await staff.wait_for("user_disconnected")
    assert bye["data"] == {"user_id": user_id, "name": "test kiosk"}
    for sock in (anonymous, display):
        message = await sock.until(
            lambda m: m.get("type") == "user_disconnected" and m["data"]["user_id"] == user_id,
            what="user_disconnected",
        )
        assert message[-1]["data"] == {"user_id": user_id, "name": None}, sock.path
    for sock in (anonymous, display):
        assert "test kiosk" not in "\n".join(sock.raw) and "test admin" not in "\n".join(sock.raw)


# ---------------------------------------------------------------- display_names: "ticket"


async def set_names(kiosk: Kiosk, names: str) -> None:
    changed = await ok(kiosk, "PATCH", f"{API}/settings", {"display_names": names}, role="admin")
    assert changed["display_names"] == names


async def test_ticket_mode_over_rest_follows_the_setting(inprocess_app: Kiosk):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    doc = await new_provider(kiosk, sid, "Dr. Quill")
    day = await today_of(kiosk, sid)
    entry = await join(kiosk, sid, "John Michael Doe", phone="555-0111", role="staff")
    await book(kiosk, doc, day, name="Ann Marie Roe")
    key = {"Idempotency-Key": "join-once"}
    first = await kiosk.request(
        "POST", f"{API}/shops/{sid}/queue", {"full_name": "Kim Park"}, role="kiosk", headers=key
    )
    assert first.status == 201 and first.body["full_name"] == "Kim P."

    await set_names(kiosk, "ticket")
    for role in (None, "display", "kiosk"):
        queue = await ok(kiosk, "GET", f"{API}/shops/{sid}/queue", role=role)
        assert queue["display"]["display_names"] == "ticket"
        mine = entry_in(queue, entry["id"])
        assert mine["full_name"] is None and mine["ticket"] == entry["ticket"], (role, mine)
        assert "Doe" not in str(queue) and "John" not in str(queue), role
        (appointment,) = queue["appointments_today"]["appointments"]
        assert appointment["customer"]["name"] is None, role
    appointments = await ok(
        kiosk, "GET", f"{API}/appointments?date={day}&shop_id={sid}", role="kiosk"
    )
    assert [a["customer"]["name"] for a in appointments] == [None]
    ticket = await ok(kiosk, "GET", f"{API}/tickets/{entry['claim']}", role=None)
    assert ticket["full_name"] is None and ticket["ticket"] == entry["ticket"]
    joined = await join(kiosk, sid, "Lea Marie Holm", role="kiosk")
    assert joined["full_name"] is None and joined["ticket"]
    phone = await join(kiosk, sid, "Moe Sand", role=None)
    assert phone["full_name"] is None and phone["claim"]
    replay = await kiosk.request(
        "POST", f"{API}/shops/{sid}/queue", {"full_name": "Kim Park"}, role="kiosk", headers=key
    )
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.body["id"] == first.body["id"] and replay.body["full_name"] is None

    # Staff see names whatever the screens show; so does the staff-only monitor.
    staff_queue = await ok(kiosk, "GET", f"{API}/shops/{sid}/queue")
    assert entry_in(staff_queue, entry["id"])["full_name"] == "John Michael Doe"
    staff_list = await ok(kiosk, "GET", f"{API}/appointments?date={day}&shop_id={sid}")
    assert staff_list[0]["customer"]["name"] == "Ann Marie Roe"
    monitor = await ok(kiosk, "GET", f"{API}/monitor?date={day}&shop_id={sid}")
    assert "John Michael Doe" in str(monitor) and "Ann Marie Roe" in str(monitor)

    await set_names(kiosk, "initial")
    queue = await ok(kiosk, "GET", f"{API}/shops/{sid}/queue", role=None)
    assert entry_in(queue, entry["id"])["full_name"] == "John D."
    ticket = await ok(kiosk, "GET", f"{API}/tickets/{entry['claim']}", role=None)
    assert ticket["full_name"] == "John D."


def names_in_queue(update: dict[str, Any]) -> list[str | None]:
    return [e["full_name"] for e in update["queue_items"]] + [
        a["customer"]["name"] for a in update["appointments_today"]["appointments"]
    ]


async def test_ticket_mode_on_sockets_follows_the_setting_with_the_next_message(
    inprocess_app: Kiosk,
):
    kiosk = inprocess_app
    shop = await new_shop(kiosk)
    sid = shop["id"]
    doc = await new_provider(kiosk, sid, "Dr. Quill")
    day = await today_of(kiosk, sid)
    await join(kiosk, sid, "John Michael Doe", phone="555-0111")
    await book(kiosk, doc, day, name="Ann Marie Roe")
    display = kiosk.token("display")

    # Connected before the change, each sees names as "John D.".
    queue_000 = await kiosk.ws(f"/ws/queue/{sid}")
    queue_001 = await kiosk.ws(f"/ws/queue/{sid}/", display)
    staff_queue = await kiosk.ws(f"/ws/queue/{sid}", kiosk.token("staff"))
    appointments = await kiosk.ws(f"/ws/appointments/{sid}/")
    central = await kiosk.ws(f"{API}/ws/queue")
    rooms = await rooms_in(kiosk, None, f"queue:{sid}", f"appointments:{sid}", "desk")
    channels = await channels_in(kiosk, kiosk.token("kiosk"), f"queue:{sid}")
    await central.send({"action": "subscribe", "date": day, "shop_id": sid})
    for sock in (queue_000, queue_001):
        assert names_in_queue(await sock.expect("queue_update")) == ["John D.", "Ann R."]
    assert (await appointments.expect("appointment_update"))["appointments"][0]["customer"][
        "name"
    ] == "Ann R."
    assert "Ann R." in str(await central.expect("snapshot"))

    await set_names(kiosk, "ticket")
    queue_views = [
        (queue_000, lambda m: m),
        (queue_001, lambda m: m),
        (rooms, lambda m: m["data"]),
        (channels, lambda m: m["payload"]),
    ]
    for sock, body in queue_views:
        message = await sock.until(
            lambda m, body=body: (
                m.get("type") == "queue_update" and body(m)["display"]["display_names"] == "ticket"
            ),
            what="queue_update in ticket mode",
        )
        assert names_in_queue(body(message[-1])) == [None, None], sock.path
    staff_view = await staff_queue.until(
        lambda m: m["display"]["display_names"] == "ticket", what="staff queue_update"
    )
    assert names_in_queue(staff_view[-1]) == ["John Michael Doe", "Ann Marie Roe"]
    since_switch = {id(sock): len(sock.raw) for sock, _ in queue_views}
    since_switch.update({id(appointments): len(appointments.raw), id(central): len(central.raw)})

    # Screens that connect now get no names from the first message on.
    late = await kiosk.ws(f"/ws/queue/{sid}")
    assert names_in_queue(await late.expect("queue_update")) == [None, None]

    # The next change reaches every kind of display-level socket without a name.
    walk_in = await join(kiosk, sid, "Karl Otto Berg", phone="555-0122")
    new_entry = await queue_001.wait_for("new_entry", seq=walk_in["seq"])
    assert new_entry["queue_item"]["full_name"] is None
    rooms_entry = await rooms.wait_for("new_entry", seq=walk_in["seq"])
    assert rooms_entry["data"]["full_name"] is None
    booked = await book(kiosk, doc, day, name="Eva Lind Ek")
    update = await appointments.wait_for("appointment_update", seq=booked["seq"])
    assert [a["customer"]["name"] for a in update["appointments"]] == [None, None]
    rooms_update = await rooms.wait_for("appointment_update", seq=booked["seq"])
    assert [a["customer"]["name"] for a in rooms_update["data"]["appointments"]] == [None, None]
    central_update = await central.wait_for("update", seq=booked["seq"])
    (doctor,) = central_update["data"]["doctors"]
    assert [a["patient"]["name"] for a in doctor["appointments"]] == [None, None]
    assert [w["full_name"] for w in doctor["walk_ins"] + central_update["data"]["unassigned"]] == [
        None,
        None,
    ]
    relayed = await relay(kiosk, "client_created", room="desk", data=CLIENT)
    seen = await rooms.wait_for("client_created", seq=relayed["seq"])
    assert seen["data"] == redacted_client("ticket")
    for sock in (queue_000, queue_001, rooms, channels, appointments, central, late):
        text = "\n".join(sock.raw[since_switch.get(id(sock), 0) :])
        for name in ("John", "Ann", "Karl", "Eva", "Berg", "Lee", "Bob"):
            assert name not in text, (sock.path, name)

    # And back: the screens show "John D." again with their next message.
    await set_names(kiosk, "initial")
    for sock in (queue_000, queue_001):
        message = await sock.until(
            lambda m: (
                m.get("type") == "queue_update" and m["display"]["display_names"] == "initial"
            ),
            what="queue_update with initials",
        )
        assert names_in_queue(message[-1]) == ["John D.", "Karl B.", "Ann R.", "Eva E."]
