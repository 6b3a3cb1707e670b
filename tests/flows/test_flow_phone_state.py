"""Phone state respected (issue 12), on the asterisk-config samples as shipped with the
sample's two phones registering (SIPp): Asterisk's device state of an agent's phone keeps an
unregistered phone and a phone busy with a call outside the app out of distribution, and a
phone that answered 486 is not rung again for the same caller within the group's retry
rule. Assertions read the SIP messages, the records and ARI's channels and bridges."""

from __future__ import annotations

import asyncio
import re
import subprocess
import urllib.error

import pytest

from crm.models import Call, CallOutcome, Offer, OfferResult, User
from tests.pbx import Pbx, config, scenarios
from tests.pbx.sipp import SIPP, RegisteredPhone, phone_dials

from .conftest import Acd, make_agent
from .test_flow_inbound import assert_nothing_left
from .test_flow_phone_transfer import _phone, telephony
from .test_sample_config import E164_DID, SAMPLE_GROUP, _group, shipped

__all__ = ["shipped", "telephony"]  # fixtures: the samples as shipped, and their telephony

pytestmark = pytest.mark.real_asterisk

FIRST, SECOND = "2001", "2002"  # the sample's two phones




def _unregister(pbx: Pbx, phone: RegisteredPhone) -> None:
    """The phone unregisters (REGISTER, Expires: 0, from the address it registered from)."""
    phone.stop()
    scenario = phone.folder / "unregister.xml"
    scenario.write_text(scenarios.register(phone.ext, phone.password, expires_s=0))
    done = subprocess.run(
        [SIPP, "-sf", str(scenario), "-i", phone.ip, "-p", str(phone.port), "-m", "1",
         "-nostdin", "-timeout", "10", "-timeout_error", "-t", "u1",
         f"127.0.0.1:{pbx.asterisk.ports.sip}"],
        stdin=subprocess.DEVNULL, capture_output=True, cwd=phone.folder, timeout=20,
        check=False)
    assert done.returncode == 0, done.stdout[-1500:]


def _invites(messages: str) -> list[str]:
    """The From numbers of the calls a phone received (initial INVITEs, not re-INVITEs)."""
    return re.findall(r"^INVITE sip:[0-9]+@.*?^From:[^<\r\n]*<sip:([^@>]*)@", messages, re.M | re.S)


def _phone_of(acd: Acd, agent: User) -> str:
    view = acd.service.agent(agent.id)
    return view.phone.value if view is not None else ""


async def _logged_in(acd: Acd, *agents: tuple[User, str]) -> None:
    for agent, ext in agents:
        await acd.service.login(agent.id, ext)
    for agent, _ in agents:
        # A fresh PBX may say "unknown" until the phone is qualified: both are reachable.
        await acd.until(lambda a=agent: _phone_of(acd, a) in ("idle", "unknown"),
                        what=f"{agent.login}'s phone reachable")


async def test_unregistered_phone_is_skipped_then_offered_when_back(
        acd: Acd, shipped: Pbx) -> None:
    first = await make_agent("unreg-first")
    second = await make_agent("unreg-second")
    group = await _group("unreg", SAMPLE_GROUP, [first, second], strategy="linear")
    await acd.runtime.reload_groups()
    a = _phone(shipped, FIRST, "unreg-a")
    b = _phone(shipped, SECOND, "unreg-b")
    try:
        await _logged_in(acd, (first, FIRST), (second, SECOND))
        await asyncio.to_thread(_unregister, shipped, a)
        await acd.until(lambda: _phone_of(acd, first) == "unreachable", timeout=10,
                        what="the unregistered phone unreachable")
        assert acd.agent_state(first.id) == "available"  # the agent is; the phone is not
        tags = [e for e in acd.events_of("agent.phone_changed") if e["agent_id"] == first.id]
        assert tags and tags[-1]["phone"] == "unreachable" and not tags[-1]["offered"]
        run = shipped.carrier.start(E164_DID, [("0612345101", "While Away")], hold_s=3)
        await acd.until(lambda: acd.agent_state(second.id) == "on_call", timeout=10,
                        what="the caller with the second agent")
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345101") == ["answered", "near_bye"], result.lines
        await acd.until(lambda: acd.agent_state(second.id) == "available", what="second free")
        # registered again: offered again (linear: the first is first)
        await asyncio.to_thread(a.start)
        await acd.until(lambda: _phone_of(acd, first) in ("idle", "unknown"), timeout=10,
                        what="the phone back")
        run = shipped.carrier.start(E164_DID, [("0612345102", "Back Again")], hold_s=3)
        await acd.until(lambda: acd.agent_state(first.id) == "on_call", timeout=10,
                        what="the caller with the first agent")
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345102") == ["answered", "near_bye"], result.lines
        assert _invites(a.messages()) == ["0612345102"]  # never rung while away
        assert _invites(b.messages()) == ["0612345101"]
    finally:
        a.stop()
        b.stop()
    await assert_nothing_left(acd)
    assert [o.result for o in await Offer.filter(agent_id=first.id)] == [OfferResult.ANSWERED]
    assert [o.result for o in await Offer.filter(agent_id=second.id)] == [
        OfferResult.ANSWERED]
    calls = await Call.filter(group_id=group.id).order_by("started_at")
    assert [(c.agent_id, c.outcome) for c in calls] == [
        (second.id, CallOutcome.ANSWERED), (first.id, CallOutcome.ANSWERED)]


