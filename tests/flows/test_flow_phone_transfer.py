"""The transfer key of a real SIP phone (issue 12): the phone sends REFER on its call, Asterisk
(PJSIP_TRANSFER_HANDLING ari-only, set by the app on its channels and by the sample's
[from-agents]) hands it to the app as ChannelTransfer, and the app transfers the customer
itself and tells the phone how it went (NOTIFY). On the asterisk-config samples as shipped,
with SIPp as carrier and phones; audio counted on the wire, records read back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from crm.models import Call, CallOutcome, User
from tests.pbx import Pbx, config, scenarios
from tests.pbx.rtp import RtpCounter, channel_ports, measure
from tests.pbx.sipp import RegisteredPhone, phone_dials

from .conftest import Acd, make_agent
from .telephony import Telephony
from .test_flow_inbound import assert_nothing_left
from .test_sample_config import (
    E164_DID,
    SAMPLE_GROUP,
    ShippedTelephony,
    _group,
    _trunk_channel,
    shipped,
)

__all__ = ["shipped"]  # the module's own Asterisk on the samples as shipped (a fixture)

pytestmark = pytest.mark.real_asterisk

TRANSFEROR, COLLEAGUE = "2001", "2002"  # the sample's two phones


@pytest.fixture
async def telephony(shipped: Pbx) -> AsyncIterator[Telephony]:
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


def _phone(pbx: Pbx, ext: str, name: str, scenario: str = "") -> RegisteredPhone:
    phone = RegisteredPhone(pbx.asterisk, ext, config.SAMPLE_PHONES[ext], config.PHONES_IP,
                            pbx.root / name, scenario=scenario)
    phone.start()
    return phone


def _refer_to(pbx: Pbx, user: str, replaces: str = "") -> str:
    uri = f"sip:{user}@127.0.0.1:{pbx.asterisk.ports.sip}"
    return f"{uri}?Replaces={replaces}" if replaces else uri


def _phone_followed(messages: str) -> bool:
    """The phone's scenario went through: no message it did not expect, none after its end
    (Asterisk's BYE answered, not retransmitted to a phone that gave up)."""
    return "Unexpected" not in messages and "Dead call" not in messages


def _notified(messages: str) -> list[str]:
    """The REFER's outcomes the phone was told: each NOTIFY's sipfrag status code."""
    return re.findall(r"^NOTIFY .*?\r?\n\r?\nSIP/2\.0 (\d{3})", messages, re.M | re.S)


async def _agents(acd: Acd, tag: str) -> tuple[User, User]:
    first = await make_agent(f"{tag}-first")
    second = await make_agent(f"{tag}-second")
    await _group(f"{tag}-sales", SAMPLE_GROUP, [first])  # the caller reaches the first only
    await acd.runtime.reload_groups()
    await acd.service.login(first.id, TRANSFEROR)
    await acd.service.login(second.id, COLLEAGUE)
    return first, second


async def _audio_both_ways(pbx: Pbx, rtp: RtpCounter, channel_ids: list[str]) -> None:
    ports = {cid: channel_ports(pbx.asterisk.ari, cid) for cid in channel_ids}
    for channel_id, flow in (await measure(rtp, ports, 1.0)).items():
        assert flow.live_both_ways(), (channel_id, flow)


async def test_blind_transfer_key_to_a_colleague(acd: Acd, shipped: Pbx,
                                                 rtp: RtpCounter) -> None:
    """The phone REFERs the customer to 2002: 2002 rings and takes the customer (audio both
    ways), the transferring phone hears 'done' (NOTIFY 200) and is hung up, the records are
    the console's blind transfer's (a row per agent, the first 'transferred')."""
    first, second = await _agents(acd, "blind")
    a = _phone(shipped, TRANSFEROR, "blind-a",
               scenarios.uas("refer", refer_to=_refer_to(shipped, COLLEAGUE), refer_ms=2500))
    b = _phone(shipped, COLLEAGUE, "blind-b")
    try:
        run = shipped.carrier.start(E164_DID, [("0612345001", "Blind Caller")], hold_s=12)
        await acd.until(lambda: acd.agent_state(first.id) == "on_call", what="first agent")
        await acd.until(lambda: acd.agent_state(second.id) == "on_call", timeout=10,
                        what="the colleague taking the transferred customer")
        await acd.until(lambda: acd.agent_state(first.id) != "on_call", what="first freed")
        view = acd.service.agent(second.id)
        assert view is not None and view.leg_id
        await _audio_both_ways(shipped, rtp, [_trunk_channel(shipped, "0612345001"),
                                              view.leg_id])
        await acd.until(lambda: "BYE" in a.messages(), what="the transferor hung up")
        await asyncio.sleep(0.5)  # its answer to the BYE, or Asterisk's retransmission
        assert _phone_followed(a.messages()), a.messages()[-3000:]
        told = _notified(a.messages())
        assert told and told[-1] == "200", a.messages()[-3000:]
        assert re.search(r"^SIP/2\.0 202", a.messages(), re.M)
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345001") == ["answered", "near_bye"], result.lines
    finally:
        a.stop()
        b.stop()
    await assert_nothing_left(acd)
    call = await Call.get(agent_id=first.id)
    leg = await Call.get(transferred_from_id=call.id)
    assert call.outcome is CallOutcome.TRANSFERRED
    assert (leg.agent_id, leg.outcome) == (second.id, CallOutcome.ANSWERED)
    assert leg.talk_s is not None and leg.talk_s > 2


async def test_blind_transfer_key_to_an_outside_number(acd: Acd, shipped: Pbx) -> None:
    first, _ = await _agents(acd, "outside")
    number = "0612340077"
    a = _phone(shipped, TRANSFEROR, "outside-a",
               scenarios.uas("refer", refer_to=_refer_to(shipped, number), refer_ms=2000))
    try:
        run = shipped.carrier.start(E164_DID, [("0612345002", "Outside Caller")], hold_s=10)
        await acd.until(lambda: acd.agent_state(first.id) == "on_call", what="first agent")
        await acd.until(lambda: f"INVITE sip:{number}@" in shipped.farms["pstn"].messages(),
                        timeout=10, what="the number dialled through the trunk")
        # The customer and the number talk in one bridge.
        def joined() -> bool:
            names = {c["id"]: c["name"] for c in shipped.asterisk.channels()}
            return any(len(b["channels"]) == 2 and all(names.get(c, "").startswith(
                "PJSIP/trunk-") for c in b["channels"]) for b in shipped.asterisk.bridges())
        await acd.until(joined, timeout=10, what="customer bridged with the number")
        await acd.until(lambda: "BYE" in a.messages(), what="the transferor hung up")
        await asyncio.sleep(0.5)  # its answer to the BYE, or Asterisk's retransmission
        assert _phone_followed(a.messages()), a.messages()[-3000:]
        assert _notified(a.messages())[-1:] == ["200"], a.messages()[-3000:]
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345002")[0] == "answered", result.lines
    finally:
        a.stop()
    await assert_nothing_left(acd)
    call = await Call.get(agent_id=first.id)
    assert call.outcome is CallOutcome.TRANSFERRED


async def test_a_refused_transfer_keeps_the_customer(acd: Acd, shipped: Pbx) -> None:
    """A REFER the app cannot carry out (the colleague is paused) is answered NOTIFY 603 and
    the customer stays with the first agent, who can go on talking."""
    first, second = await _agents(acd, "refused")
    await acd.service.pause(second.id, "")
    a = _phone(shipped, TRANSFEROR, "refused-a",
               scenarios.uas("refer", refer_to=_refer_to(shipped, COLLEAGUE), refer_ms=1500))
    try:
        run = shipped.carrier.start(E164_DID, [("0612345003", "Kept Caller")], hold_s=7)
        await acd.until(lambda: acd.agent_state(first.id) == "on_call", what="first agent")
        await acd.until(lambda: _notified(a.messages()), timeout=8, what="the phone told")
        assert _notified(a.messages())[-1] == "603", a.messages()[-3000:]
        assert acd.agent_state(first.id) == "on_call" and acd.agent_state(second.id) == "paused"
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345003") == ["answered", "near_bye"], result.lines
    finally:
        a.stop()
    await assert_nothing_left(acd)
    rows = await Call.all()
    assert [(r.agent_id, r.outcome) for r in rows] == [(first.id, CallOutcome.ANSWERED)]
    assert rows[0].talk_s is not None and rows[0].talk_s > 5


async def test_attended_transfer_key_consults_then_refers_with_replaces(
        acd: Acd, shipped: Pbx, rtp: RtpCounter) -> None:
    """The phone holds its call and dials 2002 (the consultation: the customer waits on music,
    2002 talks with the transferring phone), then REFERs with Replaces naming that second
    call: the customer and 2002 are joined, both of the phone's calls are hung up."""
    first, second = await _agents(acd, "attended")
    consult_id = "consult-1@prowebcrm.test"  # SIPp's -cid_str "consult-%u@…" for call 1
    # The phone cannot know Asterisk's tags of its second call: Asterisk then finds no dialog
    # to replace and hands over the Call-ID alone, which the app takes as "the consultation
    # this phone is in".
    replaces = (consult_id.replace("@", "%40")
                + "%3Bto-tag%3Dunknown%3Bfrom-tag%3Dunknown")
    a = _phone(shipped, TRANSFEROR, "attended-a",
               scenarios.uas("refer", refer_to=_refer_to(shipped, COLLEAGUE, replaces),
                             refer_ms=6000, hold_first=True))
    b = _phone(shipped, COLLEAGUE, "attended-b")
    try:
        run = shipped.carrier.start(E164_DID, [("0612345004", "Attended Caller")], hold_s=16)
        await acd.until(lambda: acd.agent_state(first.id) == "on_call", what="first agent")
        first_view = acd.service.agent(first.id)
        assert first_view is not None and first_view.call_id
        call_id = first_view.call_id
        consulting = asyncio.create_task(asyncio.to_thread(
            phone_dials, shipped.asterisk, TRANSFEROR, config.SAMPLE_PHONES[TRANSFEROR],
            config.PHONES_IP, COLLEAGUE, shipped.root / "attended-consult", 20000,
            call_id="consult-%u@prowebcrm.test"))
        await acd.until(lambda: acd.agent_state(second.id) == "on_call", timeout=8,
                        what="the colleague answering the consultation")
        view = acd.service.call(call_id)
        assert view is not None and view.state.value == "consulting"
        # The phone's second call and the colleague are bridged apart from the customer.
        second_view = acd.service.agent(second.id)
        assert second_view is not None and second_view.leg_id
        # (the agent is on the call once it answered; the bridge move follows at once)
        leg_id = second_view.leg_id
        consult_bridge = await acd.until(
            lambda: next((b for b in shipped.asterisk.bridges() if leg_id in b["channels"]
                          and len(b["channels"]) == 2), None),
            what="the colleague bridged with the phone's second call")
        assert _trunk_channel(shipped, "0612345004") not in consult_bridge["channels"]
        assert len(consult_bridge["channels"]) == 2
        # The REFER with Replaces: the customer joins the colleague.
        await acd.until(lambda: acd.service.call(call_id) is not None
                        and acd.service.call(call_id).state.value == "connected"
                        and acd.service.call(call_id).agent_id == second.id,
                        timeout=10, what="customer with the colleague")
        await acd.until(lambda: acd.agent_state(first.id) != "on_call", what="first freed")
        await _audio_both_ways(shipped, rtp, [_trunk_channel(shipped, "0612345004"),
                                              second_view.leg_id])
        code, log = await consulting
        assert code == 0 and "dialled answered" in log and "dialled far_bye" in log, log
        await acd.until(lambda: "BYE" in a.messages(), what="the first call hung up")
        await asyncio.sleep(0.5)  # its answer to the BYE, or Asterisk's retransmission
        assert _phone_followed(a.messages()), a.messages()[-3000:]
        assert _notified(a.messages())[-1:] == ["200"], a.messages()[-3000:]
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345004") == ["answered", "near_bye"], result.lines
    finally:
        a.stop()
        b.stop()
    await assert_nothing_left(acd)
    call = await Call.get(ref=call_id)
    leg = await Call.get(transferred_from_id=call.id)
    assert (call.agent_id, call.outcome) == (first.id, CallOutcome.TRANSFERRED)
    assert (leg.agent_id, leg.outcome) == (second.id, CallOutcome.ANSWERED)
    assert leg.talk_s is not None and leg.talk_s > 3


async def test_a_phone_dialling_a_colleague_is_the_agents_internal_call(acd: Acd,
                                                                        shipped: Pbx) -> None:
    """2001 dials 2002 from the phone: the app rings 2002 itself (not the dialplan), the
    first agent is busy for the distribution meanwhile and back after, and the journal has
    the call as the agent's outbound call to that extension."""
    first, second = await _agents(acd, "internal")
    b = _phone(shipped, COLLEAGUE, "internal-b")
    try:
        dialling = asyncio.create_task(asyncio.to_thread(
            phone_dials, shipped.asterisk, TRANSFEROR, config.SAMPLE_PHONES[TRANSFEROR],
            config.PHONES_IP, COLLEAGUE, shipped.root / "internal-a", 4000))
        await acd.until(lambda: acd.agent_state(first.id) == "on_call", timeout=8,
                        what="the dialling agent busy")
        assert acd.agent_state(second.id) == "available"
        code, log = await dialling
        assert code == 0 and "dialled answered" in log, log
        assert re.search(r"^INVITE sip:2002@", b.messages(), re.M), b.messages()[-2000:]
        await acd.until(lambda: acd.agent_state(first.id) == "available", what="back")
    finally:
        b.stop()
    await assert_nothing_left(acd)
    row = await Call.get(agent_id=first.id)
    assert (row.direction.value, row.caller_number, row.outcome) == (
        "outbound", COLLEAGUE, CallOutcome.ANSWERED)
    assert row.talk_s is not None and 3 < row.talk_s < 6
