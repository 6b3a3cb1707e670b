"""Every REST reply and every event the simulator sends must match ARI's Swagger models.

The replies and events are collected with the simulator's recording hooks while
each recorded scenario is replayed, plus a phone/PJSIP flow that no trace has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from asterisk_sim import Simulator
from asterisk_sim.replay import Replayer
from asterisk_sim.swagger import SwaggerModels
from asterisk_sim.traces import scenario_names

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SCENARIOS = scenario_names(SHARED / "ari-traces") if (SHARED / "ari-traces").is_dir() else []


class Recorder:
    def __init__(self, sim: Simulator) -> None:
        self.events: list[dict[str, Any]] = []
        self.replies: list[tuple[str, str, int, Any]] = []
        sim.add_event_listener(lambda app, ev, delivered: self.events.append(ev))
        sim.add_rest_listener(lambda m, p, s, b: self.replies.append((m, p, s, b)))

    def problems(self, models: SwaggerModels) -> list[str]:
        out = []
        for ev in self.events:
            out += [f"{ev['type']}: {e}" for e in models.validate_event(ev)]
        for method, path, status, body in self.replies:
            out += models.validate_reply(method, path, status, body)
        return out


@pytest.fixture
def models(api_docs_dir: Path) -> SwaggerModels:
    return SwaggerModels(api_docs_dir)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_replayed_scenario_matches_swagger(
    simulator: Simulator, traces_dir: Path, models: SwaggerModels, scenario: str
) -> None:
    simulator.inbound_app = "crm"
    rec = Recorder(simulator)
    await Replayer(simulator.url, simulator.auth_header, traces_dir, scenario).run()
    assert rec.events and rec.replies
    problems = rec.problems(models)
    assert not problems, "\n".join(problems[:20])


async def test_phone_flows_and_errors_match_swagger(
    simulator: Simulator, models: SwaggerModels
) -> None:
    rec = Recorder(simulator)
    simulator.phones.add("2001", "manual")
    headers = {"Authorization": simulator.auth_header}
    async with aiohttp.ClientSession(headers=headers) as http:
        ws = await http.ws_connect(simulator.ws_url, params={"app": "prowebcrm"})
        base = simulator.url + "/ari"
        caller = simulator.place_inbound_call("1000", "0611223344", "Alice")
        for method, path, params in [
            ("GET", "/asterisk/info", {}),
            ("GET", "/asterisk/ping", {}),
            ("POST", f"/channels/{caller}/answer", {}),
            ("POST", "/bridges", {"type": "mixing", "bridgeId": "b1"}),
            (
                "POST",
                "/channels",
                {
                    "endpoint": "PJSIP/2001",
                    "app": "prowebcrm",
                    "appArgs": "agent,2001",
                    "channelId": "ag1",
                },
            ),
            ("GET", "/channels/ag1", {}),
            ("POST", "/channels/ag1/answer", {}),  # 409: still ringing, not in Stasis
            ("POST", "/bridges/b1/addChannel", {"channel": "ag1"}),  # 422 not in Stasis
            ("GET", "/channels/nope", {}),
            ("POST", "/channels/nope/answer", {}),
            ("POST", "/channels", {}),
            ("GET", f"/channels/{caller}/variable", {"variable": "CALLERID(num)"}),
            ("POST", f"/channels/{caller}/variable", {"variable": "X", "value": "1"}),
            ("GET", "/applications", {}),
            ("GET", "/applications/prowebcrm", {}),
            ("POST", "/applications/prowebcrm/subscription", {"eventSource": "bridge:b1"}),
            ("POST", "/bridges/b1/record", {"name": "r1", "format": "wav"}),
            ("GET", "/bridges", {}),
        ]:
            async with http.request(method, base + path, params=params):
                pass
        simulator.phone("2001").answer()
        async with http.post(base + "/bridges/b1/addChannel", params={"channel": f"{caller},ag1"}):
            pass
        simulator.phone("2001").hangup()
        async with http.delete(base + f"/channels/{caller}"):
            pass
        async with http.delete(base + "/bridges/b1"):
            pass
        await ws.close()
    types = {e["type"] for e in rec.events}
    assert {"StasisStart", "Dial", "ChannelEnteredBridge", "ChannelDestroyed"} <= types
    statuses = {s for _, _, s, _ in rec.replies}
    assert {200, 204, 400, 404, 409, 422} <= statuses
    problems = rec.problems(models)
    assert not problems, "\n".join(problems[:20])


def test_validator_catches_mistakes(models: SwaggerModels) -> None:
    ok = {
        "type": "StasisEnd",
        "timestamp": "2026-01-01T00:00:00.000+0000",
        "application": "a",
        "channel": {
            "id": "1",
            "name": "x",
            "state": "Up",
            "protocol_id": "",
            "caller": {"name": "", "number": ""},
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": "c",
                "exten": "e",
                "priority": 1,
                "app_name": "",
                "app_data": "",
            },
            "creationtime": "2026-01-01T00:00:00.000+0000",
            "language": "en",
        },
    }
    assert models.validate_event(ok) == []
    assert models.validate_event({**ok, "bogus": 1})
    assert models.validate_event({**ok, "channel": {**ok["channel"], "state": "Weird"}})
    assert models.validate_event({k: v for k, v in ok.items() if k != "application"})
    assert models.validate_event(
        {
            **ok,
            "channel": {
                **ok["channel"],
                "dialplan": {**ok["channel"]["dialplan"], "priority": "1"},
            },
        }
    )
