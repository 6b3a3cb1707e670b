"""The memory census counts every container an object keeps, slotted objects included."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from stasis_app.census import census


@dataclass(slots=True)
class _Slotted:
    calls: dict[str, int] = field(default_factory=lambda: {"a": 1, "b": 2})
    name: str = "not a container"


class _Plain:
    def __init__(self) -> None:
        self._legs = {"x", "y", "z"}
        self._queue: deque[int] = deque([1])
        self.count = 3


def test_census_counts_containers_of_every_part() -> None:
    sizes = census({"engine": _Slotted(), "registry": _Plain(), "absent": None})
    assert sizes["engine.calls"] == 2
    assert sizes["registry._legs"] == 3 and sizes["registry._queue"] == 1
    assert "engine.name" not in sizes and "registry.count" not in sizes
    assert not any(key.startswith("absent.") for key in sizes)
    assert sizes["gc.objects"] > 0
