"""S5 "Actions": an agent's call statistics and action history."""

from __future__ import annotations

import pytest

from crm.errors import InvalidInput
from crm.stats.agent_activity import agent_action_history, agent_call_stats
from crm.stats.periods import Interval
from tests.stats.history import CFG, DAY1, DAY2, at, build_history

BOTH = Interval(DAY1, DAY2)


async def test_agent_call_stats(db: str) -> None:
    w = await build_history()
    alice = await agent_call_stats(CFG, w.alice.id, BOTH)
    # received/answered: inbound offers only; handled (and talk): her click-to-call too
    assert (alice.received, alice.answered, alice.rejected, alice.missed) == (6, 4, 0, 2)
    assert (alice.transferred, alice.handled, alice.talk_s, alice.wrapup_s) == (0, 5, 660, 55)
    assert alice.aht_s == 143 and alice.pause_s == 6300 and alice.pauses == 2
    assert alice.pause_by_reason == {"lunch": 5100, "break": 1200}
    assert alice.logged_s == 15000 and alice.occupancy == pytest.approx(100 * 135 / 8700)
    bob = await agent_call_stats(CFG, w.bob.id, BOTH)
    assert (bob.received, bob.answered, bob.rejected, bob.missed, bob.transferred) == (
        4,
        2,
        1,
        0,
        1,
    )
    assert (bob.talk_s, bob.pause_s, bob.logged_s) == (120, 300, 4280)
    assert bob.as_dict()["interval"] == {"from": "2026-03-28", "to": "2026-03-29"}
    bob_sales = await agent_call_stats(CFG, w.bob.id, BOTH, group_ids=[w.sales.id])
    assert (bob_sales.received, bob_sales.rejected, bob_sales.handled) == (2, 1, 0)


async def test_action_history_is_merged_newest_first(db: str) -> None:
    w = await build_history()
    page = await agent_action_history(CFG, w.bob.id, BOTH)
    assert page.total == 11
    assert [(a.kind.value, a.at) for a in page.items] == [
        ("call", at(29, 2, 10, 25)),
        ("login", at(29, 2, 0)),
        ("audit", at(28, 12, 0)),
        ("intervention", at(28, 10, 12)),
        ("logout", at(28, 10, 11, 20)),
        ("transfer", at(28, 10, 11, 15)),
        ("call", at(28, 10, 10, 15)),
        ("rejection", at(28, 9, 30, 1)),
        ("pause", at(28, 9, 20)),
        ("login", at(28, 9, 0)),
        ("audit", at(28, 8, 0)),
    ]
    by_kind = {a.kind.value: a for a in page.items}
    assert by_kind["transfer"].details["to_agent_id"] == w.alice.id
    assert by_kind["transfer"].details["to_call_ref"] == "c5b"
    assert by_kind["rejection"].details["call_ref"] == "c2"
    assert by_kind["pause"].details == {
        "reason": "training",
        "ended_at": at(28, 9, 25).isoformat(),
        "duration_s": 300.0,
    }
    assert by_kind["intervention"].details["client"] == "Jean Dupont"
    assert by_kind["login"].details["extension"] == "2002"
    assert page.items[0].local_time == "2026-03-29T04:10:25+02:00"  # Paris, summer time
    assert page.items[-1].as_dict()["kind"] == "audit"


async def test_action_history_pages_and_filters(db: str) -> None:
    w = await build_history()
    first = await agent_action_history(CFG, w.bob.id, BOTH, limit=4)
    second = await agent_action_history(CFG, w.bob.id, BOTH, limit=4, offset=4)
    last = await agent_action_history(CFG, w.bob.id, BOTH, limit=4, offset=8)
    kinds = [a.kind.value for p in (first, second, last) for a in p.items]
    assert len(kinds) == 11 and first.total == second.total == 11
    assert kinds[3:6] == ["intervention", "logout", "transfer"]
    only = await agent_action_history(CFG, w.bob.id, BOTH, kinds=["pause", "login"])
    assert [a.kind.value for a in only.items] == ["login", "pause", "login"]
    assert only.total == 3
    one_day = await agent_action_history(CFG, w.bob.id, Interval(DAY2, DAY2))
    assert [a.kind.value for a in one_day.items] == ["call", "login"]
    missed = await agent_action_history(CFG, w.alice.id, BOTH, kinds=["missed"])
    assert [a.details["call_ref"] for a in missed.items] == ["c4", "c2"]
    alice = await agent_action_history(CFG, w.alice.id, BOTH, kinds=["login", "logout"])
    assert [(a.kind.value, a.at) for a in alice.items] == [
        ("logout", at(29, 1, 20)),
        ("login", at(29, 0, 20)),
        ("logout", at(28, 12, 0)),
        ("login", at(28, 8, 50)),
    ]
    with pytest.raises(InvalidInput):
        await agent_action_history(CFG, w.bob.id, BOTH, kinds=["coffee"])
    with pytest.raises(InvalidInput):
        await agent_action_history(CFG, w.bob.id, BOTH, limit=0)
