"""Calls told to a CallJournal the way the ACD tells them, and the rows they must leave.

A scripted call is answered by one agent after ``wait`` seconds in the queue, talks ``talk``
seconds and is wrapped up in ``wrap`` seconds; its agent goes ringing → on call → wrap-up →
available. ``start`` reports it up to the answer and ``finish`` the rest, so a test can have
one journal (one process) start calls and another finish them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from crm.journal import CallJournal
from crm.models import AgentState, AgentStateName, Call, CallOutcome, Offer, OfferResult

T0 = datetime(2026, 4, 14, 8, 0, tzinfo=UTC)
SPACING_S = 200.0  # one call per agent at a time: the next starts after the last wrap-up


@dataclass(frozen=True)
class Scripted:
    ref: str
    agent_id: int
    group_id: int
    start: datetime
    wait: float = 5.0
    talk: float = 60.0
    wrap: float = 10.0

    def at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def begin(self, journal: CallJournal) -> None:
        j, a = journal, self.agent_id
        j.call_started(self.ref, at=self.start, caller_number=f"+3361{self.ref[-4:]:0>7}",
                       group_id=self.group_id)
        j.call_queued(self.ref, self.at(0.1), group_id=self.group_id)
        ring = self.wait - 3
        j.offer_started(f"{self.ref}-o1", self.ref, a, self.at(ring))
        j.agent_state(a, AgentStateName.RINGING, self.at(ring), call_ref=self.ref)
        j.offer_ringing(f"{self.ref}-o1", self.at(ring + 0.4))
        j.offer_ended(f"{self.ref}-o1", OfferResult.ANSWERED, self.at(self.wait))
        j.call_answered(self.ref, a, self.at(self.wait))
        j.agent_state(a, AgentStateName.ON_CALL, self.at(self.wait), call_ref=self.ref)

    def finish(self, journal: CallJournal) -> None:
        j, a = journal, self.agent_id
        end = self.wait + self.talk
        j.call_ended(self.ref, CallOutcome.ANSWERED, self.at(end))
        j.agent_state(a, AgentStateName.WRAPUP, self.at(end), call_ref=self.ref)
        j.wrapup_ended(self.ref, self.at(end + self.wrap), a)
        j.agent_state(a, AgentStateName.AVAILABLE, self.at(end + self.wrap))

    def tell(self, journal: CallJournal) -> None:
        self.begin(journal)
        self.finish(journal)


def script(count: int, agents: list[int], group_id: int, first: int = 0) -> list[Scripted]:
    """``count`` calls, numbered from ``first``, spread over the agents."""
    calls = []
    for n in range(first, first + count):
        agent = agents[n % len(agents)]
        slot = n // len(agents)
        calls.append(Scripted(f"call-{n:04d}", agent, group_id,
                              T0 + timedelta(seconds=slot * SPACING_S + n % len(agents))))
    return calls


def log_in(journal: CallJournal, agents: list[int]) -> None:
    for agent in agents:
        journal.agent_state(agent, AgentStateName.AVAILABLE, T0 - timedelta(minutes=5),
                            extension=str(2000 + agent))


async def assert_rows(calls: list[Scripted], agents: list[int]) -> None:
    """Every scripted call has exactly its row and offer, with the right times; every agent
    has one unbroken chain of states."""
    rows = {c.ref: c for c in await Call.all()}
    assert sorted(rows) == sorted(c.ref for c in calls), "calls missing or extra"
    for s in calls:
        row = rows[s.ref]
        got = (row.outcome, row.agent_id, row.group_id, row.wait_s, row.talk_s, row.wrapup_s,
               row.offers_count, row.started_at, row.ended_at)
        want = (CallOutcome.ANSWERED, s.agent_id, s.group_id, round(s.wait - 0.1, 6), s.talk,
                s.wrap, 1, s.start, s.at(s.wait + s.talk))
        assert got == want, f"{s.ref}: {got} != {want}"
    offers = await Offer.all().values_list("ref", "result")
    assert sorted(offers) == sorted((f"{c.ref}-o1", OfferResult.ANSWERED) for c in calls)
    per_agent = {a: sum(1 for c in calls if c.agent_id == a) for a in agents}
    for agent, count in per_agent.items():
        states = await AgentState.filter(agent_id=agent).order_by("started_at", "id")
        assert len(states) == 1 + 4 * count, f"agent {agent}: {len(states)} states"
        for before, after in pairwise(states):
            assert before.ended_at == after.started_at, f"agent {agent}: chain broken"
        assert states[-1].ended_at is None and states[-1].state is AgentStateName.AVAILABLE
