from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.journal import CallJournal
from crm.models import (
    AgentState,
    AgentStateName,
    Call,
    CallOutcome,
    Group,
    Offer,
    OfferResult,
    User,
)

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 then 03:30 Paris across the DST change


async def _agent_and_group() -> tuple[User, Group]:
    agent = await User.create(login="a1", name="Agent 1", password_hash="x")
    group = await Group.create(name="Sales", number="1000")
    return agent, group


async def test_an_answered_call_gets_every_kpi_timestamp(db: str) -> None:
    agent, group = await _agent_and_group()
    journal = CallJournal(ZoneInfo("Europe/Paris"))
    journal.start()
    journal.call_started("c1", at=T0, caller_number="+33612345678", group_id=group.id)
    journal.call_queued("c1", T0 + timedelta(seconds=1))
    journal.offer_started("o1", "c1", agent.id, T0 + timedelta(seconds=2))
    journal.offer_ringing("o1", T0 + timedelta(seconds=2.5))
    journal.offer_ended("o1", OfferResult.NO_ANSWER, T0 + timedelta(seconds=22))
    journal.offer_started("o2", "c1", agent.id, T0 + timedelta(seconds=23))
    journal.offer_ended("o2", OfferResult.ANSWERED, T0 + timedelta(seconds=25))
    journal.call_answered("c1", agent.id, T0 + timedelta(seconds=25))
    journal.call_ended("c1", CallOutcome.ANSWERED, T0 + timedelta(seconds=85))
    journal.wrapup_ended("c1", T0 + timedelta(seconds=95))
    await journal.stop()

    call = await Call.get(ref="c1")
    assert call.agent_id == agent.id and call.group_id == group.id
    assert call.entered_queue_at == T0 + timedelta(seconds=1)
    assert call.first_offered_at == T0 + timedelta(seconds=2)
    assert call.answered_at == T0 + timedelta(seconds=25)
    assert call.wait_s == 24.0 and call.talk_s == 60.0 and call.wrapup_s == 10.0
    assert call.outcome is CallOutcome.ANSWERED and call.offers_count == 2
    assert (call.local_date, call.local_hour) == (date(2026, 3, 29), 1)
    offers = await Offer.filter(call_id=call.id).order_by("offered_at")
    assert [o.result for o in offers] == [OfferResult.NO_ANSWER, OfferResult.ANSWERED]
    assert offers[0].ringing_at == T0 + timedelta(seconds=2.5)
    assert journal.failures == 0


async def test_an_abandoned_call_keeps_its_wait(db: str) -> None:
    _, group = await _agent_and_group()
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    journal.call_started("c2", at=T0, group_id=group.id)
    journal.call_queued("c2", T0)
    journal.call_ended("c2", CallOutcome.ABANDONED, T0 + timedelta(seconds=42))
    await journal.stop()
    call = await Call.get(ref="c2")
    assert call.wait_s == 42.0 and call.talk_s is None and call.answered_at is None


async def test_agent_states_chain_and_logout_closes_the_last(db: str) -> None:
    agent, _ = await _agent_and_group()
    journal = CallJournal(ZoneInfo("Europe/Paris"))
    journal.start()
    journal.agent_state(agent.id, AgentStateName.AVAILABLE, T0, extension="2001")
    journal.agent_state(agent.id, AgentStateName.PAUSED, T0 + timedelta(hours=2), reason="lunch")
    journal.agent_state(agent.id, AgentStateName.LOGGED_OUT, T0 + timedelta(hours=3))
    await journal.stop()
    states = await AgentState.filter(agent_id=agent.id).order_by("started_at")
    assert [s.state for s in states] == [AgentStateName.AVAILABLE, AgentStateName.PAUSED]
    assert states[0].ended_at == states[1].started_at
    assert states[1].ended_at == T0 + timedelta(hours=3) and states[1].reason == "lunch"
    assert states[1].local_hour == 4  # 02:30 UTC is 04:30 in Paris after the DST change


async def test_a_failed_write_is_counted_and_later_writes_go_on(db: str) -> None:
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    journal.call_started("c3", at=T0, group_id=999999)  # no such group: FK error on MariaDB
    journal.call_started("c4", at=T0)
    await journal.stop()
    assert await Call.filter(ref="c4").exists()
    assert journal.writes + journal.failures == 2


