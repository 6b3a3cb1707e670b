"""The ids the engine mints for channels, bridges and timers: never one the start of another.

Asterisk 22 checks a new channel's id against the live ones by prefix
(main/channelstorage_ao2_legacy.c, get_by_uniqueid compares over the new id's length): an
originate with id "offer-2" while "offer-20" was up was refused, 409 (seen in the suite's
wave drill; tests/flows/test_channel_ids.py shows it on the real Asterisk)."""

from __future__ import annotations

import itertools
from dataclasses import fields

from stasis_app.acd import OriginateAgent
from stasis_app.acd.core import EngineSettings

from .conftest import Harness, of


def _ids(outputs: list) -> set[str]:
    found = set()
    for output in outputs:
        for f in fields(output):
            value = getattr(output, f.name)
            if f.name.endswith("_id") and isinstance(value, str) and value.startswith("p-"):
                found.add(value)
    return found


def test_no_minted_id_starts_another() -> None:
    h = Harness(settings=EngineSettings(id_prefix="p-"))  # the runtime's: one per process
    h.group(1)
    outputs = []
    for agent in range(1, 121):
        outputs += h.login(agent)
    for n in range(120):
        outputs += h.enter(f"c{n}")
    assert len(of(outputs, OriginateAgent)) == 120
    ids = sorted(_ids(outputs))
    assert len(ids) > 120
    # sorted, whatever starts with an id comes right after it
    for shorter, longer in itertools.pairwise(ids):
        assert not longer.startswith(shorter), (shorter, longer)
