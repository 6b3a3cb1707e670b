"""Real SIP on the suite's own Asterisk (tests/pbx): a SIPp carrier on the sample trunk, SIPp
agent phones, audio counted on the wire. The assertions read the SIP messages, the RTP
packets each way, the records, and ARI's channels and bridges at the end."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from crm.models import Call, CallOutcome, Offer, OfferResult
from tests.pbx.rtp import RtpCounter, channel_ports, measure

from .conftest import Acd, make_agent, make_group
from .telephony import PbxTelephony
from .test_flow_inbound import assert_nothing_left

# Only the real variant: the simulator speaks no SIP.
pytestmark = [pytest.mark.parametrize("telephony", ["real"], indirect=True),
              pytest.mark.real_asterisk]


@pytest.fixture
async def sip(acd: Acd) -> AsyncIterator[PbxTelephony]:
    if not isinstance(acd.tel, PbxTelephony):
        pytest.skip("SIP scenarios run on the suite's own Asterisk, not one given by "
                    "PROWEBCRM_TEST_ARI_*")
    yield acd.tel


@pytest.fixture
def rtp() -> Iterator[RtpCounter]:
    counter = RtpCounter()
    yield counter
    counter.close()


def _trunk_channel(tel: PbxTelephony, number: str) -> str:
    return next(c["id"] for c in tel.pbx.asterisk.channels()
                if c["name"].startswith("PJSIP/trunk-") and c["caller"]["number"] == number)


async def _both_ways(tel: PbxTelephony, rtp: RtpCounter, channel_ids: list[str]) -> None:
    ports = {cid: channel_ports(tel.pbx.asterisk.ari, cid) for cid in channel_ids}
    flows = await measure(rtp, ports, 1.0)
    for channel_id, flow in flows.items():
        assert flow.live_both_ways(), (channel_id, flow)


async def test_inbound_answered_with_audio_both_ways(acd: Acd, sip: PbxTelephony,
                                                      rtp: RtpCounter) -> None:
    agent = await make_agent("sipper")
    group = await make_group("sip", [agent])
    await acd.runtime.reload_groups()
    ext = sip.extension("sip-1")
    await acd.service.login(agent.id, ext)
    run = sip.pbx.carrier.start(group.number, [("+33612345678", "Jean Dupont")], hold_s=4)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    view = acd.service.agent(agent.id)
    assert view is not None and view.leg_id
    await _both_ways(sip, rtp, [_trunk_channel(sip, "+33612345678"), view.leg_id])
    result = await asyncio.to_thread(run.wait, 30)  # the caller hangs up after 4 s
    assert result.returncode == 0, result.lines
    assert result.of("+33612345678") == ["answered", "near_bye"]
    sent_to_carrier = re.findall(r"^SIP/2\.0 (\d+)", result.messages, re.M)
    assert "200" in sent_to_carrier and not [c for c in sent_to_carrier if c >= "400"]
    await acd.until(lambda: acd.agent_state(agent.id) == "available", what="agent free")
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.caller_name == "Jean Dupont"
    assert 3.0 < call.talk_s < 5.5


@pytest.mark.parametrize(("behaviour", "expected"), [("busy", OfferResult.BUSY),
                                                     ("never_answer", OfferResult.NO_ANSWER),
                                                     ("reject", OfferResult.REJECTED)])
async def test_phone_that_does_not_take_it_passes_to_the_next(
        acd: Acd, sip: PbxTelephony, behaviour: str, expected: OfferResult) -> None:
    first = await make_agent("first")
    second = await make_agent("second")
    group = await make_group("pass", [first, second], strategy="linear", ring_timeout_s=2)
    await acd.runtime.reload_groups()
    await acd.service.login(first.id, sip.extension(f"{behaviour}-1", behaviour))
    await acd.service.login(second.id, sip.extension(f"{behaviour}-2"))
    caller = await sip.place_inbound(group.number, "0622222222")
    await acd.until(lambda: acd.agent_state(second.id) == "on_call", timeout=10,
                    what="the second agent")
    await sip.caller_hangup(caller)
    await assert_nothing_left(acd)
    offers = await Offer.filter(agent_id=first.id)
    assert [o.result for o in offers] == [expected]


async def test_agent_hangs_up_first(acd: Acd, sip: PbxTelephony) -> None:
    agent = await make_agent("quick")
    group = await make_group("quick", [agent], wrapup_s=1)
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, sip.extension("hangup-1", "hangup"))  # BYE after 2 s
    run = sip.pbx.carrier.start(group.number, [("0633333333", "Caller")], hold_s=30)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", what="agent on call")
    await acd.until(lambda: acd.agent_state(agent.id) == "wrapup", timeout=6, what="wrap-up")
    result = await asyncio.to_thread(run.wait, 30)
    assert result.of("0633333333") == ["answered", "far_bye"]  # the app hung the caller up
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and 1.5 < call.talk_s < 3.5


async def test_twenty_calls_at_once_with_audio(acd: Acd, sip: PbxTelephony,
                                               rtp: RtpCounter) -> None:
    agents = [await make_agent(f"crowd{n}") for n in range(20)]
    group = await make_group("crowd", agents, ring_timeout_s=10)
    await acd.runtime.reload_groups()
    for n, agent in enumerate(agents):
        await acd.service.login(agent.id, sip.extension(f"crowd-{n}"))
    callers = [(f"06440000{n:02d}", f"Crowd {n}") for n in range(20)]
    run = sip.pbx.carrier.start(group.number, callers, hold_s=6)
    await acd.until(lambda: all(acd.agent_state(a.id) == "on_call" for a in agents),
                    timeout=15, what="20 conversations")
    legs = [v.leg_id for a in agents if (v := acd.service.agent(a.id)) and v.leg_id]
    await _both_ways(sip, rtp, [_trunk_channel(sip, n) for n, _ in callers] + legs)
    result = await asyncio.to_thread(run.wait, 40)
    assert result.returncode == 0
    assert sorted(line.split()[1] for line in result.lines) == ["answered"] * 20 + (
        ["near_bye"] * 20)
    await assert_nothing_left(acd)
    calls = await Call.filter(group_id=group.id)
    assert len(calls) == 20 and {c.outcome for c in calls} == {CallOutcome.ANSWERED}
    assert {c.agent_id for c in calls} == {a.id for a in agents}


async def test_busy_phone_not_rerung_for_the_same_caller_within_the_groups_retry(
        acd: Acd, sip: PbxTelephony) -> None:
    """A phone answering 486 is offered the same caller again only after the group's retry
    delay (a group setting), however fast it refuses."""
    busy = await make_agent("busyphone")
    group = await make_group("retry", [busy], ring_timeout_s=3, retry_s=6)
    await acd.runtime.reload_groups()
    await acd.service.login(busy.id, sip.extension("retry-busy", "busy"))
    caller = await sip.place_inbound(group.number, "0622222288")
    await acd.until(lambda: acd.engine.calls(), what="the caller queued")
    await asyncio.sleep(9)  # room for two offers 6 s apart, not for a third
    await sip.caller_hangup(caller)
    await assert_nothing_left(acd)
    offers = await Offer.filter(agent_id=busy.id).order_by("offered_at")
    assert [o.result for o in offers] == [OfferResult.BUSY, OfferResult.BUSY]
    gap = (offers[1].offered_at - offers[0].offered_at).total_seconds()
    assert 5.9 <= gap <= 7.0, gap
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ABANDONED