async def test_rollups_catch_up_when_the_line_goes_quiet(db: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from crm import journal as journal_module
    from crm.models import StatsCallHourly

    monkeypatch.setattr(journal_module, "ROLLUP_REFRESH_S", 0.2)
    agent, group = await _agent_and_group()
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    try:
        journal.call_started("q1", at=T0, group_id=group.id)
        journal.call_answered("q1", agent.id, T0 + timedelta(seconds=3))
        journal.call_ended("q1", CallOutcome.ANSWERED, T0 + timedelta(seconds=33))
        # no flush, no later fact: the writer refreshes the dirty hour on its own
        for _ in range(50):
            if await StatsCallHourly.filter(local_date=T0.date(), local_hour=0).exists():
                break
            await asyncio.sleep(0.05)
        assert await StatsCallHourly.filter(local_date=T0.date(), local_hour=0).exists()
    finally:
        await journal.stop()


async def test_a_rollup_that_fails_once_is_recomputed_at_the_next_refresh(  # type: ignore[no-untyped-def]
        db: str, monkeypatch) -> None:
    import asyncio

    from crm import journal as journal_module
    from crm.models import StatsCallHourly
    from crm.stats import rollups

    monkeypatch.setattr(journal_module, "ROLLUP_REFRESH_S", 0.2)
    real = rollups.recompute_call_hour
    attempts: list[tuple[date, int]] = []

    async def fails_first(day: date, hour: int) -> None:
        attempts.append((day, hour))
        if len(attempts) == 1:  # not an outage: a refusal, as a deadlock would be
            raise RuntimeError("deadlock found when trying to get lock")
        await real(day, hour)

    monkeypatch.setattr(rollups, "recompute_call_hour", fails_first)
    agent, group = await _agent_and_group()
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    try:
        journal.call_started("r1", at=T0, group_id=group.id)
        journal.call_answered("r1", agent.id, T0 + timedelta(seconds=3))
        journal.call_ended("r1", CallOutcome.ANSWERED, T0 + timedelta(seconds=33))
        for _ in range(100):  # no later fact comes to dirty the hour again
            if await StatsCallHourly.filter(local_date=T0.date(), local_hour=0).exists():
                break
            await asyncio.sleep(0.05)
        row = await StatsCallHourly.get(local_date=T0.date(), local_hour=0)
        assert (row.calls, row.answered) == (1, 1)
        assert attempts[:2] == [(T0.date(), 0), (T0.date(), 0)]
    finally:
        await journal.stop()


async def test_a_journal_stopping_with_rollups_not_recomputed_says_how_to_mend_them(  # type: ignore[no-untyped-def]
        db: str, monkeypatch, caplog) -> None:
    from crm.stats import rollups

    async def always_fails(day: date, hour: int) -> None:
        raise RuntimeError("deadlock found when trying to get lock")

    monkeypatch.setattr(rollups, "recompute_call_hour", always_fails)
    _agent, group = await _agent_and_group()
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    journal.call_started("s1", at=T0, group_id=group.id)
    journal.call_ended("s1", CallOutcome.ABANDONED, T0 + timedelta(seconds=20))
    await journal.stop()
    assert await Call.filter(ref="s1").exists()  # the record itself is written
    assert ("reports of 2026-03-29 to 2026-03-29 are wrong until `prowebcrm stats rebuild "
            "--from 2026-03-29 --to 2026-03-29`") in caplog.text


async def test_a_transfer_starts_a_new_row_and_wrapups_find_their_agent(db: str) -> None:
    first, group = await _agent_and_group()
    second = await User.create(login="a2", name="Agent 2", password_hash="x")
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    journal.call_started("t1", at=T0, group_id=group.id, client_id=None)
    journal.call_queued("t1", T0)
    journal.offer_started("t1-o1", "t1", first.id, T0 + timedelta(seconds=1))
    journal.call_answered("t1", first.id, T0 + timedelta(seconds=4))
    journal.call_transferred("t1", T0 + timedelta(seconds=64))
    journal.offer_started("t1-o2", "t1", second.id, T0 + timedelta(seconds=65))
    journal.call_answered("t1", second.id, T0 + timedelta(seconds=70))
    journal.wrapup_ended("t1", T0 + timedelta(seconds=74), first.id)  # first's wrap-up
    journal.call_ended("t1", CallOutcome.ANSWERED, T0 + timedelta(seconds=130))
    journal.wrapup_ended("t1", T0 + timedelta(seconds=140), second.id)
    await journal.stop()

    parent = await Call.get(ref="t1")
    leg = await Call.get(ref="t1/t1")
    assert (parent.agent_id, parent.outcome) == (first.id, CallOutcome.TRANSFERRED)
    assert (parent.talk_s, parent.wrapup_s) == (60.0, 10.0)
    assert leg.transferred_from_id == parent.id and leg.group_id == group.id
    assert (leg.agent_id, leg.outcome, leg.talk_s, leg.wrapup_s) == (
        second.id, CallOutcome.ANSWERED, 60.0, 10.0)
    assert leg.started_at == T0 + timedelta(seconds=64) and leg.wait_s == 6.0
    assert await Offer.filter(call_id=leg.id, agent_id=second.id).count() == 1
    assert journal.failures == 0


async def test_a_restart_continues_open_rows_and_closes_them_with_the_truth(db: str) -> None:
    """Stopping closes nothing (calls and agents live on without the process); the next
    process's journal finds the open rows in the database and ends them when they end."""
    agent, group = await _agent_and_group()
    first = CallJournal(ZoneInfo("UTC"))
    first.start()
    first.agent_state(agent.id, AgentStateName.AVAILABLE, T0)
    first.call_started("s1", at=T0, group_id=group.id)
    first.call_queued("s1", T0)
    first.offer_started("s1-o1", "s1", agent.id, T0 + timedelta(seconds=1))
    first.agent_state(agent.id, AgentStateName.ON_CALL, T0 + timedelta(seconds=2),
                      call_ref="s1")
    first.call_answered("s1", agent.id, T0 + timedelta(seconds=2))
    await first.stop()
    call = await Call.get(ref="s1")
    assert call.ended_at is None and call.outcome is None
    assert await AgentState.filter(agent_id=agent.id, ended_at=None).count() == 1

    second = CallJournal(ZoneInfo("UTC"))  # a new process: nothing of s1 in memory
    second.start()
    second.offer_ended("s1-o1", OfferResult.ANSWERED, T0 + timedelta(seconds=2))
    second.call_ended("s1", CallOutcome.ANSWERED, T0 + timedelta(seconds=302))
    second.agent_state(agent.id, AgentStateName.WRAPUP, T0 + timedelta(seconds=302),
                       call_ref="s1")
    second.wrapup_ended("s1", T0 + timedelta(seconds=312), agent.id)
    second.agent_state(agent.id, AgentStateName.AVAILABLE, T0 + timedelta(seconds=312))
    await second.stop()

    call = await Call.get(ref="s1")
    assert (call.outcome, call.talk_s, call.wait_s, call.wrapup_s, call.offers_count) == (
        CallOutcome.ANSWERED, 300.0, 2.0, 10.0, 1)
    offer = await Offer.get(ref="s1-o1")
    assert offer.result is OfferResult.ANSWERED and offer.ended_at == T0 + timedelta(seconds=2)
    states = await AgentState.filter(agent_id=agent.id).order_by("started_at")
    assert [(s.state, s.ended_at) for s in states] == [
        (AgentStateName.AVAILABLE, T0 + timedelta(seconds=2)),
        (AgentStateName.ON_CALL, T0 + timedelta(seconds=302)),
        (AgentStateName.WRAPUP, T0 + timedelta(seconds=312)),
        (AgentStateName.AVAILABLE, None),
    ]
    assert first.failures == second.failures == 0
    assert await Call.all().count() == 1  # continued, not duplicated


async def test_a_wrapup_after_the_transferred_caller_left_finds_its_row(db: str) -> None:
    first, group = await _agent_and_group()
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    journal.call_started("g1", at=T0, group_id=group.id)
    journal.call_answered("g1", first.id, T0 + timedelta(seconds=5))
    journal.call_transferred("g1", T0 + timedelta(seconds=65))  # to a group: queued again
    journal.call_queued("g1", T0 + timedelta(seconds=65))
    journal.call_transferred("g1", T0 + timedelta(seconds=70))  # on to another group
    journal.call_queued("g1", T0 + timedelta(seconds=70))
    journal.call_ended("g1", CallOutcome.ABANDONED, T0 + timedelta(seconds=90))
    journal.wrapup_ended("g1", T0 + timedelta(seconds=95), first.id)  # still in wrap-up
    await journal.stop()

    rows = await Call.all().order_by("id")
    assert [(r.ref, r.outcome) for r in rows] == [
        ("g1", CallOutcome.TRANSFERRED), ("g1/t1", CallOutcome.TRANSFERRED),
        ("g1/t2", CallOutcome.ABANDONED)]
    assert rows[0].wrapup_s == 30.0 and rows[1].wrapup_s is None
    assert journal.failures == 0
    assert not journal._calls  # nothing kept once all is written


async def test_close_call_ends_a_call_that_ended_while_no_process_watched(db: str) -> None:
    agent, group = await _agent_and_group()
    first = CallJournal(ZoneInfo("UTC"))
    first.start()
    first.call_started("k1", at=T0, group_id=group.id)
    first.call_queued("k1", T0)
    first.offer_started("k1-o1", "k1", agent.id, T0 + timedelta(seconds=3))
    first.offer_ringing("k1-o1", T0 + timedelta(seconds=3))
    await first.stop()  # the process goes away while the agent's phone rings

    second = CallJournal(ZoneInfo("UTC"))
    second.start()
    second.close_call("k1", CallOutcome.ABANDONED, T0 + timedelta(seconds=9))
    await second.stop()

    call = await Call.get(ref="k1")
    assert (call.outcome, call.ended_at, call.wait_s) == (
        CallOutcome.ABANDONED, T0 + timedelta(seconds=9), 9.0)
    offer = await Offer.get(ref="k1-o1")
    assert (offer.result, offer.ended_at) == (OfferResult.CANCELLED, T0 + timedelta(seconds=9))
    assert second.failures == 0


async def test_states_continued_after_a_restart_reach_the_rollups(db: str) -> None:
    from crm.models import StatsAgentDaily, StatsAgentHourly

    agent, _ = await _agent_and_group()
    first = CallJournal(ZoneInfo("UTC"))
    first.start()
    first.agent_state(agent.id, AgentStateName.PAUSED, T0, reason="lunch")
    await first.stop()
    # nothing is closed at stop: the pause goes on through the restart
    assert not await StatsAgentHourly.filter(agent_id=agent.id).exists()

    second = CallJournal(ZoneInfo("UTC"))
    second.start()
    second.agent_state(agent.id, AgentStateName.AVAILABLE, T0 + timedelta(minutes=50))
    await second.stop()

    hourly = await StatsAgentHourly.filter(agent_id=agent.id, state="paused").order_by(
        "local_hour")
    assert [(h.local_hour, h.reason, h.seconds, h.entries) for h in hourly] == [
        (0, "lunch", 1800.0, 1), (1, "lunch", 1200.0, 0)]
    daily = await StatsAgentDaily.get(agent_id=agent.id, state="paused")
    assert (daily.seconds, daily.entries) == (3000.0, 1)


async def test_extra_open_states_left_by_a_crash_are_chained_through_the_rollups(
        db: str) -> None:
    from crm.models import StatsAgentHourly

    agent, _ = await _agent_and_group()
    for minutes, state in ((0, AgentStateName.AVAILABLE), (10, AgentStateName.PAUSED)):
        await AgentState.create(agent=agent, state=state, started_at=T0 + timedelta(
            minutes=minutes), local_date=T0.date(), local_hour=0)
    journal = CallJournal(ZoneInfo("UTC"))
    journal.start()
    journal.agent_state(agent.id, AgentStateName.LOGGED_OUT, T0 + timedelta(minutes=25))
    await journal.stop()

    states = await AgentState.filter(agent_id=agent.id).order_by("started_at")
    assert [s.ended_at for s in states] == [T0 + timedelta(minutes=10),
                                           T0 + timedelta(minutes=25)]
    seconds = {h.state: h.seconds for h in await StatsAgentHourly.filter(agent_id=agent.id)}
    assert seconds == {"available": 600.0, "paused": 900.0}
