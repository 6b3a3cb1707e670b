"""The records of transfers, recounted: the real ACD engine's events go through the real
publisher into a call journal, and the rows must say what happened to each segment.

Bugs found by an independent recount (issue 11):
- an abandon after a transfer was recorded as answered (the engine's outcome is per call);
- a transfer to an outside number kept the agent's row open (talk inflated, wrap-up lost).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from crm.hub import LocalHub
from crm.journal import CallJournal
from crm.models import Call, CallOutcome, Group, User
from stasis_app.acd import (
    AgentPause,
    AttendedComplete,
    AttendedConsult,
    CallerHungUp,
    DialOutbound,
    OfferAnswered,
    OriginateAgent,
    OutboundAnswered,
    OutboundLegEnded,
    Output,
    Strategy,
    Target,
    TransferBlind,
)
from stasis_app.acd import outputs as o
from stasis_app.publisher import Publisher
from tests.acd.conftest import Harness, one

WRAPUP_S = 5.0


class Line:
    """Engine inputs in, engine events through the publisher into the journal."""

    def __init__(self, journal: CallJournal) -> None:
        self.h = Harness()
        self.publisher = Publisher(journal, LocalHub())

    def _publish(self, out: list[Output]) -> list[Output]:
        for item in out:
            if isinstance(item, o.Event):
                self.publisher.publish(item)
        return out

    def send(self, cls: Any, **fields: Any) -> list[Output]:
        return self._publish(self.h.send(cls, **fields))

    def advance(self, seconds: float) -> list[Output]:
        return self._publish(self.h.advance(seconds))


async def _line(**group_two: Any) -> tuple[Line, CallJournal]:
    for n in (1, 2, 3):
        await User.create(id=n, login=f"a{n}", name=f"Agent {n}", password_hash="x")
    await Group.create(id=1, name="sales", number="101")
    await Group.create(id=2, name="support", number="300")
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    line = Line(journal)
    line._publish(line.h.group(1, strategy=Strategy.LINEAR, wrapup_s=WRAPUP_S))
    line._publish(line.h.group(2, name="support", number="300", wrapup_s=WRAPUP_S,
                               **group_two))
    for agent in (1, 2, 3):
        line._publish(line.h.login(agent, {1: 0, 2: 0}))
    return line, journal


def _answer_first_offer(line: Line, call_id: str = "c1") -> None:
    out = line._publish(line.h.enter(call_id))
    offer = one(out, OriginateAgent)
    assert offer.agent_id == 1
    line.send(OfferAnswered, offer_id=offer.offer_id)


async def test_an_abandon_after_a_transfer_to_a_group_is_an_abandon(db: str) -> None:
    line, journal = await _line()
    _answer_first_offer(line)
    line.advance(60)
    for agent in (2, 3):  # nobody free in support: the caller waits there
        line.send(AgentPause, agent_id=agent)
    line.send(TransferBlind, call_id="c1", target=Target.group("support"), by_agent_id=1)
    line.advance(30)
    line.send(CallerHungUp, call_id="c1")
    line.advance(WRAPUP_S)
    await journal.stop()

    first, segment = await Call.filter(ref__startswith="c1").order_by("id")
    assert (first.ref, first.outcome, first.agent_id, first.talk_s) == (
        "c1", CallOutcome.TRANSFERRED, 1, 60.0)
    assert segment.ref == "c1/t1" and segment.transferred_from_id == first.id
    assert segment.answered_at is None and segment.agent_id is None
    assert (segment.outcome, segment.group_id, segment.wait_s) == (
        CallOutcome.ABANDONED, 2, 30.0)
    assert journal.failures == 0


async def test_a_timeout_in_the_group_transferred_to_is_a_timeout(db: str) -> None:
    line, journal = await _line(max_wait_s=20)
    _answer_first_offer(line)
    line.advance(10)
    for agent in (2, 3):
        line.send(AgentPause, agent_id=agent)
    line.send(TransferBlind, call_id="c1", target=Target.group("support"), by_agent_id=1)
    line.advance(25)  # support's maximum wait, no overflow destination: the call ends
    await journal.stop()

    segment = await Call.get(ref="c1/t1")
    assert segment.answered_at is None
    assert (segment.outcome, segment.wait_s) == (CallOutcome.TIMED_OUT, 20.0)


async def test_a_blind_transfer_to_a_number_ends_the_agents_row(db: str) -> None:
    line, journal = await _line()
    _answer_first_offer(line)
    line.advance(40)
    out = line.send(TransferBlind, call_id="c1", target=Target.number("+33144556677"),
                    by_agent_id=1)
    dial = one(out, DialOutbound)
    line.advance(3)
    line.send(OutboundAnswered, leg_id=dial.leg_id)
    line.advance(WRAPUP_S)  # agent 1's wrap-up ends while the caller talks outside
    line.advance(295)
    line.send(OutboundLegEnded, leg_id=dial.leg_id)
    await journal.stop()

    first, segment = await Call.filter(ref__startswith="c1").order_by("id")
    assert (first.outcome, first.agent_id, first.talk_s, first.wrapup_s) == (
        CallOutcome.TRANSFERRED, 1, 40.0, WRAPUP_S)
    assert first.ended_at == segment.started_at
    assert (segment.ref, segment.agent_id, segment.transferred_from_id) == (
        "c1/t1", None, first.id)
    assert segment.answered_at is None and segment.talk_s is None
    assert segment.outcome is CallOutcome.TRANSFERRED
    assert (segment.ended_at - segment.started_at).total_seconds() == 303.0
    assert journal.failures == 0


async def test_an_attended_transfer_to_a_number_ends_the_agents_row(db: str) -> None:
    line, journal = await _line()
    _answer_first_offer(line)
    line.advance(30)
    out = line.send(AttendedConsult, call_id="c1", target=Target.number("0899"), by_agent_id=1)
    dial = one(out, DialOutbound)
    line.advance(2)
    line.send(OutboundAnswered, leg_id=dial.leg_id)
    line.advance(18)  # the agent talks to the outside party, the caller on hold
    line.send(AttendedComplete, call_id="c1", by_agent_id=1)
    line.advance(WRAPUP_S)
    line.advance(100)
    line.send(CallerHungUp, call_id="c1")
    await journal.stop()

    first, segment = await Call.filter(ref__startswith="c1").order_by("id")
    assert (first.outcome, first.agent_id, first.talk_s, first.wrapup_s) == (
        CallOutcome.TRANSFERRED, 1, 50.0, WRAPUP_S)
    assert (segment.agent_id, segment.outcome) == (None, CallOutcome.TRANSFERRED)
    assert (segment.ended_at - segment.started_at).total_seconds() == 105.0


async def test_a_call_without_wrap_up_is_done_for_its_agent_and_let_go(db: str) -> None:
    # A group with no wrap-up: the agent goes from the call straight back to available. The
    # row says the agent was done at the end (wrap-up 0) and the journal keeps nothing of it
    # (it kept every such call until the process stopped).
    await User.create(id=1, login="a1", name="Agent 1", password_hash="x")
    await Group.create(id=1, name="sales", number="101")
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    line = Line(journal)
    line._publish(line.h.group(1, wrapup_s=0))
    line._publish(line.h.login(1, {1: 0}))
    _answer_first_offer(line)
    line.advance(30)
    line.send(CallerHungUp, call_id="c1")
    await journal.flush()
    assert "c1" not in journal._calls
    await journal.stop()
    row = await Call.get(ref="c1")
    assert row.outcome is CallOutcome.ANSWERED and row.talk_s == 30.0
    assert row.wrapup_s == 0.0 and row.wrapup_ended_at == row.ended_at
