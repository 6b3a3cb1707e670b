"""S4/B1 report API: every report in JSON and CSV, checked against figures computed here
from the raw call rows the test inserts; bad query strings; roles."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from crm.models import Call, CallOutcome, Direction, Group, GroupMember, Role, User
from crm.stats.reports import REPORTS
from crm.stats.rollups import rebuild_rollups
from tests.web.webtools import login, make_user

PARIS = ZoneInfo("Europe/Paris")  # the default time zone of the settings
DAY1 = "2026-03-10"
DAY3 = "2026-03-12"


async def seed() -> dict[str, Any]:
    """Ten calls over three local days, two groups, two agents; one call at 23:30 UTC,
    which is the next day in Paris (the report must bucket it there)."""
    # users and groups are reused when they exist (the browser test seeds its live ones)
    sup = await User.get_or_none(login="sup") or await make_user(
        "sup", Role.SUPERVISOR, name="Sue Supervisor")
    ann = await User.get_or_none(login="ann") or await make_user("ann", name="Ann Agent")
    bob = await User.get_or_none(login="bob") or await make_user("bob", name="Bob Agent")
    sales = await Group.get_or_none(name="Sales") or await Group.create(
        name="Sales", number="3001")
    help_ = await Group.get_or_none(name="Help") or await Group.create(
        name="Help", number="3002")
    if not await GroupMember.exists(user=ann, group=sales):
        await GroupMember.create(user=ann, group=sales, penalty=0, position=0)
    await GroupMember.create(user=bob, group=help_, penalty=0, position=0)
    base = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    # (start offset, group, agent, outcome, wait, talk)
    spec = [
        (timedelta(hours=0), sales, ann, "answered", 5.0, 60.0),
        (timedelta(hours=1), sales, ann, "answered", 30.0, 120.0),   # outside T = 20 s
        (timedelta(hours=2), sales, None, "abandoned", 2.0, None),   # short abandon (< 5 s)
        (timedelta(hours=3), sales, None, "abandoned", 45.0, None),
        (timedelta(hours=4), help_, bob, "answered", 10.0, 90.0),
        (timedelta(hours=15, minutes=30), help_, bob, "answered", 8.0, 30.0),  # 23:30 UTC
        (timedelta(days=1, hours=2), sales, bob, "answered", 12.0, 45.0),
        (timedelta(days=1, hours=3), help_, None, "abandoned", 25.0, None),
        (timedelta(days=2, hours=1), sales, ann, "answered", 19.0, 200.0),
        (timedelta(days=2, hours=5), help_, bob, "answered", 21.0, 20.0),
    ]
    rows: list[Call] = []
    for n, (offset, group, agent, outcome, wait, talk) in enumerate(spec):
        start = base + offset
        queued = start + timedelta(seconds=2)
        answered = queued + timedelta(seconds=wait) if outcome == "answered" else None
        ended = (answered + timedelta(seconds=talk)) if answered and talk else (
            queued + timedelta(seconds=wait))
        local = start.astimezone(PARIS)
        rows.append(await Call.create(
            ref=f"seed-{n}", direction=Direction.INBOUND, caller_number=f"+3361000000{n}",
            group=group, agent=agent, started_at=start, entered_queue_at=queued,
            first_offered_at=queued if agent else None, answered_at=answered, ended_at=ended,
            wrapup_ended_at=ended, local_date=local.date(), local_hour=local.hour,
            outcome=CallOutcome(outcome), wait_s=wait, talk_s=talk, wrapup_s=0.0 if talk else None,
        ))
    await rebuild_rollups(datetime(2026, 3, 9).date(), datetime(2026, 3, 13).date(), PARIS)
    return {"sup": sup, "ann": ann, "bob": bob, "sales": sales, "help": help_, "calls": rows}


@pytest.fixture
async def seeded(client: TestClient) -> dict[str, Any]:
    data = await seed()
    await login(client, "sup")
    return data


async def get_json(client: TestClient, url: str, status: int = 200) -> Any:
    response = await client.get(url)
    body = await response.json()
    assert response.status == status, body
    return body


def local_day(call: Call) -> str:
    return call.started_at.astimezone(PARIS).date().isoformat()


async def test_calls_per_day_matches_the_raw_calls(client: TestClient, seeded: dict) -> None:
    calls: list[Call] = seeded["calls"]
    report = await get_json(
        client, f"/api/v1/stats/report?report=calls_per_day&from={DAY1}&to={DAY3}")
    expected_calls = Counter(local_day(c) for c in calls)
    expected_answered = Counter(local_day(c) for c in calls if c.outcome is CallOutcome.ANSWERED)
    # the 23:30 UTC call belongs to the 11th in Paris
    assert expected_calls == {"2026-03-10": 5, "2026-03-11": 3, "2026-03-12": 2}
    rows = {r["bucket"]: r for r in report["rows"]}
    assert list(rows) == ["2026-03-10", "2026-03-11", "2026-03-12"]
    for day, count in expected_calls.items():
        assert rows[day]["calls"] == count
        assert rows[day]["answered"] == expected_answered[day]
    assert report["totals"]["calls"] == len(calls)
    assert report["interval"] == {"from": DAY1, "to": DAY3, "timezone": "Europe/Paris"}
    assert report["chart"]["labels"] == list(rows)
    assert report["chart"]["datasets"][0]["data"] == [expected_calls[d] for d in rows]


async def test_kpis_per_group_match_the_raw_calls(client: TestClient, seeded: dict) -> None:
    calls: list[Call] = seeded["calls"]
    report = await get_json(
        client, f"/api/v1/stats/report?report=kpi_per_group&from={DAY1}&to={DAY3}")
    by_name = {r["group"]: r for r in report["rows"]}
    for group in (seeded["sales"], seeded["help"]):
        mine = [c for c in calls if c.group_id == group.id]
        answered = [c for c in mine if c.outcome is CallOutcome.ANSWERED]
        abandoned_long = [c for c in mine
                          if c.outcome is CallOutcome.ABANDONED and c.wait_s >= 5]
        within = [c for c in answered if c.wait_s <= 20]
        row = by_name[group.name]
        assert row["queued"] == len(mine)
        assert row["answered"] == len(answered)
        assert row["abandoned"] == len(abandoned_long)
        sl = 100 * len(within) / (len(answered) + len(abandoned_long))
        assert row["service_level"] == pytest.approx(sl, abs=0.05)
        asa = sum(c.wait_s for c in answered) / len(answered)
        assert row["asa"] == pytest.approx(asa, abs=0.05)
        assert row["abandon_rate"] == pytest.approx(100 * len(abandoned_long) / len(mine),
                                                    abs=0.05)
    # every KPI states its method, thresholds filled in
    methods = {k["key"]: k["method"] for k in report["kpis"]}
    assert "20 s" in methods["service_level"] and "5 s" in methods["service_level"]
    assert set(methods) >= {"service_level", "asa", "aht", "abandon_rate", "occupancy"}


async def test_calls_per_agent_and_filters(client: TestClient, seeded: dict) -> None:
    calls: list[Call] = seeded["calls"]
    handled = Counter(c.agent_id for c in calls if c.answered_at and c.talk_s)
    talk = Counter()
    for c in calls:
        if c.answered_at and c.talk_s:
            talk[c.agent_id] += c.talk_s
    report = await get_json(
        client, f"/api/v1/stats/report?report=calls_per_agent&from={DAY1}&to={DAY3}")
    rows = {r["agent"]: r for r in report["rows"]}
    for agent in (seeded["ann"], seeded["bob"]):
        assert rows[agent.name]["handled"] == handled[agent.id]
        assert rows[agent.name]["talk_s"] == pytest.approx(talk[agent.id])
    only_sales = await get_json(
        client, f"/api/v1/stats/report?report=calls_per_day&from={DAY1}&to={DAY3}"
                f"&groups={seeded['sales'].id}")
    assert only_sales["totals"]["calls"] == sum(
        1 for c in calls if c.group_id == seeded["sales"].id)
    only_bob = await get_json(
        client, f"/api/v1/stats/report?report=calls_per_agent&from={DAY1}&to={DAY3}"
                f"&agents={seeded['bob'].id}")
    assert [r["agent"] for r in only_bob["rows"]] == ["Bob Agent"]


async def test_every_report_answers_json_and_csv(client: TestClient, seeded: dict) -> None:
    listing = await get_json(client, "/api/v1/stats/reports")
    assert {r["name"] for r in listing["reports"]} == set(REPORTS)
    assert "this_month" in listing["ranges"] and listing["timezone"] == "Europe/Paris"
    for name, spec in REPORTS.items():
        grans = [str(g) for g in spec.granularities] or [None]
        for gran in grans:
            qs = f"report={name}&from={DAY1}&to={DAY3}" + (f"&granularity={gran}" if gran else "")
            data = await get_json(client, f"/api/v1/stats/report?{qs}")
            assert data["name"] == name and data["columns"] and "chart" in data
            response = await client.get(f"/api/v1/stats/report.csv?{qs}")
            assert response.status == 200, name
            assert response.content_type == "text/csv"
            assert f"{name}_{DAY1}_{DAY3}.csv" in response.headers["Content-Disposition"]
            table = list(csv.reader(io.StringIO(await response.text())))
            units = {"seconds": " (s)", "percent": " (%)"}  # the CSV says its units
            assert table[0] == [c["label"] + units.get(c["kind"], "") for c in data["columns"]]
            assert len(table) == 1 + len(data["rows"]) + (1 if data["totals"] else 0)


async def test_csv_figures_are_the_json_figures(client: TestClient, seeded: dict) -> None:
    qs = f"report=calls_per_day&from={DAY1}&to={DAY3}"
    data = await get_json(client, f"/api/v1/stats/report?{qs}")
    text = await (await client.get(f"/api/v1/stats/report.csv?{qs}")).text()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["Calls"]) for r in table[:-1]] == [r["calls"] for r in data["rows"]]
    assert table[-1]["Period"] == "Total" and int(table[-1]["Calls"]) == 10


async def test_french_labels(client: TestClient, seeded: dict) -> None:
    client.session.cookie_jar.update_cookies({"lang": "fr"})
    data = await get_json(
        client, f"/api/v1/stats/report?report=calls_per_day&from={DAY1}&to={DAY3}")
    assert data["title"] == "Total des appels par jour"
    assert [c["label"] for c in data["columns"]][:2] == ["Période", "Appels"]
    kpis = await get_json(
        client, f"/api/v1/stats/report?report=kpi_per_group&from={DAY1}&to={DAY3}")
    method = next(k["method"] for k in kpis["kpis"] if k["key"] == "service_level")
    assert method.startswith("Appels décrochés dans le seuil T de leur propre groupe (20 s")
    text = await (await client.get(
        f"/api/v1/stats/report.csv?report=calls_per_day&from={DAY1}&to={DAY3}")).text()
    assert text.splitlines()[0].startswith("Période,Appels")
    bad = await get_json(client, "/api/v1/stats/report?report=calls&from=2026-03-12"
                                 "&to=2026-03-10", status=400)
    assert "commence" in bad["error"]["message"]


@pytest.mark.parametrize(("query", "field"), [
    ("report=calls&from=2026-13-01&to=2026-03-12", "from"),
    ("report=calls&from=2026-03-12&to=2026-03-10", "from"),
    ("report=calls&from=yesterday", "from"),
    ("report=nope", "report"),
    ("report=calls&range=fortnight", "range"),
    ("report=calls&granularity=week", "granularity"),
    ("report=calls&groups=99999", "groups"),
    ("report=calls&groups=abc", "groups"),
    ("report=calls&agents=99999", "agents"),
    ("report=calls_per_day&from=2020-01-01&to=2026-01-01", "to"),
    ("from=2026-03-10", "report"),
    ("report=calls&bogus=1", "bogus"),
])
async def test_bad_query_strings_are_400_with_a_message(
    client: TestClient, seeded: dict, query: str, field: str
) -> None:
    for path in ("/api/v1/stats/report", "/api/v1/stats/report.csv"):
        body = await get_json(client, f"{path}?{query}", status=400)
        assert body["error"]["code"] == "bad_request"
        assert body["error"]["message"]
        assert field in body["error"]["fields"], body


async def test_agent_call_stats_and_history(client: TestClient, seeded: dict) -> None:
    bob: User = seeded["bob"]
    calls: list[Call] = seeded["calls"]
    stats = await get_json(
        client, f"/api/v1/stats/agents/{bob.id}/calls?from={DAY1}&to={DAY3}")
    mine = [c for c in calls if c.agent_id == bob.id and c.answered_at]
    assert stats["handled"] == len(mine) == 4
    assert stats["talk_s"] == pytest.approx(sum(c.talk_s for c in mine))
    assert stats["agent"] == "Bob Agent"
    page = await get_json(client, f"/api/v1/stats/agents/{bob.id}/actions?from={DAY1}"
                                  f"&to={DAY3}&kinds=call&limit=3")
    assert page["total"] == 4 and len(page["items"]) == 3
    assert {i["kind"] for i in page["items"]} == {"call"}
    rest = await get_json(client, f"/api/v1/stats/agents/{bob.id}/actions?from={DAY1}"
                                  f"&to={DAY3}&kinds=call&limit=3&offset=3")
    assert len(rest["items"]) == 1
    assert rest["items"][0]["at"] not in {i["at"] for i in page["items"]}
    bad = await get_json(client, f"/api/v1/stats/agents/{bob.id}/actions?kinds=dance",
                         status=400)
    assert "kinds" in bad["error"]["fields"]
    await get_json(client, "/api/v1/stats/agents/99999/calls", status=404)
    today = await get_json(client, f"/api/v1/stats/agents/{bob.id}/calls")  # default: today
    assert today["interval"]["from"] == today["interval"]["to"]


async def test_roles(client: TestClient, seeded: dict, aiohttp_client: Any) -> None:
    agent_browser = await aiohttp_client(client.server)
    await login(agent_browser, "ann")
    for url in ("/api/v1/stats/reports", "/api/v1/stats/report?report=calls",
                "/api/v1/stats/report.csv?report=calls",
                f"/api/v1/stats/agents/{seeded['ann'].id}/calls",
                "/api/v1/supervision/snapshot", "/api/v1/supervision/wallboard"):
        response = await agent_browser.get(url)
        assert response.status == 403, url
    for page in ("/stats", "/supervision", "/wallboard"):
        assert (await agent_browser.get(page)).status == 403
        assert (await client.get(page)).status == 200
    anonymous = await aiohttp_client(client.server)
    assert (await anonymous.get("/api/v1/stats/report?report=calls")).status == 401
