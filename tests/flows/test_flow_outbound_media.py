"""What an agent hears while the console rings a number (issue 12): Asterisk's ringback while
the number rings, the far end's early media (183 and an announcement) as it comes, then the
conversation. On the samples as shipped, SIPp as the agent's phone and as the outside world;
the audio is read on the wire (sound or silence in the G.711 payloads)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from crm.models import Call, CallOutcome
from tests.pbx import Pbx
from tests.pbx.rtp import RtpCounter, channel_ports, measure
from tests.pbx.sipp import RegisteredPhone

from .conftest import Acd, make_agent
from .telephony import Telephony
from .test_flow_inbound import assert_nothing_left
from .test_sample_config import SAMPLE_GROUP, ShippedTelephony, _group, phone, shipped

__all__ = ["phone", "shipped"]  # this module's own Asterisk and the sample's phone 2001

pytestmark = pytest.mark.real_asterisk


@pytest.fixture
async def telephony(shipped: Pbx, phone: RegisteredPhone) -> AsyncIterator[Telephony]:
    tel = ShippedTelephony(shipped)
    await tel.start()
    try:
        yield tel
    finally:
        await tel.stop()


@pytest.fixture
def rtp() -> Iterator[RtpCounter]:
    counter = RtpCounter()
    yield counter
    counter.close()


async def _dial_from_console(acd: Acd, number: str) -> tuple[int, str]:
    agent = await make_agent(f"ring-{number}")
    await _group(f"ring-{number}", SAMPLE_GROUP, [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")
    await acd.service.click_to_call(agent.id, number)
    await acd.until(lambda: (v := acd.service.agent(agent.id)) is not None and v.leg_id
                    and acd.agent_state(agent.id) == "on_call", what="agent's phone answered")
    view = acd.service.agent(agent.id)
    assert view is not None and view.leg_id
    return agent.id, view.leg_id


async def test_agent_hears_ringback_while_the_number_rings(
        acd: Acd, shipped: Pbx, rtp: RtpCounter) -> None:
    number = "0612340408"  # the outside world rings and never answers
    agent_id, leg = await _dial_from_console(acd, number)
    await acd.until(lambda: f"INVITE sip:{number}@" in shipped.farms["pstn"].messages(),
                    timeout=10, what="the number dialled")
    ports = channel_ports(shipped.asterisk.ari, leg)
    heard = (await measure(rtp, {leg: ports}, 2.5))[leg]
    # The French ring: 1.5 s of tone in every 5 s, 50 packets a second.
    assert heard.loud_sent >= 25, heard
    await acd.service.hangup(agent_id)
    await assert_nothing_left(acd)
    call = await Call.get(agent_id=agent_id)
    assert call.outcome is CallOutcome.FAILED  # nobody answered: no conversation


async def test_agent_hears_the_far_ends_early_media_then_talks(
        acd: Acd, shipped: Pbx, rtp: RtpCounter) -> None:
    number = "0612340183"  # 183 with an announcement for 2.5 s, then answers
    agent_id, leg = await _dial_from_console(acd, number)
    await acd.until(lambda: "183 Session Progress" in shipped.farms["pstn"].messages(),
                    timeout=10, what="the far end's early media")
    ports = channel_ports(shipped.asterisk.ari, leg)
    early = (await measure(rtp, {leg: ports}, 1.0))[leg]
    assert early.loud_sent >= 30, early  # the announcement, before any answer
    call = acd.service.agent(agent_id)
    assert call is not None and call.call_id
    view = acd.service.call(call.call_id)
    assert view is not None and view.answered_at is None  # still not answered
    await acd.until(lambda: (v := acd.service.call(call.call_id)) is not None
                    and v.answered_at is not None, timeout=6, what="the far end answering")
    await acd.service.hangup(agent_id)
    await assert_nothing_left(acd)
    row = await Call.get(agent_id=agent_id)
    assert row.outcome is CallOutcome.ANSWERED
