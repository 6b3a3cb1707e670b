"""The README's run command path: `prowebcrm demo` as a user runs it, in a subprocess:
seeded (history included), served, stopped with Ctrl-C, then started again on its data."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from tests.demo.process import DemoProcess, free_port


async def _seen_by_admin(base: str) -> dict[str, Any]:
    # unsafe=True: aiohttp keeps no cookies for bare IP addresses otherwise.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        login = await http.post(f"{base}/api/v1/auth/login",
                                json={"login": "admin", "password": "demo-admin"})
        assert login.status == 200, await login.text()
        users = await (await http.get(f"{base}/api/v1/users?limit=200")).json()
        report = await http.get(f"{base}/api/v1/stats/report",
                                params={"report": "kpi_per_group", "range": "last_30_days"})
        assert report.status == 200, await report.text()
        traffic = await (await http.get(f"{base}/api/v1/demo/traffic")).json()
        return {"logins": {u["login"] for u in users["items"]},
                "roles": sorted(u["role"] for u in users["items"]),
                "kpis": {k["key"]: k["value"] for k in (await report.json())["kpis"]},
                "traffic": traffic}


def test_demo_seeds_serves_stops_on_ctrl_c_and_keeps_its_data(tmp_path: Path) -> None:
    first = DemoProcess(tmp_path / "data", free_port(), "--calls-per-minute", "120")
    try:
        output = first.wait_ready()
        assert f"running on {first.base}" in output, output
        assert "seeding clients 300/300" in output
        assert "call history 61/61 days" in output and "statistics rebuilt" in output
        assert "admin        password demo-admin" in output
        assert f"{first.base}/admin/traffic" in output
        seen = asyncio.run(_seen_by_admin(first.base))
    finally:
        status = first.stop()
    assert status == 0, first.output[-2000:]
    assert "PROWEBCRM demo stopped." in first.rest
    assert "Traceback" not in first.output

    assert {"admin", "superviseur", "alice", "bruno", "chloe", "hugo"} <= seen["logins"]
    assert seen["roles"].count("agent") == 8 and seen["roles"].count("supervisor") == 1
    kpis = seen["kpis"]  # the last 30 days of the seeded history
    assert 50 < kpis["service_level"] < 100 and 0 < kpis["abandon_rate"] < 20, kpis
    assert 0 < kpis["asa"] < 60 and 60 < kpis["aht"] < 600 and 40 < kpis["occupancy"] < 100
    assert seen["traffic"]["running"] is True and seen["traffic"]["calls_per_minute"] == 120

    again = DemoProcess(tmp_path / "data", free_port(), "--no-traffic")
    try:
        output = again.wait_ready()
        assert "existing demo data kept" in output and "seeding" not in output
        after = asyncio.run(_seen_by_admin(again.base))
        # the same people, and the history (plus the first run's live calls) still there
        assert after["roles"] == seen["roles"]
        assert after["kpis"]["service_level"] > 50 and after["traffic"]["running"] is False
    finally:
        status = again.stop()
    assert status == 0 and "Traceback" not in again.output
