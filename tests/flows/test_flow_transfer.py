"""C4 transfers, C5 supervisor actions, C6 click-to-call, C8 overflow."""

from __future__ import annotations

import pytest

from crm.models import Call, CallOutcome, Direction, Offer, OfferResult
from stasis_app.service import AcdRefused, TransferTarget

from .conftest import Acd, make_agent, make_group
from .test_flow_inbound import assert_nothing_left


async def _connected(acd: Acd, agent_ext: str, *others: str) -> tuple:
    """A call answered by a first agent; `others` are more logged-in, available agents."""
    first = await make_agent("first")
    extra = [await make_agent(name) for name in others]
    group = await make_group("xfer", [first], strategy="linear")
    await acd.runtime.reload_groups()
    await acd.service.login(first.id, acd.tel.extension(agent_ext))
    for n, agent in enumerate(extra):
        await acd.service.login(agent.id, acd.tel.extension(f"30{n}{agent_ext[-1]}"))
    caller = await acd.tel.place_inbound(group.number, "0699999999", "Client")
    await acd.until(lambda: acd.agent_state(first.id) == "on_call", what="first agent on call")
    call_id = acd.service.agent(first.id).call_id
    return first, extra, group, caller, call_id


async def test_blind_transfer_to_an_agent_carries_the_record(acd: Acd) -> None:
    first, (second,), _, caller, call_id = await _connected(acd, "2101", "second")
    await acd.service.attach_client(call_id, None, note_ref="draft-42")
    await acd.service.transfer(call_id, TransferTarget("agent", second.id), by_agent_id=first.id)
    await acd.until(lambda: acd.agent_state(second.id) == "on_call", what="second on call")
    await acd.until(lambda: acd.agent_state(first.id) == "available")
    pops = [p for p in acd.events_of("screen.pop") if p["agent_id"] == second.id]
    assert pops and pops[0]["note_ref"] == "draft-42"
    assert pops[0]["transferred_from_agent_id"] == first.id
    transferred = acd.events_of("call.transferred")
    assert transferred and transferred[0]["from_agent_id"] == first.id
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    # One row per agent: the first ends "transferred", the second points back to it.
    call = await Call.get(ref=call_id)
    assert call.agent_id == first.id and call.outcome is CallOutcome.TRANSFERRED
    leg = await Call.get(transferred_from_id=call.id)
    assert leg.agent_id == second.id and leg.outcome is CallOutcome.ANSWERED
    offers = await Offer.filter(call_id__in=(call.id, leg.id)).order_by("offered_at")
    assert [(o.call_id, o.agent_id) for o in offers] == [(call.id, first.id), (leg.id, second.id)]


async def test_blind_transfer_to_a_group_requeues_the_caller(acd: Acd) -> None:
    first, (other,), _, caller, call_id = await _connected(acd, "2111", "backoffice")
    back = await make_group("back", [other])
    await acd.runtime.reload_groups()
    await acd.service.refresh_groups(other.id)
    await acd.service.transfer(call_id, TransferTarget("group", back.id), by_agent_id=first.id)
    await acd.until(lambda: acd.agent_state(other.id) == "on_call", what="back-office agent")
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    # The caller's time in the second queue counts for that group, the answer for its agent.
    call = await Call.get(ref=call_id)
    leg = await Call.get(transferred_from_id=call.id)
    assert (call.agent_id, call.outcome) == (first.id, CallOutcome.TRANSFERRED)
    assert (leg.group_id, leg.agent_id, leg.outcome) == (back.id, other.id, CallOutcome.ANSWERED)
    assert leg.entered_queue_at is not None and leg.wait_s is not None


async def test_blind_transfer_to_an_outside_number(acd: Acd) -> None:
    first, _, _, caller, call_id = await _connected(acd, "2121")
    outside = TransferTarget("number", "0144556677")
    await acd.service.transfer(call_id, outside, by_agent_id=first.id)
    await acd.until(lambda: acd.events_of("external.connected"), what="outside party answers")
    await acd.until(lambda: acd.agent_state(first.id) == "available")
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    call = await Call.get(ref=call_id)
    assert call.outcome is CallOutcome.TRANSFERRED


async def test_attended_transfer_consult_then_complete(acd: Acd) -> None:
    first, (second,), _, caller, call_id = await _connected(acd, "2131", "expert")
    await acd.service.consult(call_id, TransferTarget("agent", second.id), first.id)
    await acd.until(lambda: acd.agent_state(second.id) == "on_call", what="consulted agent")
    assert acd.service.call(call_id).state.value == "consulting"
    await acd.service.complete_transfer(call_id, first.id)
    await acd.until(lambda: acd.agent_state(first.id) == "available")
    await acd.until(lambda: acd.service.call(call_id).agent_id == second.id)
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    call = await Call.get(ref=call_id)
    leg = await Call.get(transferred_from_id=call.id)
    assert (call.agent_id, call.outcome) == (first.id, CallOutcome.TRANSFERRED)
    assert (leg.agent_id, leg.outcome) == (second.id, CallOutcome.ANSWERED)
    assert leg.wrapup_s is None or leg.wrapup_s >= 0


