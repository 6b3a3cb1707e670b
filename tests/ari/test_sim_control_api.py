"""The /sim control API, authentication, R-single and lifecycle of the simulator."""

from __future__ import annotations

import asyncio

import aiohttp

from asterisk_sim import Simulator
from asterisk_sim.testing import AriTestClient

APP = "prowebcrm"


async def test_auth_header_or_api_key_else_401() -> None:
    sim = Simulator(user="u", password="p", time_scale=0.05)
    await sim.start(host="127.0.0.1", port=0)
    try:
        assert sim.url.startswith("http://127.0.0.1:") and sim.port > 0
        async with aiohttp.ClientSession() as http:
            async with http.get(sim.url + "/ari/asterisk/info") as r:
                assert r.status == 401
                assert await r.json() == {"message": "Authentication required"}
                assert "Basic" in r.headers["WWW-Authenticate"]
            async with http.get(sim.url + "/ari/asterisk/info", params={"api_key": "u:p"}) as r:
                assert r.status == 200
                assert (await r.json())["system"]["version"].startswith("22")
            async with http.get(
                sim.url + "/ari/channels", headers={"Authorization": sim.auth_header}
            ) as r:
                assert r.status == 200 and await r.json() == []
            async with http.get(sim.url + "/sim/phones", params={"api_key": "u:wrong"}) as r:
                assert r.status == 401
            async with http.get(sim.url + "/ari/nope", params={"api_key": "u:p"}) as r:
                assert r.status == 404 and "message" in await r.json()
    finally:
        await sim.stop()


async def test_phone_control_endpoints(simulator: Simulator) -> None:
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        status, body = await ari.post_json(
            "/sim/phones/2001", {"behaviour": "manual", "answer_delay": 0.5}
        )
        assert status == 200 and body["behaviour"] == "manual" and body["state"] == "idle"
        status, body = await ari.post_json("/sim/phones/2001", {"behaviour": "nonsense"})
        assert status == 400
        status, _ = await ari.request(
            "POST", "/ari/channels", endpoint="PJSIP/2001", app=APP, channelId="a1"
        )
        assert status == 200
        await ari.wait_for("Dial", lambda e: e["dialstatus"] == "RINGING")
        status, phones = await ari.request("GET", "/sim/phones")
        assert phones[0]["state"] == "ringing" and phones[0]["channel_id"] == "a1"
        assert (await ari.request("POST", "/sim/phones/2001/reject"))[0] == 204
        await ari.wait_for("ChannelDestroyed")
        assert (await ari.request("POST", "/sim/phones/2001/hangup"))[0] == 409  # no call
        assert (await ari.request("POST", "/sim/phones/9999/answer"))[0] == 404
        status, _ = await ari.request("POST", "/ari/channels", endpoint="PJSIP/9999", app=APP)
        assert status == 500  # unknown endpoint: Asterisk's "Allocation failed"


async def test_place_and_hang_up_inbound_call_over_http(simulator: Simulator) -> None:
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        status, call = await ari.post_json(
            "/sim/calls", {"group": "3000", "caller_number": "0611", "caller_name": "Bob"}
        )
        assert status == 201 and call["state"] == "waiting"
        start = await ari.wait_for("StasisStart")
        assert start["args"] == ["inbound", "3000"] and start["channel"]["id"] == call["id"]
        assert start["channel"]["dialplan"]["app_data"] == f"{APP},inbound,3000"
        assert (await ari.request("POST", f"/ari/channels/{call['id']}/answer"))[0] == 204
        assert (await ari.request("POST", f"/sim/calls/{call['id']}/hangup"))[0] == 204
        hr = await ari.wait_for("ChannelHangupRequest")
        assert hr["cause"] == 16 and "soft" not in hr
        await ari.wait_for("StasisEnd")
        assert not any(e["type"] == "ChannelDestroyed" for e in ari.events)  # inbound leg
        status, calls = await ari.request("GET", "/sim/calls")
        assert calls[0]["state"] == "ended" and calls[0]["end_reason"] == "hangup"
        # Per-call app override: nobody listens on "other", so Stasis() fails.
        status, call = await ari.post_json("/sim/calls", {"group": "3000", "app": "other"})
        assert status == 201 and call["state"] == "failed"


async def test_second_socket_takes_over_and_app_disappears_when_it_closes(
    simulator: Simulator,
) -> None:
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as first:
        async with AriTestClient(simulator.url, simulator.auth_header, APP) as second:
            replaced = await first.wait_for("ApplicationReplaced")
            assert replaced["application"] == APP
            call = simulator.place_inbound_call("1000", "0600")
            await second.wait_for("StasisStart")
            await asyncio.sleep(0.05)
            assert [e["type"] for e in first.events] == ["ApplicationReplaced"]
            simulator.hangup_call(call)
        await asyncio.sleep(0.05)
        status, apps = await first.request("GET", "/ari/applications")
        assert status == 200 and apps == []
        call = simulator.place_inbound_call("1000", "0600")
        assert simulator.call(call).state == "failed"  # R-fallback: Stasis() refused
        assert not first._ws.closed  # type: ignore[union-attr]


async def test_snapshot_and_generator_over_http(simulator: Simulator) -> None:
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        status, gen = await ari.post_json(
            "/sim/generator",
            {"rates": {"1000": 30, "2000": 0}, "mean_talk_time": 30, "abandon_patience": 60},
        )
        assert status == 200 and gen["state"] == "stopped" and gen["rates"]["1000"] == 30
        status, gen = await ari.post_json("/sim/generator/burst", {"count": 3, "group": "2000"})
        assert gen["placed"] == 3
        for _ in range(3):
            await ari.wait_for(
                "StasisStart", start=len([e for e in ari.events if e["type"] != "StasisStart"])
            )
        assert [e["args"] for e in ari.events if e["type"] == "StasisStart"] == [
            ["inbound", "2000"]
        ] * 3
        for action, state in (
            ("start", "running"),
            ("pause", "paused"),
            ("resume", "running"),
            ("stop", "stopped"),
        ):
            status, gen = await ari.post_json(f"/sim/generator/{action}", {})
            assert status == 200 and gen["state"] == state
        status, snap = await ari.request("GET", "/sim/snapshot")
        assert status == 200 and len(snap["calls"]) == 3 and snap["websockets"] == 1
        assert {c["sim"]["stasis_app"] for c in snap["channels"]} >= {APP}


async def test_stop_leaves_nothing_running() -> None:
    before = {t for t in asyncio.all_tasks() if not t.done()}
    sim = Simulator(user="u", password="p", time_scale=0.05, seed=7)
    await sim.start()
    sim.phones.add("2001", "never_answer")
    sim.configure_generator(rates={"1000": 600}, mean_talk_time=10, abandon_patience=20)
    sim.generator.start()
    async with AriTestClient(sim.url, sim.auth_header, APP) as ari:
        await ari.wait_for("StasisStart")
        await ari.request("POST", "/ari/channels", endpoint="PJSIP/2001", app=APP, timeout="60")
        assert sim.scheduler.pending > 0
        ws_client = AriTestClient(sim.url, sim.auth_header, "other")
        await ws_client.__aenter__()
        await sim.stop()
        assert sim.scheduler.pending == 0 and sim.generator.state == "stopped"
        assert sim.snapshot()["websockets"] == 0
        await ws_client.__aexit__()
    await asyncio.sleep(0.05)
    leftover = {t for t in asyncio.all_tasks() if not t.done()} - before
    leftover.discard(asyncio.current_task())  # type: ignore[arg-type]
    assert not leftover, leftover
