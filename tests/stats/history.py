"""A small call-centre history known by hand, written through the call journal (so the
rollup hooks run), and raw-record reference computations to check the rollups against.

Europe/Paris, T = 20 s, short abandon = 5 s. Two local days: Saturday 2026-03-28 (UTC+1)
and Sunday 2026-03-29, the spring DST day (02:00 local does not exist, UTC+2 from 01:00 UTC).
Every expected figure in the tests is worked out from the comments below.

Calls (UTC):
 c1  Sales    28th 09:00:00 queued, A answers at +10 (wait 10), ends +130 (talk 120), wrap-up 15
 c2  Sales    28th 09:30:00 B rejects, A misses, A answers at +30 (wait 30), talk 60, wrap 10
 c3  Sales    28th 09:45:00 abandoned after 3 s (short)
 c4  Sales    28th 09:50:00 A misses, abandoned after 40 s
 c5  Support  28th 10:10:00 B answers at +15, transfers to A at +75 (talk 60, wrap 5)
 c5b Support  28th 10:11:15 the transfer leg: A answers at +5 (no queue), talk 120, wrap 10
 c6  outbound 28th 13:00:00 A click-to-call, answered +10, talk 300, wrap 10 (A's phone rang
     first: an offer, but no call A received — the offer figures leave it out)
 c7  Sales    29th 00:30:00 (01:30 local) A answers at +20 (wait = T), talk 60, wrap 10
 c8  Sales    29th 01:30:00 (03:30 local) rings B, abandoned after 5 s (not short: < 5 is)
 c9  Support  29th 02:10:00 (04:10 local) B answers at +25, talk 60, wrap-up not ended
 c10 Sales    29th 02:30:00 still waiting (not counted)
Agent states: see :func:`write_states`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crm.journal import CallJournal
from crm.models import (
    AgentState,
    AgentStateName,
    AuditLog,
    Call,
    CallOutcome,
    Client,
    Direction,
    Group,
    GroupMember,
    Intervention,
    Offer,
    OfferResult,
    User,
)
from crm.stats.rollups import CALL_COLUMNS, OFFER_COLUMNS
from crm.stats.types import StatsConfig

PARIS = ZoneInfo("Europe/Paris")
CFG = StatsConfig(PARIS, service_level_s=20, short_abandon_s=5)
DAY1 = date(2026, 3, 28)
DAY2 = date(2026, 3, 29)


def at(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, ss, tzinfo=UTC)


@dataclass
class World:
    alice: User
    bob: User
    admin: User
    sales: Group
    support: Group
    client: Client


async def make_world() -> World:
    alice = await User.create(login="alice", name="Alice", password_hash="x")
    bob = await User.create(login="bob", name="Bob", password_hash="x")
    admin = await User.create(login="admin", name="Admin", password_hash="x", role="admin")
    sales = await Group.create(name="Sales", number="100", service_level_s=20)
    support = await Group.create(name="Support", number="200", service_level_s=30)
    await GroupMember.create(user=alice, group=sales)
    await GroupMember.create(user=bob, group=sales)
    await GroupMember.create(user=bob, group=support)
    client = await Client.create(first_name="Jean", last_name="Dupont")
    return World(alice, bob, admin, sales, support, client)


def _s(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


def _answered_call(
    j: CallJournal,
    ref: str,
    group: int | None,
    start: datetime,
    offers: list[tuple[int, float, float, OfferResult]],
    agent: int,
    answer: float,
    end: float,
    wrap: float | None,
    *,
    queued: bool = True,
    outcome: CallOutcome = CallOutcome.ANSWERED,
    direction: Direction = Direction.INBOUND,
    parent: str | None = None,
) -> None:
    j.call_started(
        ref,
        at=start,
        group_id=group,
        direction=direction,
        caller_number="+33600000000",
        transferred_from_ref=parent,
    )
    if queued:
        j.call_queued(ref, start)
    for n, (agent_id, t0, t1, result) in enumerate(offers):
        j.offer_started(f"{ref}-o{n}", ref, agent_id, _s(start, t0))
        j.offer_ended(f"{ref}-o{n}", result, _s(start, t1))
    j.call_answered(ref, agent, _s(start, answer))
    j.call_ended(ref, outcome, _s(start, end))
    if wrap is not None:
        j.wrapup_ended(ref, _s(start, end + wrap))


def write_calls(j: CallJournal, w: World) -> None:
    a, b, sales, support = w.alice.id, w.bob.id, w.sales.id, w.support.id
    ANS, NOA, REJ = OfferResult.ANSWERED, OfferResult.NO_ANSWER, OfferResult.REJECTED
    _answered_call(j, "c1", sales, at(28, 9, 0), [(a, 2, 10, ANS)], a, 10, 130, 15)
    _answered_call(
        j,
        "c2",
        sales,
        at(28, 9, 30),
        [(b, 1, 5, REJ), (a, 6, 26, NOA), (a, 27, 30, ANS)],
        a,
        30,
        90,
        10,
    )
    j.call_started("c3", at=at(28, 9, 45), group_id=sales)
    j.call_queued("c3", at(28, 9, 45))
    j.call_ended("c3", CallOutcome.ABANDONED, at(28, 9, 45, 3))
    j.call_started("c4", at=at(28, 9, 50), group_id=sales)
    j.call_queued("c4", at(28, 9, 50))
    j.offer_started("c4-o0", "c4", a, at(28, 9, 50, 2))
    j.offer_ended("c4-o0", NOA, at(28, 9, 50, 22))
    j.call_ended("c4", CallOutcome.ABANDONED, at(28, 9, 50, 40))
    _answered_call(
        j,
        "c5",
        support,
        at(28, 10, 10),
        [(b, 1, 15, ANS)],
        b,
        15,
        75,
        5,
        outcome=CallOutcome.TRANSFERRED,
    )
    _answered_call(
        j,
        "c5b",
        support,
        at(28, 10, 11, 15),
        [(a, 0, 5, ANS)],
        a,
        5,
        125,
        10,
        queued=False,
        parent="c5",
    )
    _answered_call(
        j,
        "c6",
        None,
        at(28, 13, 0),
        [(a, 0, 10, ANS)],
        a,
        10,
        310,
        10,
        queued=False,
        direction=Direction.OUTBOUND,
    )
    _answered_call(j, "c7", sales, at(29, 0, 30), [(a, 1, 20, ANS)], a, 20, 80, 10)
    j.call_started("c8", at=at(29, 1, 30), group_id=sales)
    j.call_queued("c8", at(29, 1, 30))
    j.offer_started("c8-o0", "c8", b, at(29, 1, 30, 1))
    j.offer_ended("c8-o0", OfferResult.CALLER_ABANDONED, at(29, 1, 30, 5))
    j.call_ended("c8", CallOutcome.ABANDONED, at(29, 1, 30, 5))
    _answered_call(j, "c9", support, at(29, 2, 10), [(b, 1, 25, ANS)], b, 25, 85, None)
    j.call_started("c10", at=at(29, 2, 30), group_id=sales)
    j.call_queued("c10", at(29, 2, 30))


def write_states(j: CallJournal, w: World) -> None:
    """Alice, 28th (local = UTC+1): available 09:50, on call 10:00:10, wrap-up 10:02:10,
    available 10:02:25, paused "lunch" 10:55 → 12:20 (spans 11:00 and 12:00), available,
    logged out 13:00 local. 29th: available 01:20 local, paused "break" 01:50 → 03:10 local
    (across the missing 02:00 hour: 20 minutes), available, logged out 03:20 local.
    Bob, 28th: available 10:00, paused "training" 10:20 → 10:25, available, on call
    11:10:15, wrap-up 11:11:15, logged out 11:11:20. 29th: available from 04:00, still open.
    """
    A, B, S = w.alice.id, w.bob.id, AgentStateName
    j.agent_state(A, S.AVAILABLE, at(28, 8, 50), extension="2001")
    j.agent_state(A, S.ON_CALL, at(28, 9, 0, 10), call_ref="c1")
    j.agent_state(A, S.WRAPUP, at(28, 9, 2, 10), call_ref="c1")
    j.agent_state(A, S.AVAILABLE, at(28, 9, 2, 25))
    j.agent_state(A, S.PAUSED, at(28, 9, 55), reason="lunch")
    j.agent_state(A, S.AVAILABLE, at(28, 11, 20))
    j.agent_state(A, S.LOGGED_OUT, at(28, 12, 0))
    j.agent_state(A, S.AVAILABLE, at(29, 0, 20), extension="2001")
    j.agent_state(A, S.PAUSED, at(29, 0, 50), reason="break")
    j.agent_state(A, S.AVAILABLE, at(29, 1, 10))
    j.agent_state(A, S.LOGGED_OUT, at(29, 1, 20))
    j.agent_state(B, S.AVAILABLE, at(28, 9, 0), extension="2002")
    j.agent_state(B, S.PAUSED, at(28, 9, 20), reason="training")
    j.agent_state(B, S.AVAILABLE, at(28, 9, 25))
    j.agent_state(B, S.ON_CALL, at(28, 10, 10, 15), call_ref="c5")
    j.agent_state(B, S.WRAPUP, at(28, 10, 11, 15), call_ref="c5")
    j.agent_state(B, S.LOGGED_OUT, at(28, 10, 11, 20))
    j.agent_state(B, S.AVAILABLE, at(29, 2, 0), extension="2002")


async def build_history() -> World:
    w = await make_world()
    journal = CallJournal(PARIS)
    journal.start()
    write_calls(journal, w)
    write_states(journal, w)
    await journal.stop()
    assert journal.failures == 0
    c5 = await Call.get(ref="c5")
    await Intervention.create(
        client=w.client, agent=w.bob, call=c5, text="Asked for a quote", created_at=at(28, 10, 12)
    )
    await AuditLog.create(
        at=at(28, 8, 0),
        actor=w.bob,
        actor_login="bob",
        action="user.password_changed",
        target_type="user",
        target_id=str(w.bob.id),
    )
    await AuditLog.create(
        at=at(28, 12, 0),
        actor=w.admin,
        actor_login="admin",
        action="user.update",
        target_type="user",
        target_id=str(w.bob.id),
    )
    await AuditLog.create(
        at=at(28, 12, 5),
        actor=w.admin,
        actor_login="admin",
        action="group.update",
        target_type="group",
        target_id="1",
    )
    return w


# -- raw reference computations -----------------------------------------------------------


async def raw_call_rollup() -> dict[tuple[Any, ...], dict[str, float]]:
    """stats_call_hourly computed in Python from the raw calls, key -> sums."""
    out: dict[tuple[Any, ...], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(CALL_COLUMNS, 0)
    )
    for c in await Call.filter(outcome__isnull=False):
        key = (c.local_date, c.local_hour, c.group_id or 0, c.agent_id or 0, c.direction.value)
        row = out[key]
        queued = c.entered_queue_at is not None
        answered_q = c.answered_at is not None and queued
        abandoned = c.outcome is CallOutcome.ABANDONED and queued
        handled = c.answered_at is not None and c.talk_s is not None
        row["calls"] += 1
        row["new_calls"] += c.transferred_from_id is None
        row["queued"] += queued
        row["answered"] += c.answered_at is not None
        row["answered_queued"] += answered_q
        row["wait_answered_s"] += (c.wait_s or 0) if answered_q else 0
        row["abandoned"] += abandoned
        row["wait_abandoned_s"] += (c.wait_s or 0) if abandoned else 0
        for outcome in ("transferred", "overflowed", "timed_out", "rejected", "failed"):
            row[outcome] += c.outcome.value == outcome
        row["handled"] += handled
        if handled:
            row["talk_s"] += c.talk_s
            row["hold_s"] += c.hold_s
            row["wrapup_s"] += c.wrapup_s or 0
        for col in CALL_COLUMNS:
            if col.startswith("answered_le_"):
                row[col] += answered_q and c.wait_s <= int(col.rsplit("_", 1)[1])
            elif col.startswith("abandoned_lt_"):
                row[col] += abandoned and (c.wait_s or 0) < int(col.rsplit("_", 1)[1])
    return dict(out)


async def raw_offer_rollup() -> dict[tuple[Any, ...], dict[str, float]]:
    out: dict[tuple[Any, ...], dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(OFFER_COLUMNS, 0)
    )
    # An agent's click-to-call (c6) rings their phone first: no call they received.
    for o in await Offer.filter(result__isnull=False, call__outcome__isnull=False,
                                call__direction=Direction.INBOUND).prefetch_related("call"):
        key = (o.call.local_date, o.call.local_hour, o.call.group_id or 0, o.agent_id)
        out[key]["offers"] += 1
        out[key][o.result.value] += 1
        out[key]["forced"] += o.forced
    return dict(out)


async def raw_agent_rollup(tz: ZoneInfo = PARIS) -> dict[tuple[Any, ...], list[float]]:
    """Closed states split by UTC hour (Paris offsets are whole hours, so a UTC hour is a
    local hour) — independent of the HourSplitter under test."""
    out: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0.0, 0])
    for s in await AgentState.filter(ended_at__isnull=False):
        t, first = s.started_at, True
        while t < s.ended_at:
            next_hour = t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            piece_end = min(s.ended_at, next_hour)
            local = t.astimezone(tz)
            row = out[(local.date(), local.hour, s.agent_id, s.state.value, s.reason)]
            row[0] += (piece_end - t).total_seconds()
            row[1] += first
            first = False
            t = piece_end
    return dict(out)


async def stored_rollups() -> tuple[dict, dict, dict]:
    from crm.models import StatsAgentHourly, StatsCallHourly, StatsOfferHourly

    calls = {
        (r.local_date, r.local_hour, r.group_id, r.agent_id, r.direction): {
            c: getattr(r, c) for c in CALL_COLUMNS
        }
        for r in await StatsCallHourly.all()
    }
    offers = {
        (r.local_date, r.local_hour, r.group_id, r.agent_id): {
            c: getattr(r, c) for c in OFFER_COLUMNS
        }
        for r in await StatsOfferHourly.all()
    }
    agents = {
        (r.local_date, r.local_hour, r.agent_id, r.state, r.reason): [r.seconds, r.entries]
        for r in await StatsAgentHourly.all()
    }
    return calls, offers, agents
