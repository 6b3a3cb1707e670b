"""What the ACD holds in memory, counted: for an operator who sees the process grow (a
``kill -USR2`` writes it to the log) and for the soak bench, which compares it over 10 000
calls. Every dict, set, list and deque an object keeps is counted, private ones included, so
a structure that forgets to let go of ended calls shows without anyone listing it first."""

from __future__ import annotations

import gc
from collections import deque
from typing import Any

_CONTAINERS = (dict, set, frozenset, list, deque)


def census(parts: dict[str, Any]) -> dict[str, int]:
    """``{"part.attribute": size}`` for the containers each part holds, and the number of
    objects the garbage collector tracks."""
    sizes: dict[str, int] = {}
    for name, part in parts.items():
        if part is None:
            continue
        for attribute, value in sorted(_attributes(part).items()):
            if isinstance(value, _CONTAINERS):
                sizes[f"{name}.{attribute}"] = len(value)
    sizes["gc.objects"] = len(gc.get_objects())
    return sizes


def _attributes(part: Any) -> dict[str, Any]:
    found: dict[str, Any] = dict(getattr(part, "__dict__", {}))
    for klass in type(part).__mro__:  # slotted classes keep no __dict__
        for slot in getattr(klass, "__slots__", ()):
            if hasattr(part, slot):
                found[slot] = getattr(part, slot)
    return found
