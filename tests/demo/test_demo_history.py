"""The generated history: consistent like the live journal's rows, and every report and
history page has content once the demo has seeded it."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from crm.interventions import list_interventions
from crm.models import (
    AgentState,
    AuditLog,
    Call,
    Client,
    Intervention,
    Offer,
    Setting,
    User,
)
from crm.stats.agent_activity import agent_action_history, agent_call_stats
from crm.stats.periods import Interval, local_today
from crm.stats.reports import run_report
from crm.stats.types import Filters, StatsConfig
from prowebcrm import demo_seed
from prowebcrm.demo_history import (
    CALL_COLS,
    STATE_COLS,
    AgentPlan,
    Caller,
    DayRows,
    HistoryGenerator,
    Profile,
    SyntheticCentre,
)

PARIS = ZoneInfo("Europe/Paris")
CALL = {name.strip(): i for i, name in enumerate(CALL_COLS.split(","))}
STATE = {name.strip(): i for i, name in enumerate(STATE_COLS.split(","))}


def small_centre(seed: int = 5) -> HistoryGenerator:
    plans = [AgentPlan(1, "2001", (10, 20), 8.0, True), AgentPlan(2, "2002", (10,), 9.0),
             AgentPlan(3, "2003", (10, 20), 10.0), AgentPlan(4, "2004", (20,), 12.0, True)]
    profile = Profile(
        group_share={10: 0.6, 20: 0.4}, wrapup_s={10: 10, 20: 20}, ring_timeout_s={10: 15},
        max_wait_s={20: 120}, pause_codes=("lunch", "break", "training"),
        callers=[Caller(f"+336000000{i:02d}", i) for i in range(1, 41)], known_share=0.4,
        dispositions=[(1, "sale"), (2, "complaint")], note_share=0.5, queue_wait_s=6,
        abandon_share=0.07)
    return HistoryGenerator(plans, PARIS, profile, seed=seed)


def stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def week(gen: HistoryGenerator, until: float | None = None) -> DayRows:
    """Monday 2026-03-23 to Sunday 2026-03-29 (the spring DST change)."""
    out = DayRows()
    for n in range(7):
        rows = gen.finish(gen.rows(date(2026, 3, 23) + timedelta(days=n), until))
        for name in ("calls", "offers", "states", "notes"):
            getattr(out, name).extend(getattr(rows, name))
    return out


def test_agent_states_chain_like_the_journal_writes_them() -> None:
    rows = week(small_centre())
    by_agent: dict[int, list[tuple]] = defaultdict(list)
    for s in rows.states:
        by_agent[s[0]].append(s)
    weekend_day = {"2026-03-28", "2026-03-29"}
    assert {s[STATE["local_date"]] for s in by_agent[2]} & weekend_day == set()
    assert {s[STATE["local_date"]] for s in by_agent[1]} & weekend_day == weekend_day
    for states in by_agent.values():
        sessions = 1
        for before, after in pairwise(states):
            start, end = after[STATE["started_at"]], before[STATE["ended_at"]]
            if start != end:  # a logout then a login, the next day
                assert stamp(start) - stamp(end) > 6 * 3600
                sessions += 1
                assert after[STATE["extension"]] != ""  # the login carries the extension
        assert sessions == len({s[STATE["local_date"]] for s in states})
        for s in states:
            assert stamp(s[STATE["started_at"]]) <= stamp(s[STATE["ended_at"]])
            local = datetime.fromisoformat(s[STATE["started_at"]]).astimezone(PARIS)
            assert (s[STATE["local_date"]], s[STATE["local_hour"]]) == (
                local.date().isoformat(), local.hour)
    kinds = Counter((s[STATE["state"]], s[STATE["reason"]]) for s in rows.states)
    for kind in (("available", ""), ("ringing", "queue"), ("on_call", "queue"),
                 ("wrapup", ""), ("paused", "lunch"), ("paused", "break"),
                 ("ringing", "click_to_call")):
        assert kinds[kind] > 0, kind


def test_calls_offers_and_notes_are_consistent() -> None:
    rows = week(small_centre())
    calls = {c[CALL["id"]]: c for c in rows.calls}
    assert len(calls) == len(rows.calls)
    outcomes = Counter(c[CALL["outcome"]] for c in rows.calls)
    assert {"answered", "abandoned", "transferred", "timed_out"} <= set(outcomes)
    assert outcomes["answered"] > 5 * outcomes["abandoned"] > 0
    for c in rows.calls:
        times = [stamp(c[CALL[k]]) for k in ("started_at", "first_offered_at", "answered_at",
                                              "ended_at", "wrapup_ended_at") if c[CALL[k]]]
        assert times == sorted(times), c
        local = datetime.fromisoformat(c[CALL["started_at"]]).astimezone(PARIS)
        assert (c[CALL["local_date"]], c[CALL["local_hour"]]) == (local.date().isoformat(),
                                                                  local.hour)
        if c[CALL["outcome"]] == "timed_out":
            assert c[CALL["group_id"]] == 20 and c[CALL["wait_s"]] == 120
    results = Counter(o[7] for o in rows.offers)
    assert {"answered", "rejected", "no_answer"} <= set(results)
    assert all(o[2] in calls for o in rows.offers)
    offers_per_call = Counter(o[2] for o in rows.offers)
    assert all(c[CALL["offers_count"]] == offers_per_call[cid] for cid, c in calls.items())
    seen: set[int] = set()
    legs = 0
    for c in rows.calls:  # transfer legs come after the call they continue
        parent_id = c[CALL["transferred_from_id"]]
        if parent_id is not None:
            legs += 1
            parent = calls[parent_id]
            assert parent_id in seen and parent[CALL["outcome"]] == "transferred"
            assert c[CALL["caller_number"]] == parent[CALL["caller_number"]]
            assert c[CALL["client_id"]] == parent[CALL["client_id"]]
            assert c[CALL["agent_id"]] != parent[CALL["agent_id"]]
            assert 0 <= stamp(c[CALL["started_at"]]) - stamp(parent[CALL["ended_at"]]) <= 120
            assert c[CALL["entered_queue_at"]] is None
        seen.add(c[CALL["id"]])
    assert legs > 0
    assert rows.notes
    for client_id, agent_id, call_id, dispo, text, at in rows.notes:
        call = calls[call_id]
        assert call[CALL["client_id"]] == client_id and call[CALL["agent_id"]] == agent_id
        assert dispo == call[CALL["disposition_id"]] and text
        assert stamp(call[CALL["ended_at"]]) <= stamp(at) <= stamp(
            call[CALL["wrapup_ended_at"]])


def test_nothing_runs_past_until_and_the_same_seed_gives_the_same_history() -> None:
    until = datetime(2026, 3, 25, 11, 7, tzinfo=UTC).timestamp()
    rows = week(small_centre(), until)
    last = max(stamp(s[STATE["ended_at"]]) for s in rows.states)
    assert until - 3600 < last <= until
    assert max(stamp(c[CALL["ended_at"]]) for c in rows.calls) <= until
    assert week(small_centre(), until).calls == rows.calls
    assert week(small_centre(seed=6), until).calls != rows.calls


def test_the_bench_centre_keeps_its_shape() -> None:
    gen = SyntheticCentre(30, mysql=True)
    assert gen.agents == 30 and set(gen.groups) == set(range(1, 31))
    assert all(set(g) <= set(range(1, 9)) and 1 <= len(g) <= 2 for g in gen.groups.values())
    calls, offers, states = gen.day(date(2026, 2, 10))
    assert len(calls) > 30 * 50 and len(offers) >= len(calls) * 0.8
    assert {s[1] for s in states} == {"available", "on_call", "wrapup", "paused"}
    assert "+" not in calls[0][CALL["started_at"]]  # MySQL: naive UTC
    assert all(c[CALL["transferred_from_id"]] is None for c in calls)


@pytest.mark.usefixtures("db")
async def test_seeded_demo_history_feeds_every_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from crm import passwords

    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
    lines: list[str] = []
    await demo_seed.seed("FR", PARIS, progress=lines.append, clients_count=40,
                         history_days=6)
    assert await Setting.exists(key=demo_seed.SEED_MARKER)
    assert any(line.startswith("call history 7/7 days") for line in lines), lines
    assert any(line.startswith("statistics rebuilt") for line in lines)
    assert await User.filter(role="agent").count() == 8
    # nothing left open for the ACD to close later, nothing in the future
    assert await AgentState.filter(ended_at=None).count() == 0
    assert await Call.filter(outcome=None).count() == 0
    now = datetime.now(UTC)
    assert await Call.filter(ended_at__gt=now).count() == 0
    assert await Offer.filter(result="rejected").count() > 0
    # the seeded people and records existed before their first calls
    first_call = await Call.all().order_by("started_at").first()
    latest_seed = await AuditLog.filter(ip="demo").order_by("-at").first()
    assert first_call is not None and latest_seed is not None
    assert latest_seed.at < first_call.started_at
    assert await User.filter(created_at__gt=first_call.started_at).count() == 0

    cfg = StatsConfig(PARIS, 20, 5)
    today = local_today(PARIS)
    iv = Interval(today - timedelta(days=6), today)
    kpis = {k.key: k.value for k in (await run_report("kpi_per_group", cfg, iv)).kpis}
    assert 40 < kpis["service_level"] < 100 and 0 < kpis["abandon_rate"] < 25
    assert 0 < kpis["asa"] < 60 and 60 < kpis["aht"] < 600
    assert 40 < kpis["occupancy"] < 100
    per_day = await run_report("calls_per_day", cfg, iv)
    assert per_day.totals["calls"] == await Call.filter(  # a transfer leg is not a new call
        local_date__gte=iv.start, local_date__lte=iv.end, transferred_from_id=None).count()
    assert per_day.totals["transferred"] > 0
    pauses = await run_report("pauses", cfg, iv, Filters())
    assert pauses.totals["pause_s"] > 0

    alice = await User.get(login="alice")  # a person logs in as her: her day starts blank
    assert (await agent_call_stats(cfg, alice.id, Interval(today, today))).received == 0
    assert (await agent_call_stats(cfg, alice.id, iv)).answered > 0
    bruno = await User.get(login="bruno")
    stats = await agent_call_stats(cfg, bruno.id, iv)
    assert stats.answered > 20 and stats.pause_s > 0 and stats.logged_s > 3600
    assert {"lunch", "break"} <= set(stats.pause_by_reason)
    page = await agent_action_history(cfg, bruno.id, iv, limit=500)
    kinds = {str(a.kind) for a in page.items}
    assert {"call", "intervention", "pause", "login", "logout"} <= kinds, kinds

    noted = await Intervention.all().first()
    assert noted is not None
    views, _ = await list_interventions(noted.client_id)  # type: ignore[attr-defined]
    assert views and all(v.agent_name for v in views)
    assert await Client.filter(interventions__id__isnull=False).distinct().count() > 10