async def test_cancelled_consult_leaves_one_row_for_the_first_agent(acd: Acd) -> None:
    first, (second,), _, caller, call_id = await _connected(acd, "2191", "expert")
    await acd.service.consult(call_id, TransferTarget("agent", second.id), first.id)
    await acd.until(lambda: acd.agent_state(second.id) == "on_call")
    await acd.service.cancel_transfer(call_id, first.id)
    await acd.until(lambda: acd.agent_state(second.id) == "available")
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    rows = await Call.all()
    assert [(r.ref, r.agent_id, r.outcome) for r in rows] == [
        (call_id, first.id, CallOutcome.ANSWERED)]


async def test_attended_transfer_cancel_returns_to_the_caller(acd: Acd) -> None:
    first, (second,), _, caller, call_id = await _connected(acd, "2141", "expert")
    await acd.service.consult(call_id, TransferTarget("agent", second.id), first.id)
    await acd.until(lambda: acd.agent_state(second.id) == "on_call")
    await acd.service.cancel_transfer(call_id, first.id)
    await acd.until(lambda: acd.agent_state(second.id) == "available")
    await acd.settle()
    assert acd.service.call(call_id).state.value == "connected"
    assert acd.service.call(call_id).agent_id == first.id
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)


async def test_supervisor_force_reject_requeues_to_another_agent(acd: Acd) -> None:
    _, (second,), _, caller, call_id = await _connected(acd, "2151", "second")
    await make_group("extra", [second])
    # second is not in the call's group yet: add it so the re-queued call can reach it.
    from crm.models import GroupMember

    group_id = acd.service.call(call_id).group_id
    await GroupMember.create(user_id=second.id, group_id=group_id, position=5)
    await acd.runtime.reload_groups()
    await acd.service.refresh_groups(second.id)
    await acd.service.force_reject(call_id, supervisor_id=999)
    await acd.until(lambda: acd.agent_state(second.id) == "on_call", what="re-queued call")
    rejected = acd.events_of("call.rejected")
    assert rejected and rejected[0]["forced"] is True
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)


async def test_supervisor_hangs_up_a_call(acd: Acd) -> None:
    first, _, _, _, call_id = await _connected(acd, "2161")
    await acd.service.force_hangup(call_id, supervisor_id=999)
    await acd.until(lambda: acd.events_of("call.ended"), what="call ended")
    await assert_nothing_left(acd)
    assert acd.agent_state(first.id) == "available"


async def test_transfer_refusals_are_clear(acd: Acd) -> None:
    first, _, _, caller, call_id = await _connected(acd, "2171")
    with pytest.raises(AcdRefused) as refused:
        await acd.service.transfer(call_id, TransferTarget("agent", 424242), by_agent_id=first.id)
    assert refused.value.message
    with pytest.raises(AcdRefused):
        await acd.service.transfer("no-such-call", TransferTarget("number", "0102030405"),
                                   by_agent_id=first.id)
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)


async def test_click_to_call_rings_the_agent_then_the_client(acd: Acd) -> None:
    agent = await make_agent("caller")
    await make_group("c2c", [agent])
    await acd.runtime.reload_groups()
    await acd.service.login(agent.id, acd.tel.extension("2181"))
    await acd.service.click_to_call(agent.id, "0155667788")
    await acd.until(lambda: acd.events_of("external.connected"), what="client answers")
    call_id = acd.events_of("external.connected")[0]["call_id"]
    assert acd.agent_state(agent.id) == "on_call"
    await acd.service.hangup(agent.id)
    await acd.until(lambda: acd.events_of("call.ended"))
    await assert_nothing_left(acd)
    call = await Call.get(ref=call_id)
    assert call.direction is Direction.OUTBOUND and call.agent_id == agent.id
    assert call.answered_at is not None and call.outcome is CallOutcome.ANSWERED


async def test_max_wait_overflows_to_another_group(acd: Acd) -> None:
    helper = await make_agent("helper")
    target = await make_group("overflow-target", [helper])
    source = await make_group(
        "overflow-source", [], max_wait_s=1, overflow_kind="group", overflow_target=str(target.id)
    )
    await acd.runtime.reload_groups()
    await acd.service.login(helper.id, acd.tel.extension("2191"))
    caller = await acd.tel.place_inbound(source.number, "0600000001")
    await acd.until(lambda: acd.agent_state(helper.id) == "on_call", timeout=6)
    overflowed = acd.events_of("call.overflowed")
    assert overflowed and overflowed[0]["trigger"] == "max_wait"
    await acd.tel.caller_hangup(caller)
    await assert_nothing_left(acd)
    offers = await Offer.filter(agent_id=helper.id)
    assert [o.result for o in offers] == [OfferResult.ANSWERED]
