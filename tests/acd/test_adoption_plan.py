"""The adoption plan read from Asterisk's picture: a call an agent dialled from their own
phone (Stasis dial args; its channel names the call) is taken back, not hung up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crm.routing import OpenAgentState, OpenCall
from stasis_app import adoption
from stasis_app.acd import inputs as i
from stasis_app.ari.models import Bridge, Channel

APP = "prowebcrm"
NOW = 1_800_000_000.0
AT = datetime.fromtimestamp(NOW - 60, UTC)


def _channel(cid: str, name: str, app_data: str) -> Channel:
    return Channel.from_dict({
        "id": cid, "name": name, "state": "Up", "creationtime": "2027-01-15T08:00:00.000+0000",
        "dialplan": {"context": "x", "exten": "s", "priority": 1, "app_name": "Stasis",
                     "app_data": app_data}})


def _records(**calls: Any) -> adoption.Records:
    return adoption.Records(
        calls=calls,
        agents={7: OpenAgentState(7, "on_call", "phone_dial", "2001", AT, "phone-1")},
        memberships={7: {1: 0}}, wrapup_s={1: 0.0}, groups={1})


def test_a_call_dialled_from_a_phone_is_taken_back_with_its_agent() -> None:
    channels = [
        _channel("phone-1", "PJSIP/2001-00000001", f"{APP},dial,0612345678"),
        _channel("pwab-out-3", "PJSIP/trunk-00000002", f"{APP},leg,pwab-out-3,,phone-1"),
    ]
    bridges = [Bridge.from_dict({"id": "pwab-bridge-2", "name": "call-phone-1",
                                 "channels": ["phone-1", "pwab-out-3"]})]
    row = OpenCall("phone-1", "phone-1", "outbound", None, "0612345678", "", None, 7, AT,
                   None, AT)
    plan = adoption.plan(APP, channels, bridges, _records(**{"phone-1": row}), NOW)
    assert plan.hangups == [] and plan.destroy == []
    adopted = [x for x in plan.inputs if isinstance(x, i.AdoptCall)]
    assert len(adopted) == 1
    call = adopted[0]
    assert (call.call_id, call.direction, call.agent_id, call.leg_id, call.external_leg_id,
            call.bridge_id) == ("phone-1", "outbound", 7, "phone-1", "pwab-out-3",
                                "pwab-bridge-2")
    assert plan.legs == {"phone-1": ("phone-1", "agent"), "pwab-out-3": ("phone-1", "outbound")}


def test_a_phone_whose_number_never_answered_is_let_go() -> None:
    # still ringing the number when the process went: nothing to take back
    channels = [_channel("phone-1", "PJSIP/2001-00000001", f"{APP},dial,0612345678")]
    plan = adoption.plan(APP, channels, [], _records(), NOW)
    assert plan.hangups == ["phone-1"]
    assert not [x for x in plan.inputs if isinstance(x, i.AdoptCall)]


def _waiting_caller(cid: str) -> tuple[list[Channel], list[Bridge]]:
    channels = [_channel(cid, "PJSIP/trunk-00000009", f"{APP},inbound,1")]
    bridges = [Bridge.from_dict({"id": f"{adoption.HOLDING_PREFIX}1", "name": "hold-1",
                                 "channels": [cid]})]
    return channels, bridges


def test_a_waiting_caller_the_records_never_caught_waits_from_its_arrival() -> None:
    # kill -9 before its record was written: its time is Asterisk's, not the restart's
    channels, bridges = _waiting_caller("c-1")
    plan = adoption.plan(APP, channels, bridges, _records(), NOW)
    call = next(x for x in plan.inputs if isinstance(x, i.AdoptCall))
    arrived = datetime(2027, 1, 15, 8, 0, tzinfo=UTC).timestamp()
    assert (call.journaled, call.started_at, call.entered_at) == (False, arrived, arrived)


def test_a_waiting_caller_whose_queue_entry_was_lost_gets_it_again() -> None:
    channels, bridges = _waiting_caller("c-1")
    row = OpenCall("c-1", "c-1", "inbound", 1, "0611", "", None, None, AT, None, None)
    plan = adoption.plan(APP, channels, bridges, _records(**{"c-1": row}), NOW)
    call = next(x for x in plan.inputs if isinstance(x, i.AdoptCall))
    assert call.journaled and not call.queue_journaled
    assert call.entered_at == AT.timestamp()


@pytest.mark.parametrize("named", ["1700", "Sales", "SALES"])
def test_a_caller_in_the_app_before_any_record_waits_in_the_group_its_dialplan_named(
        named: str) -> None:
    """Entered Stasis as the previous process went (or as this one took back): no record, no
    bridge. The dialplan names the group by number or name (Stasis(app,inbound,${EXTEN},..)),
    never by id; the caller waits in that group instead of being turned away."""
    channels = [_channel("c-9", "PJSIP/trunk-00000009", f"{APP},inbound,{named},{NOW - 3}")]
    records = _records()
    records.aliases = {"1700": 1, "sales": 1}
    plan = adoption.plan(APP, channels, [], records, NOW)
    call = next(x for x in plan.inputs if isinstance(x, i.AdoptCall))
    assert (call.call_id, call.group_id, call.in_holding_bridge) == ("c-9", 1, False)
    assert call.entered_at == NOW - 3  # its place: from its first try, not from the restart
    assert plan.hangups == []


def test_a_caller_naming_no_group_of_this_app_is_not_given_one() -> None:
    channels = [_channel("c-9", "PJSIP/trunk-00000009", f"{APP},inbound,9999,{NOW - 3}")]
    records = _records()
    records.aliases = {"1700": 1}
    plan = adoption.plan(APP, channels, [], records, NOW)
    call = next(x for x in plan.inputs if isinstance(x, i.AdoptCall))
    assert call.group_id is None  # the engine ends it with a record (group closed)


def test_another_apps_calls_and_queues_are_left_alone() -> None:
    """Two floors (two Stasis apps) on one Asterisk: this app's take-back neither hangs up the
    other's legs nor destroys its call bridges (empty while a phone rings) or its holding
    bridge, while its own leftovers are still ended."""
    other = "prowebcrm-other"
    mine, theirs = adoption.id_root(APP), adoption.id_root(other)
    assert mine != theirs and mine.startswith("pw") and theirs.startswith("pw")
    channels = [
        _channel("c-9", "PJSIP/trunk-00000009", f"{other},inbound,5"),
        _channel(f"{theirs}01-offer-1", "PJSIP/2009-0000000a",
                 f"{other},leg,{theirs}01-offer-1,9,c-9"),
        _channel(f"{theirs}01-offer-2", "PJSIP/2010-0000000b", ""),  # still ringing
        _channel(f"{mine}02-offer-7", "PJSIP/2001-0000000c", ""),  # ours, ringing, orphan
    ]
    bridges = [
        Bridge.from_dict({"id": f"{theirs}01-bridge-1", "name": "call-c-9",
                          "channels": ["c-9", f"{theirs}01-offer-1"]}),
        Bridge.from_dict({"id": f"{theirs}01-bridge-3", "name": "call-c-10", "channels": []}),
        Bridge.from_dict({"id": "pwq-5", "name": "queue", "channels": ["c-9"]}),
        Bridge.from_dict({"id": f"{mine}02-bridge-8", "name": "call-gone", "channels": []}),
    ]
    plan = adoption.plan(APP, channels, bridges, _records(), NOW)
    assert plan.hangups == [f"{mine}02-offer-7"]
    assert plan.destroy == [f"{mine}02-bridge-8"]
    assert not [x for x in plan.inputs if isinstance(x, i.AdoptCall)]


def _open_call(call_id: str, *, answered: bool, leg: str | None) -> OpenCall:
    return OpenCall(call_id, call_id, "inbound", 1, "0611", "", None, 7 if answered else None,
                    AT, AT, AT if answered else None, answered_by=leg)


def test_a_conversation_ends_when_the_first_of_its_two_sides_left() -> None:
    talked = _open_call("c-1", answered=True, leg="pwab-offer-1")
    ends = {"c-1": NOW - 5, "pwab-offer-1": NOW - 9}
    assert adoption.conversation_end(talked, ends) == NOW - 9  # the agent hung up first
    assert adoption.conversation_end(talked, {**ends, "c-1": NOW - 12}) == NOW - 12
    assert adoption.conversation_end(talked, {"c-1": NOW - 5}) == NOW - 5
    assert adoption.conversation_end(talked, {}) is None  # no hang-up handler: not known
    waited = _open_call("c-2", answered=False, leg=None)
    assert adoption.conversation_end(waited, {"c-2": NOW - 4}) == NOW - 4


def test_an_agent_whose_call_ended_unseen_is_restored_with_that_end() -> None:
    """kill -9, then the agent's phone hung up: the caller sits alone in the call's bridge.
    The caller is hung up, the record closed and the agent freed at the leg's end."""
    channels = [_channel("c-1", "PJSIP/trunk-00000001", f"{APP},inbound,1700,{NOW - 70}")]
    bridges = [Bridge.from_dict({"id": "pwab-bridge-1", "name": "call-c-1",
                                 "channels": ["c-1"]})]
    row = _open_call("c-1", answered=True, leg="pwab-offer-1")
    records = adoption.Records(
        calls={"c-1": row},
        agents={7: OpenAgentState(7, "on_call", "", "2001", AT, "c-1")},
        memberships={7: {1: 0}}, wrapup_s={1: 0.0}, groups={1})
    plan = adoption.plan(APP, channels, bridges, records, NOW,
                         {"pwab-offer-1": NOW - 8})
    assert plan.hangups == ["c-1"] and plan.vanished == [row]
    restored = next(x for x in plan.inputs if isinstance(x, i.RestoreAgent))
    assert (restored.agent_id, restored.call_ended_at) == (7, NOW - 8)

