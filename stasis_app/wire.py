"""The wire form of the engine's events and views: their names (``CallOffered`` →
``call.offered``) and their plain JSON data, as the hub, the pages and integrators see them
(docs/events.md)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

from stasis_app.acd import outputs as o

_EVENT_TYPES: dict[type, str] = {}


def event_type(event: o.Event) -> str:
    """``CallOffered`` → ``call.offered``: the name browsers and integrators see."""
    kind = type(event)
    name = _EVENT_TYPES.get(kind)
    if name is None:
        name = _EVENT_TYPES[kind] = _wire_name(kind.__name__)
    return name


def _wire_name(name: str) -> str:
    words: list[str] = []
    for ch in name:
        if ch.isupper() and words:
            words.append("_")
        words.append(ch.lower())
    snake = "".join(words)
    head, _, tail = snake.partition("_")
    return f"{head}.{tail}" if tail else head


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}  # None: not a dataclass
_PLAIN = (str, int, float, bool, type(None))


def to_json(value: Any) -> Any:
    """Plain JSON data of an engine event or view. On the call path (a queue of 100 callers
    is serialized on every change), hence the cached field names and the plain-type shortcut."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    try:
        names = _FIELD_NAMES[kind]
    except KeyError:  # first of its kind: whether it is a dataclass is asked once per type
        names = _FIELD_NAMES[kind] = (
            tuple(f.name for f in fields(value))
            if is_dataclass(value) and not isinstance(value, type) else None)
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value

