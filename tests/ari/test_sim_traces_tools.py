"""The trace comparator must be strict: it is what the replay acceptance test relies on."""

from __future__ import annotations

import copy
from pathlib import Path

from asterisk_sim.traces import compare_events, load_expected, parse_actions


def test_comparator_accepts_identity_and_rejects_real_differences(traces_dir: Path) -> None:
    events = load_expected(traces_dir, "inbound-to-agent")["main"]
    assert compare_events(events, copy.deepcopy(events)) == []

    changed = copy.deepcopy(events)
    destroyed = next(e for e in changed if e["type"] == "ChannelDestroyed")
    destroyed["cause"] = 17
    assert compare_events(events, changed)

    side = copy.deepcopy(events)
    side[0]["channel"]["name"] = side[0]["channel"]["name"].replace(";2", ";1")
    assert compare_events(events, side)

    extra_key = copy.deepcopy(events)
    extra_key[0]["channel"]["channelvars"] = {}
    assert compare_events(events, extra_key)

    # StasisEnd before ChannelLeftBridge is an anchored-order change: rejected.
    swapped = copy.deepcopy(events)
    i = next(i for i, e in enumerate(swapped) if e["type"] == "ChannelLeftBridge")
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    assert compare_events(events, swapped)

    # Two connected-line updates of one bridge change may come in either order.
    permuted = copy.deepcopy(events)
    i = next(
        i
        for i, e in enumerate(permuted)
        if e["type"] == "ChannelConnectedLine" and e["channel"]["name"].endswith(";1")
    )
    assert permuted[i + 1]["type"] == "ChannelConnectedLine"
    permuted[i], permuted[i + 1] = permuted[i + 1], permuted[i]
    assert compare_events(events, permuted) == []

    # Ids and timestamps are not compared.
    renamed = copy.deepcopy(events)
    for e in renamed:
        e["timestamp"] = "2030-01-01T00:00:00.000+0000"
    assert compare_events(events, renamed) == []


def test_actions_parser_reads_every_scenario(traces_dir: Path) -> None:
    for path in traces_dir.glob("*.actions.txt"):
        steps = parse_actions(path.read_text())
        kinds = {s.kind for s in steps}
        assert {"connect", "rest"} <= kinds, path.name
        assert all(s.method for s in steps if s.kind == "rest")
