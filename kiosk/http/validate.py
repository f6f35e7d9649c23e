"""Request body checks: each failure names the field and the reason (422)."""

from __future__ import annotations

from typing import Any

import orjson

from kiosk.domain.errors import BadJson, InvalidField

_MISSING = object()


def json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise BadJson("the request body must be a JSON object")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadJson(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadJson("the request body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        # orjson re-encodes at most ~250 levels: such a body could be read but never
        # stored or sent on, so it is refused here rather than failing later.
        raise BadJson(f"the request body is nested more than {MAX_DEPTH} levels deep")
    return body


MAX_DEPTH = 32


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            return level
        deepest = max(deepest, level)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def text(
    body: dict[str, Any],
    name: str,
    *,
    required: bool = True,
    max_len: int = 200,
    nullable: bool = False,
) -> str | None:
    value = body.get(name, _MISSING)
    if value is _MISSING or (value is None and nullable):
        if required and value is _MISSING:
            raise InvalidField(name, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidField(name, "must be a string")
    value = value.strip()
    if required and not value:
        raise InvalidField(name, "must not be empty")
    if len(value) > max_len:
        raise InvalidField(name, f"must be at most {max_len} characters")
    if any(ord(ch) < 32 for ch in value):
        raise InvalidField(name, "must not contain control characters")
    return value or None


def integer(
    body: dict[str, Any],
    name: str,
    *,
    required: bool = True,
    minimum: int = 1,
    maximum: int = 2**53,
    nullable: bool = False,
) -> int | None:
    value = body.get(name, _MISSING)
    if value is _MISSING or (value is None and nullable):
        if required and value is _MISSING:
            raise InvalidField(name, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(name, "must be an integer")
    if not minimum <= value <= maximum:
        raise InvalidField(name, f"must be between {minimum} and {maximum}")
    return value


def boolean(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name, _MISSING)
    if value is _MISSING:
        return None
    if not isinstance(value, bool):
        raise InvalidField(name, "must be true or false")
    return value


def choice(
    body: dict[str, Any],
    name: str,
    choices: tuple[str, ...],
    *,
    required: bool = True,
    upper: bool = False,
) -> str | None:
    value = text(body, name, required=required, max_len=40)
    if value is None:
        return None
    normal = value.upper() if upper else value.lower()
    if normal not in choices:
        raise InvalidField(name, f"must be one of {', '.join(choices)}")
    return normal


def id_list(body: dict[str, Any], name: str, *, max_items: int = 10_000) -> list[int]:
    value = body.get(name, _MISSING)
    if value is _MISSING:
        raise InvalidField(name, "is required")
    if not isinstance(value, list):
        raise InvalidField(name, "must be a list of ids")
    if len(value) > max_items:
        raise InvalidField(name, f"must have at most {max_items} items")
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):
        raise InvalidField(name, "must be a list of positive integer ids")
    return value


def only_known(body: dict[str, Any], allowed: set[str]) -> None:
    """Refuse fields we would silently ignore: a typo must not look like success."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidField(unknown[0], "is not a known field")