async def test_phone_busy_outside_the_app_is_skipped_then_offered_when_free(
        acd: Acd, shipped: Pbx) -> None:
    """2002 (no agent on it) calls 2001 directly ([direct] in the sample's dialplan): the
    agent on 2001 stays available but is not offered the waiting caller until that call
    ends; then it is, at once."""
    agent = await make_agent("busy-direct")
    group = await _group("direct", SAMPLE_GROUP, [agent])
    await acd.runtime.reload_groups()
    a = _phone(shipped, FIRST, "direct-a")
    try:
        await _logged_in(acd, (agent, FIRST))
        folder = shipped.root / "direct-b"
        direct = asyncio.create_task(asyncio.to_thread(
            phone_dials, shipped.asterisk, SECOND, config.SAMPLE_PHONES[SECOND],
            config.PHONES_IP, FIRST, folder, 5000))
        await acd.until(lambda: _phone_of(acd, agent) == "in_use", timeout=10,
                        what="the phone busy with the direct call")
        run = shipped.carrier.start(E164_DID, [("0612345201", "Patient Caller")], hold_s=12)
        await acd.until(lambda: acd.engine.queue(group.id), timeout=10, what="caller queued")
        assert acd.agent_state(agent.id) == "available"
        code, log = await direct
        assert code == 0 and "answered" in log, log
        # offered once the phone is free again
        await acd.until(lambda: acd.agent_state(agent.id) == "on_call", timeout=10,
                        what="the caller offered once the phone is free")
        offered = acd.events_of("call.offered")
        assert len(offered) == 1
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345201") == ["answered", "near_bye"], result.lines
        # the direct call first, then the app's offer: never rung during the direct call
        assert _invites(a.messages()) == [SECOND, "0612345201"]
    finally:
        a.stop()
    await assert_nothing_left(acd)
    assert [o.result for o in await Offer.filter(agent_id=agent.id)] == [OfferResult.ANSWERED]
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.agent_id == agent.id


async def test_busy_answer_not_rerung_for_the_same_caller_within_retry(
        acd: Acd, shipped: Pbx) -> None:
    """2001 answers 486: the caller goes to 2002 and 2001 is not rung again for it while the
    group's retry (30 s) lasts, however long the call waits or lasts."""
    first = await make_agent("486-first")
    second = await make_agent("486-second")
    group = await _group("busy486", SAMPLE_GROUP, [first, second], strategy="linear",
                         retry_s=30)
    await acd.runtime.reload_groups()
    a = _phone(shipped, FIRST, "busy-a", scenarios.uas("busy"))
    b = _phone(shipped, SECOND, "busy-b")
    try:
        await _logged_in(acd, (first, FIRST), (second, SECOND))
        run = shipped.carrier.start(E164_DID, [("0612345301", "Busy Tone")], hold_s=6)
        await acd.until(lambda: acd.agent_state(second.id) == "on_call", timeout=10,
                        what="the caller with the second agent")
        result = await asyncio.to_thread(run.wait, 30)
        assert result.of("0612345301") == ["answered", "near_bye"], result.lines
        assert _invites(a.messages()) == ["0612345301"]  # rung once
        assert re.search(r"^SIP/2\.0 486", a.messages(), re.M)
        assert _invites(b.messages()) == ["0612345301"]
    finally:
        a.stop()
        b.stop()
    await assert_nothing_left(acd)
    assert [o.result for o in await Offer.filter(agent_id=first.id)] == [OfferResult.BUSY]
    assert [o.result for o in await Offer.filter(agent_id=second.id)] == [
        OfferResult.ANSWERED]
    call = await Call.get(group_id=group.id)
    assert call.outcome is CallOutcome.ANSWERED and call.agent_id == second.id
    assert acd.agent_state(first.id) == "available"  # a busy answer: still offered others


def _device_subscriptions(pbx: Pbx, app: str) -> list[str]:
    try:
        reply = pbx.asterisk.ari("GET", f"/applications/{app}")
    except (OSError, urllib.error.URLError):  # not registered (yet): Asterisk restarting
        return []
    return list(reply.get("device_names") or ()) if isinstance(reply, dict) else []


async def test_phones_watched_again_after_asterisk_restarts(acd: Acd, shipped: Pbx) -> None:
    """R-subscribe, R-reconnect: a restarted Asterisk has forgotten the app's subscriptions;
    the app subscribes again when its socket is back, and still sees the phone go."""
    agent = await make_agent("restart-watch")
    await _group("rewatch", SAMPLE_GROUP, [agent])
    await acd.runtime.reload_groups()
    a = _phone(shipped, FIRST, "rewatch-a")
    try:
        await _logged_in(acd, (agent, FIRST))
        app = shipped.app
        await acd.until(lambda: _device_subscriptions(shipped, app) == [f"PJSIP/{FIRST}"],
                        what="its phone subscribed, and only it (R-subscribe)")
        await asyncio.to_thread(shipped.asterisk.restart)
        await acd.until(lambda: _device_subscriptions(shipped, app) == [f"PJSIP/{FIRST}"],
                        timeout=30, what="the phone subscribed again")
        # the phone's registration survived in Asterisk's database; once qualified it is
        # reachable again, and its unregistering is seen through the new subscription
        await acd.until(lambda: _phone_of(acd, agent) in ("idle", "unknown"), timeout=30,
                        what="the phone reachable after the restart")
        await asyncio.to_thread(_unregister, shipped, a)
        await acd.until(lambda: _phone_of(acd, agent) == "unreachable", timeout=10,
                        what="the unregistered phone unreachable")
    finally:
        a.stop()
    await assert_nothing_left(acd)
