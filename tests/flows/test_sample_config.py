"""The asterisk-config/ samples as shipped, on their own Asterisk: only ports and addresses
substituted (tests/pbx/config.py, ``shipped``), the sample's phones registering with the
sample's passwords, a SIPp carrier on the address the trunk is identified by.

A change to the samples that breaks a carrier call, lets a stranger in, or drops callers
while the app is away fails here."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator

import pytest

from crm.models import Call, CallOutcome, Group, GroupMember, Offer
from stasis_app.executor import LEG_ENDS, LEG_HANGUP_HANDLER
from stasis_app.service import TransferTarget
from tests.pbx import Pbx, PbxBuildFailed, PbxUnavailable, config
from tests.pbx.rtp import RtpCounter, channel_ports, measure
from tests.pbx.sipp import RegisteredPhone, phone_dials, stranger_call

from .conftest import Acd, make_agent
from .telephony import Telephony
from .test_flow_inbound import assert_nothing_left

pytestmark = pytest.mark.real_asterisk

# The sample's example DID, in both forms, mapped to the group numbered 700 as shipped.
E164_DID = "+33170000700"
NATIONAL_DID = "0170000700"
SAMPLE_GROUP = "700"
# How long the sample's dialplan retries Stasis() before the fallback queue
# (extensions.conf PROWEBCRM_WAIT_S, left as shipped).
SAMPLE_WAIT_S = 15


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    try:
        pbx = Pbx(tmp_path_factory.mktemp("shipped"), shipped=True)
    except PbxUnavailable as exc:
        pytest.skip(str(exc))
    except PbxBuildFailed as exc:
        pytest.fail(f"real Asterisk unavailable although its sources are here: {exc}")
    try:
        pbx.start(farms=False)
        pbx.farms["pstn"].trace = True  # the tests read what the outside world received
        pbx.farms["pstn"].start()  # the carrier's side of outgoing calls
    except Exception:
        pbx.stop()
        raise
    try:
        yield pbx
    finally:
        pbx.stop()


@pytest.fixture(scope="module")
def phone(shipped: Pbx) -> Iterator[RegisteredPhone]:
    """The sample's agent 2001: a phone that takes alaw and ulaw and answers with the first
    of them Asterisk offers (so the offer decides whether the call is transcoded)."""
    ext = "2001"
    one = RegisteredPhone(shipped.asterisk, ext, config.SAMPLE_PHONES[ext], config.PHONES_IP,
                          shipped.root / "sipp", codecs="offer")
    one.start()
    try:
        yield one
    finally:
        one.stop()


class ShippedTelephony(Telephony):
    """What the flows' ``acd`` fixture needs of the shipped-samples Asterisk."""

    name = "real"
    can_drive_phones = False
    agent_dial = "PJSIP/{extension}"  # the app's defaults, as the samples expect
    outbound_dial = "PJSIP/{number}@trunk"

    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        user, password = pbx.asterisk.ari_auth
        self.ari = (pbx.asterisk.ari_url, user, password, pbx.app)

    async def start(self) -> None:
        self.pbx.reset()

    async def stop(self) -> None:
        self.pbx.reset()

    async def leftovers(self, prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
        # Every channel here is the scenario's: callers have Asterisk's own ids.
        channels = [c["id"] for c in self.pbx.asterisk.channels()]
        return channels, [b["id"] for b in self.pbx.asterisk.bridges()]


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


def _variable(pbx: Pbx, channel_id: str, name: str) -> str:
    reply = pbx.asterisk.ari("GET", f"/channels/{channel_id}/variable", variable=name)
    return str(reply["value"])  # type: ignore[index]


def _trunk_channel(pbx: Pbx, number: str) -> str:
    return next(c["id"] for c in pbx.asterisk.channels()
                if c["name"].startswith("PJSIP/trunk-") and c["caller"]["number"] == number)


async def _group(name: str, number: str, agents: list, **settings: object) -> Group:
    group = await Group.create(name=name, number=number, ring_timeout_s=5, wrapup_s=0,
                               autopause_after=0, **settings)
    for position, agent in enumerate(agents):
        await GroupMember.create(user=agent, group=group, penalty=0, position=position)
    return group


def test_samples_load_as_shipped(shipped: Pbx, phone: RegisteredPhone) -> None:
    """The phone registered with the sample's credentials; trunk identified by IP only."""
    contacts = shipped.asterisk.cli("pjsip show contacts")
    assert re.search(rf"2001/sip:2001@{re.escape(config.PHONES_IP)}:{phone.port}", contacts), (
        contacts)
    identify = shipped.asterisk.cli("pjsip show endpoint trunk")
    assert re.search(r"identify_by\s*:\s*ip\s*$", identify, re.M), identify
    assert re.search(r"direct_media\s*:\s*false", identify), identify
    for endpoint in ("trunk", "2001"):
        shown = shipped.asterisk.cli(f"pjsip show endpoint {endpoint}")
        assert re.search(r"^\s*allow\s*:\s*\(alaw\|ulaw\)", shown, re.M), (endpoint, shown)


def test_stranger_with_the_trunks_name_is_refused(shipped: Pbx) -> None:
    """An INVITE saying From: trunk@ from an address the trunk's identify does not match
    never reaches the dialplan."""
    shipped.reset()
    code, log = stranger_call(shipped.asterisk, E164_DID, config.STRANGER_IP, "trunk",
                              shipped.root / "stranger")
    assert code == 0, log
    assert re.search(r"refused (401|403|407)", log), log
    # Accepted, it would be ringing in [inbound]'s retry loop now (no app is connected).
    assert shipped.asterisk.channels() == []


def test_app_away_caller_kept_by_the_fallback(shipped: Pbx, phone: RegisteredPhone) -> None:
    """No app connected: the caller hears ringback while the dialplan retries, then the
    fallback queue puts it through to the sample's phone; nobody is dropped."""
    shipped.reset()
    run = shipped.carrier.start(E164_DID, [("+33698765432", "Away Caller")], hold_s=6)
    result = run.wait(SAMPLE_WAIT_S + 40)
    assert result.returncode == 0, (result.lines, shipped.asterisk.tail_log())
    # Answered by the fallback, and the carrier itself hung up after 6 s of talk.
    assert result.of("+33698765432") == ["answered", "near_bye"]
    codes = re.findall(r"^SIP/2\.0 (\d+)", result.messages, re.M)
    assert "180" in codes and "200" in codes and not [c for c in codes if c >= "400"], codes
    assert re.search(r"INVITE sip:2001@", phone.messages()), "the queue never rang 2001"


def test_app_away_phone_still_dials_out(shipped: Pbx, phone: RegisteredPhone) -> None:
    """No app connected: a phone's call goes through [from-agents] to [direct] (Asterisk's
    own transfers there) and out of the trunk to the number."""
    shipped.reset()
    number = "0612340050"
    code, log = phone_dials(shipped.asterisk, "2001", config.SAMPLE_PHONES["2001"],
                            config.PHONES_IP, number, shipped.root / "dial-away")
    assert code == 0 and "dialled answered" in log, (log, shipped.asterisk.tail_log())
    invite = _invite_to(shipped.farms["pstn"].messages(), number)
    assert re.search(r"^From: .*<sip:2001@", invite, re.M), invite


async def test_e164_did_reaches_agent_with_audio_and_callers_codec(
        acd: Acd, shipped: Pbx, phone: RegisteredPhone, rtp: RtpCounter) -> None:
    agent = await make_agent("shipped")
    group = await _group("shipped", SAMPLE_GROUP, [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")  # the sample's own extension
    run = shipped.carrier.start(E164_DID, [("+33612340000", "Jeanne Martin")], hold_s=4)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", timeout=10,
                    what="agent on call")
    view = acd.service.agent(agent.id)
    assert view is not None and view.leg_id
    trunk = _trunk_channel(shipped, "+33612340000")
    # The carrier speaks alaw; the phone takes both and follows the offer: the agent leg was
    # originated with the caller as originator, so it offers alaw first and both legs run
    # alaw (no transcoding).
    assert _variable(shipped, trunk, "CHANNEL(audionativeformat)") == "(alaw)"
    assert _variable(shipped, view.leg_id, "CHANNEL(audionativeformat)") == "(alaw)"
    ports = {cid: channel_ports(shipped.asterisk.ari, cid) for cid in (trunk, view.leg_id)}
    flows = await measure(rtp, ports, 1.0)
    for channel_id, flow in flows.items():
        assert flow.live_both_ways(), (channel_id, flow)
    result = await asyncio.to_thread(run.wait, 30)
    assert result.of("+33612340000") == ["answered", "near_bye"]
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.caller_name == "Jeanne Martin"
    offer = re.search(r"INVITE sip:2001@.*?m=audio \d+ RTP/AVP ([\d ]+)", phone.messages(),
                      re.S)
    assert offer is not None and offer.group(1).split()[0] == "8", phone.messages()[-2000:]
    answer = re.search(r"^SIP/2\.0 200 OK.*?m=audio \d+ RTP/AVP ([\d ]+)",
                       phone.messages()[offer.start():], re.S | re.M)
    assert answer is not None and answer.group(1).split() == ["8", "101"], answer


@pytest.mark.parametrize(("did", "group_number"), [
    (NATIONAL_DID, SAMPLE_GROUP),  # the example line for the national form
    ("+33170000799", "33170000799"),  # no line: the DID's digits name the group
    ("0170000798", "0170000798"),
])
async def test_other_did_forms_reach_their_group(acd: Acd, shipped: Pbx, did: str,
                                                 group_number: str) -> None:
    agent = await make_agent("national")
    group = await _group("national", group_number, [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")
    run = shipped.carrier.start(did, [("0612340001", "Other Caller")], hold_s=2)
    result = await asyncio.to_thread(run.wait, 30)
    assert result.of("0612340001") == ["answered", "near_bye"]
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.agent_id == agent.id


def _invite_to(pstn_messages: str, number: str) -> str:
    """The INVITE the outside world received for ``number``."""
    found = re.search(rf"^INVITE sip:{re.escape(number)}@.*?\n\n", pstn_messages, re.M | re.S)
    assert found is not None, pstn_messages[-3000:]
    return found.group(0)


def _assert_presented(invite: str, name: str, number: str) -> None:
    from_line = re.search(r"^From: (.*)$", invite, re.M)
    pai = re.search(r"^P-Asserted-Identity: (.*)$", invite, re.M)
    assert from_line is not None and pai is not None, invite
    assert re.match(rf'"{name}" <sip:{re.escape(number)}@', from_line.group(1)), invite
    assert re.match(rf'"{name}" <sip:{re.escape(number)}@', pai.group(1)), invite


async def test_click_to_call_presents_the_groups_caller_id(acd: Acd, shipped: Pbx) -> None:
    agent = await make_agent("dialer")
    await _group("sales", SAMPLE_GROUP, [agent],
                 outbound_caller_id='"Sales" <+33170000700>')
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")
    await acd.service.click_to_call(agent.id, "0612340042")
    await acd.until(lambda: "INVITE sip:0612340042@" in shipped.farms["pstn"].messages(),
                    timeout=10, what="the number dialled")
    _assert_presented(_invite_to(shipped.farms["pstn"].messages(), "0612340042"),
                      "Sales", "+33170000700")
    shipped.reset()
    await assert_nothing_left(acd)


async def test_transfer_to_number_presents_the_groups_caller_id(acd: Acd, shipped: Pbx) -> None:
    agent = await make_agent("mover")
    await _group("moves", SAMPLE_GROUP, [agent], outbound_caller_id="+33170000700")
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")
    run = shipped.carrier.start(E164_DID, [("+33612340077", "Moved Caller")], hold_s=6)
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", timeout=10,
                    what="agent on call")
    call_id = acd.engine.calls()[0].call_id
    await acd.service.transfer(call_id, TransferTarget("number", "0612340043"),
                               by_agent_id=agent.id)
    await acd.until(lambda: "INVITE sip:0612340043@" in shipped.farms["pstn"].messages(),
                    what="the number dialled")
    # Not the customer's number: the trunk may only present the company's own.
    invite = _invite_to(shipped.farms["pstn"].messages(), "0612340043")
    assert re.search(r"^From: <sip:\+33170000700@", invite, re.M), invite
    assert re.search(r"^P-Asserted-Identity: <sip:\+33170000700@", invite, re.M), invite
    result = await asyncio.to_thread(run.wait, 30)
    assert result.of("+33612340077") == ["answered", "near_bye"]
    await assert_nothing_left(acd)


async def test_phone_dials_out_as_the_agents_call_and_takes_queue_calls_only_after(
        acd: Acd, shipped: Pbx, phone: RegisteredPhone, rtp: RtpCounter) -> None:
    """The agent's phone (2001, authenticating as the sample's phone does) dials an outside
    number: the app places it (audio both ways through the trunk), the agent is on call, so
    a caller arriving meanwhile waits instead of ringing that phone; once the agent hangs up
    it is available again and takes the waiting caller. The journal has the agent's
    outbound call."""
    agent = await make_agent("outdialer")
    group = await _group("outdial", SAMPLE_GROUP, [agent],
                         outbound_caller_id='"Sales" <+33170000700>')
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")
    number = "0612340061"
    dialling = asyncio.create_task(asyncio.to_thread(
        phone_dials, shipped.asterisk, "2001", config.SAMPLE_PHONES["2001"], config.PHONES_IP,
        number, shipped.root / "dial-app", 8000, audio=True))
    await acd.until(lambda: acd.agent_state(agent.id) == "on_call", timeout=10,
                    what="agent on call for the phone's own call")
    view = acd.service.agent(agent.id)
    assert view is not None and view.call_id
    phone_channel = view.call_id  # the phone's own channel names the call
    await acd.until(lambda: any(c["name"].startswith("PJSIP/trunk-")
                                and c["state"] == "Up" for c in shipped.asterisk.channels()),
                    timeout=10, what="the number answered")
    _assert_presented(_invite_to(shipped.farms["pstn"].messages(), number),
                      "Sales", "+33170000700")
    trunk = next(c["id"] for c in shipped.asterisk.channels()
                 if c["name"].startswith("PJSIP/trunk-"))
    # The phone's stream starts after its ACK and the connected-line re-INVITE.
    await asyncio.sleep(1.5)
    ports = {cid: channel_ports(shipped.asterisk.ari, cid) for cid in (phone_channel, trunk)}
    # A customer calls meanwhile: nobody to take it, it waits.
    # It stays 12 s from its answer (the app answers it to hold it): longer than the
    # agent's own call, so it ends talking with the agent.
    run = shipped.carrier.start(E164_DID, [("+33612340062", "Waiting Caller")], hold_s=12)
    flows = await measure(rtp, ports, 1.0)
    for channel_id, flow in flows.items():
        assert flow.live_both_ways(), (channel_id, flow)
    await acd.until(lambda: acd.engine.queue(group.id), timeout=10, what="the caller queued")
    await asyncio.sleep(1.0)
    assert acd.agent_state(agent.id) == "on_call"
    assert not [c for c in acd.engine.calls() if c.agent_id == agent.id
                and c.call_id != phone_channel], "the busy agent was offered the caller"
    code, log = await dialling  # the phone hangs up after its 8 s
    assert code == 0 and "dialled answered" in log, (log, shipped.asterisk.tail_log())
    # Available again: the waiting caller is put through to the phone at once.
    result = await asyncio.to_thread(run.wait, 30)
    assert result.of("+33612340062") == ["answered", "near_bye"]
    await assert_nothing_left(acd)
    outbound = await Call.get(direction="outbound", agent_id=agent.id)
    assert outbound.outcome is CallOutcome.ANSWERED and outbound.caller_number == number
    assert outbound.group_id is None
    inbound = await Call.get(group_id=group.id)
    assert inbound.outcome is CallOutcome.ANSWERED and inbound.agent_id == agent.id
    assert inbound.answered_at is not None and outbound.ended_at is not None
    assert inbound.answered_at >= outbound.ended_at
    # Rung once, only after its own call ended (never while busy on it).
    offers = await Offer.filter(call_id=inbound.id)
    assert [o.agent_id for o in offers] == [agent.id]
    assert offers[0].offered_at >= outbound.ended_at


async def test_phone_of_no_logged_in_agent_dials_through_the_dialplan(
        acd: Acd, shipped: Pbx, phone: RegisteredPhone) -> None:
    """App connected, nobody logged in on 2001: the app hands the call back ([direct]):
    Asterisk places it, no record, nothing of it left in the app."""
    number = "0612340063"
    assert acd.runtime.controller is not None
    handled = acd.runtime.controller.inputs_handled
    code, log = await asyncio.to_thread(
        phone_dials, shipped.asterisk, "2001", config.SAMPLE_PHONES["2001"], config.PHONES_IP,
        number, shipped.root / "dial-nobody")
    assert code == 0 and "dialled answered" in log, (log, shipped.asterisk.tail_log())
    assert re.search(r"^From: .*<sip:2001@", _invite_to(shipped.farms["pstn"].messages(),
                                                         number), re.M)
    # It went through the app (the dialplan's way when the app is away is tested above).
    assert acd.runtime.controller.inputs_handled > handled
    assert not acd.engine.calls() and not acd.runtime.registry.legs
    assert await Call.all().count() == 0


async def test_phone_dialling_a_busy_number_hears_busy_and_agent_is_back(
        acd: Acd, shipped: Pbx, phone: RegisteredPhone) -> None:
    agent = await make_agent("busydialer")
    await _group("busydial", SAMPLE_GROUP, [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, "2001")
    await acd.service.pause(agent.id, "callbacks")
    folder = shipped.root / "dial-busy"
    code, _ = await asyncio.to_thread(
        phone_dials, shipped.asterisk, "2001", config.SAMPLE_PHONES["2001"], config.PHONES_IP,
        "0612340486", folder)  # the 'pstn' farm answers ...0486 with 486 Busy Here
    assert code != 0  # the scenario expects an answer: the phone got a final refusal
    codes = re.findall(r"^SIP/2\.0 (\d{3})", (folder / "messages.log").read_text(), re.M)
    assert codes and codes[-1] >= "400" and "200" not in codes, codes
    await acd.until(lambda: acd.agent_state(agent.id) == "paused", what="agent paused again")
    await assert_nothing_left(acd)
    call = await Call.get(direction="outbound", agent_id=agent.id)
    assert call.outcome is CallOutcome.FAILED and call.answered_at is None


async def test_phone_dialling_a_group_number_is_queued_in_that_group(
        acd: Acd, shipped: Pbx, phone: RegisteredPhone) -> None:
    """2001 (nobody logged in on it) dials the group's number: handed back to the dialplan,
    it enters [inbound] and waits in the group as any caller (answered, on hold)."""
    group = await _group("dialled", SAMPLE_GROUP, [])
    await acd.runtime.reload_groups()
    code, log = await asyncio.to_thread(
        phone_dials, shipped.asterisk, "2001", config.SAMPLE_PHONES["2001"], config.PHONES_IP,
        SAMPLE_GROUP, shipped.root / "dial-group", 2000)
    assert code == 0 and "dialled answered" in log, (log, shipped.asterisk.tail_log())
    await assert_nothing_left(acd)
    call = await Call.get(group_id=group.id)
    assert call.caller_number == "2001" and call.direction.value == "inbound"
    assert call.outcome is CallOutcome.ABANDONED


def test_a_burst_of_hang_ups_notes_every_end(shipped: Pbx) -> None:
    """The sample's hang-up handler keeps each channel's end in one global the app reads after
    a restart. Rewriting it from many channels at once read freed memory in Asterisk (logged
    "invalid UTF-8 sequences", ends lost) until the handlers took turns (LOCK): 60 handlers
    started together must leave 60 well-formed ends."""
    from concurrent.futures import ThreadPoolExecutor

    ids = [f"burst-end-{n};2" for n in range(60)]  # the ;2 halves run the handler

    def run_handler(channel_id: str) -> None:
        # The ;2 half runs the handler's lines as its dialplan and hangs up at Return().
        shipped.asterisk.ari("POST", "/channels", endpoint="Local/s@prowebcrm-hangup",
                             context="prowebcrm-hangup", extension="s", priority="1",
                             channelId=channel_id.removesuffix(";2"), timeout="5")

    with ThreadPoolExecutor(max_workers=30) as pool:
        list(pool.map(run_handler, ids))
    stamps: dict[str, str] = {}
    for _ in range(50):
        value = str(shipped.asterisk.ari("GET", "/asterisk/variable",  # type: ignore[index]
                                         variable="PROWEBCRM_ENDS")["value"])
        stamps = dict(entry.partition("=")[::2] for entry in value.split())
        if all(i in stamps for i in ids):
            break
        time.sleep(0.1)
    assert sorted(i for i in ids if i not in stamps) == []
    now = time.time()
    assert all(now - 60 < float(stamps[i]) <= now + 1 for i in ids)
    log = shipped.asterisk.root / "log" / "messages.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    assert "invalid UTF-8" not in text


def _ends(pbx: Pbx, name: str) -> dict[str, str]:
    try:
        value = str(pbx.asterisk.ari("GET", "/asterisk/variable",  # type: ignore[index]
                                     variable=name)["value"])
    except urllib.error.HTTPError:
        return {}
    return dict(entry.partition("=")[::2] for entry in value.split())


def test_the_app_legs_ends_go_to_their_own_list(shipped: Pbx) -> None:
    """The app pushes the handler on the agents' legs it places, naming their own list
    (stasis_app.executor.LEG_HANGUP_HANDLER), so that they never push callers' ends out of
    the one Asterisk caps. Here a Local channel gets the handler pushed exactly so; both of its
    halves also run the handler's lines as plain dialplan (no argument: the callers' list)."""
    leg = f"leg-end-{secrets.token_hex(3)}"
    body = json.dumps({"variables": LEG_HANGUP_HANDLER}).encode()
    query = urllib.parse.urlencode({
        "endpoint": "Local/s@prowebcrm-hangup", "context": "prowebcrm-hangup",
        "extension": "s", "priority": "1", "channelId": leg, "otherChannelId": f"{leg}-far",
        "timeout": "5"})
    token = base64.b64encode(":".join(shipped.asterisk.ari_auth).encode()).decode()
    request = urllib.request.Request(
        f"{shipped.asterisk.ari_url}/ari/channels?{query}", data=body, method="POST",
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    for _ in range(50):
        legs, callers = _ends(shipped, LEG_ENDS), _ends(shipped, "PROWEBCRM_ENDS")
        if leg in legs and f"{leg}-far" in callers:
            break
        time.sleep(0.1)
    assert leg in legs and abs(float(legs[leg]) - time.time()) < 60
    assert f"{leg}-far" in callers and f"{leg}-far" not in legs  # no argument: callers' list
