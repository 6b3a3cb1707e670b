"""Simulated PJSIP phones: behaviours, Python handles, timeouts and PJSIP event shapes."""

from __future__ import annotations

import asyncio

from asterisk_sim import Simulator
from asterisk_sim.testing import AriTestClient

APP = "prowebcrm"


def chan_of(ev: dict) -> str:
    return (ev.get("channel") or ev.get("peer") or {}).get("id", "")


async def originate_agent(ari: AriTestClient, ext: str, cid: str, timeout: int = 30) -> dict:
    status, body = await ari.request(
        "POST",
        "/ari/channels",
        endpoint=f"PJSIP/{ext}",
        app=APP,
        appArgs=f"agent,{ext}",
        callerId="CRM <1000>",
        timeout=str(timeout),
        channelId=cid,
    )
    assert status == 200, body
    return body


async def test_auto_answer_reaches_stasis_like_a_local_first_half(simulator: Simulator) -> None:
    simulator.phones.add("2001", "auto_answer", answer_delay=0.2)
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        body = await originate_agent(ari, "2001", "ag-1")
        assert body["name"].startswith("PJSIP/2001-") and body["state"] == "Down"
        start = await ari.wait_for("StasisStart", lambda e: e["channel"]["id"] == "ag-1")
        assert start["args"] == ["agent", "2001"]
        assert start["channel"]["dialplan"]["app_name"] == "Stasis"
        seq = [
            (e["type"], e.get("dialstatus"), (e.get("channel") or e.get("peer"))["state"])
            for e in ari.events
            if chan_of(e) == "ag-1"
        ]
        assert seq == [
            ("Dial", "", "Down"),
            ("ChannelStateChange", None, "Ringing"),
            ("Dial", "RINGING", "Ringing"),
            ("ChannelStateChange", None, "Up"),
            ("Dial", "ANSWER", "Up"),
            ("ChannelVarset", None, "Up"),
            ("StasisStart", None, "Up"),
        ]
        assert simulator.phone("2001").state == "in_call"
        assert simulator.phone("2001").channel_id == "ag-1"
        # The phone hangs up: plain hang-up request (cause 16), StasisEnd, destroyed.
        mark = len(ari.events)
        simulator.phone("2001").hangup()
        await ari.wait_for("ChannelDestroyed", start=mark)
        assert ari.types("ag-1")[-4:] == [
            "ChannelHangupRequest",
            "StasisEnd",
            "ChannelVarset",
            "ChannelDestroyed",
        ]
        hr = next(e for e in ari.events[mark:] if e["type"] == "ChannelHangupRequest")
        assert hr["cause"] == 16 and "soft" not in hr
        assert simulator.phone("2001").state == "idle"


async def test_manual_phone_rings_until_answered(simulator: Simulator) -> None:
    simulator.phones.add("2002", "manual")
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        await originate_agent(ari, "2002", "ag-2")
        await ari.wait_for("Dial", lambda e: e["dialstatus"] == "RINGING")
        await asyncio.sleep(0.05)
        assert simulator.phone("2002").state == "ringing"
        assert "StasisStart" not in ari.types("ag-2")
        status, _ = await ari.request("POST", "/sim/phones/2002/answer")
        assert status == 204
        await ari.wait_for("StasisStart")
        assert simulator.phone("2002").state == "in_call"


async def test_reject_and_busy_causes(simulator: Simulator) -> None:
    simulator.phones.add("2003", "reject", answer_delay=0.1)
    simulator.phones.add("2004", "busy")
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        await originate_agent(ari, "2003", "ag-3")
        destroyed = await ari.wait_for("ChannelDestroyed", lambda e: e["channel"]["id"] == "ag-3")
        assert destroyed["cause"] == 21
        await originate_agent(ari, "2004", "ag-4")
        destroyed = await ari.wait_for("ChannelDestroyed", lambda e: e["channel"]["id"] == "ag-4")
        assert destroyed["cause"] == 17 and destroyed["cause_txt"] == "User busy"
        assert any(e["type"] == "Dial" and e["dialstatus"] == "BUSY" for e in ari.events)


async def test_never_answer_times_out_with_cause_19_and_no_final_dial_status(
    simulator: Simulator,
) -> None:
    simulator.phones.add("2005", "never_answer")
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        await originate_agent(ari, "2005", "ag-5", timeout=3)  # 3 s x time_scale 0.05
        destroyed = await ari.wait_for("ChannelDestroyed", lambda e: e["channel"]["id"] == "ag-5")
        assert destroyed["cause"] == 19
        statuses = [e["dialstatus"] for e in ari.events if e["type"] == "Dial"]
        assert statuses == ["", "RINGING"]
        assert simulator.phone("2005").state == "idle"


async def test_create_then_dial_a_phone_with_timeout(simulator: Simulator) -> None:
    simulator.phones.add("2006", "never_answer")
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        status, _ = await ari.request(
            "POST",
            "/ari/channels/create",
            endpoint="PJSIP/2006",
            app=APP,
            appArgs="agent,2006",
            channelId="cr-6",
        )
        assert status == 200
        await ari.wait_for("StasisStart")
        status, _ = await ari.request("POST", "/ari/channels/cr-6/dial", timeout="3")
        assert status == 204
        await ari.wait_for("ChannelDestroyed")
        assert ari.types("cr-6") == [
            "ChannelDialplan",
            "ChannelVarset",
            "StasisStart",
            "Dial",
            "ChannelStateChange",
            "Dial",
            "ChannelHangupRequest",
            "StasisEnd",
            "ChannelVarset",
            "ChannelDestroyed",
        ]


async def test_inbound_call_bridged_with_phone_then_caller_talk_time_ends_it(
    simulator: Simulator,
) -> None:
    simulator.phones.add("2007", "auto_answer", answer_delay=0.1)
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        caller = simulator.place_inbound_call("1000", "0611223344", "Alice", talk_time=1.0)
        start = await ari.wait_for("StasisStart")
        assert start["args"] == ["inbound", "1000"]
        assert start["channel"]["id"] == caller
        assert start["channel"]["name"].endswith(";2")
        assert start["channel"]["caller"] == {"name": "Alice", "number": "0611223344"}
        await ari.request("POST", f"/ari/channels/{caller}/answer")
        await ari.request("POST", "/ari/bridges", bridgeId="mix", type="mixing")
        await originate_agent(ari, "2007", "ag-7")
        await ari.wait_for("StasisStart", lambda e: e["channel"]["id"] == "ag-7")
        status, _ = await ari.request(
            "POST", "/ari/bridges/mix/addChannel", channel=f"{caller},ag-7"
        )
        assert status == 204
        assert simulator.call(caller).state == "talking"
        end = await ari.wait_for("StasisEnd", lambda e: e["channel"]["id"] == caller)
        assert end  # the customer hung up after talk_time (1 s x 0.05)
        assert simulator.call(caller).end_reason == "hangup"


async def test_caller_abandons_when_patience_runs_out(simulator: Simulator) -> None:
    async with AriTestClient(simulator.url, simulator.auth_header, APP) as ari:
        caller = simulator.place_inbound_call("1000", "0600000001", patience=2.0)
        await ari.wait_for("StasisStart")
        await ari.request("POST", f"/ari/channels/{caller}/answer")
        hr = await ari.wait_for("ChannelHangupRequest")
        assert hr["cause"] == 16 and "soft" not in hr  # the customer's own hang-up
        await ari.wait_for("StasisEnd")
        assert simulator.call(caller).end_reason == "abandon"
        assert caller not in simulator.engine.channels
