"""B9: when a call's segments start and stop, from the real engine's outputs (pure)."""

from __future__ import annotations

import pytest

from stasis_app.acd import (
    AgentHangup,
    AttendedCancel,
    AttendedComplete,
    AttendedConsult,
    CallerHungUp,
    OfferAnswered,
    OriginateAgent,
    Strategy,
    Target,
    TransferBlind,
)
from stasis_app.acd.inputs import AgentHold, AgentResume
from stasis_app.acd.outputs import HoldCaller, Output
from stasis_app.recording import RecordingPolicy, StartRecording, StopRecording

from .conftest import Harness, one


class Rec:
    def __init__(self, h: Harness, mode: str) -> None:
        self.h = h
        self.policy = RecordingPolicy(token="t")
        self.policy.modes = {1: mode, 2: "all"}
        self.commands: list[StartRecording | StopRecording] = []

    def send(self, cls: object, **fields: object) -> list[Output]:
        out = self.h.send(cls, **fields)  # type: ignore[arg-type]
        self.commands += self.policy.observe(out)
        return out

    def take(self) -> list[tuple[str, str]]:
        got = [("start" if isinstance(c, StartRecording) else "stop", c.name)
               for c in self.commands]
        self.commands = []
        return got


def talking(h: Harness, mode: str) -> Rec:
    r = Rec(h, mode)
    h.group(1, strategy=Strategy.LINEAR, wrapup_s=5)
    h.group(2, strategy=Strategy.LINEAR, wrapup_s=5)
    h.login(1)
    h.login(2, groups={2: 0})
    offer = one(_enter(r, "c1"), OriginateAgent)
    r.send(OfferAnswered, offer_id=offer.offer_id)
    return r


def _enter(r: Rec, call_id: str) -> list[Output]:
    out = r.h.enter(call_id)
    r.commands += r.policy.observe(out)
    return out


def test_mode_all_records_from_the_answer_to_the_end(h: Harness) -> None:
    r = talking(h, "all")
    [(kind, name)] = r.take()
    assert kind == "start" and name.startswith("pwrec-c1-t-")
    start = r.policy.calls["c1"]
    assert start.agent_id == 1 and start.group_id == 1
    r.send(CallerHungUp, call_id="c1")
    assert r.take() == [("stop", name)]
    assert r.policy.calls == {}


def test_mode_off_records_nothing_and_refuses_the_button(h: Harness) -> None:
    r = talking(h, "off")
    assert r.take() == []
    result, commands = r.policy.toggle(1)
    assert not result.ok and result.code == "recording_off" and commands == []


def test_hold_splits_the_call_in_two_segments(h: Harness) -> None:
    r = talking(h, "all")
    [(_, first)] = r.take()
    r.send(AgentHold, agent_id=1)
    assert r.take() == [("stop", first)]
    r.send(AgentResume, agent_id=1)
    [(kind, second)] = r.take()
    assert kind == "start" and second != first
    r.send(AgentHangup, agent_id=1)
    assert r.take() == [("stop", second)]


def test_a_consultation_stops_the_segment_and_cancelling_starts_another(h: Harness) -> None:
    r = talking(h, "all")
    [(_, first)] = r.take()
    r.send(AttendedConsult, call_id="c1", target=Target.number("0611"), by_agent_id=1)
    assert r.take() == [("stop", first)]
    r.send(AttendedCancel, call_id="c1", by_agent_id=1)
    [(kind, _second)] = r.take()
    assert kind == "start"


def test_on_demand_toggles_and_survives_hold(h: Harness) -> None:
    r = talking(h, "on_demand")
    assert r.take() == []
    assert not r.policy.recording_now(1)
    result, commands = r.policy.toggle(1)
    assert result.ok and result.recording
    [start] = commands
    assert isinstance(start, StartRecording) and start.bridge_id and start.agent_id == 1
    assert r.policy.recording_now(1)
    r.send(AgentHold, agent_id=1)
    assert r.take() == [("stop", start.name)]
    r.send(AgentResume, agent_id=1)
    [(kind, _)] = r.take()  # the agent asked for it: resuming records again
    assert kind == "start"
    result, commands = r.policy.toggle(1)
    assert result.ok and not result.recording
    assert isinstance(commands[0], StopRecording)
    result, commands = r.policy.toggle(1, on=False)
    assert result.ok and commands == []
    assert one_refusal(r, 2) == "no_call"


def one_refusal(r: Rec, agent_id: int) -> str:
    result, _ = r.policy.toggle(agent_id)
    assert not result.ok
    return result.code


def test_mode_all_refuses_the_button_but_says_it_records(h: Harness) -> None:
    r = talking(h, "all")
    r.take()
    result, commands = r.policy.toggle(1)
    assert (result.ok, result.code, result.recording, commands) == (
        False, "recording_all", True, [])


def test_a_transfer_to_another_group_records_there_for_the_new_agent(h: Harness) -> None:
    r = talking(h, "off")
    assert r.take() == []
    out = r.send(TransferBlind, call_id="c1", target=Target.group(2), by_agent_id=1)
    offer = one(out, OriginateAgent)
    assert offer.agent_id == 2
    r.send(OfferAnswered, offer_id=offer.offer_id)
    [(kind, _)] = r.take()
    assert kind == "start"
    assert r.policy.calls["c1"].agent_id == 2


def test_a_failed_segment_is_not_started_again_in_a_loop(h: Harness) -> None:
    r = talking(h, "all")
    [(_, first)] = r.take()
    r.policy.segment_ended(first, failed=True)
    assert r.policy.observe([]) == []
    assert not r.policy.recording_now(1)
    r.send(AgentHold, agent_id=1)
    r.send(AgentResume, agent_id=1)
    [(kind, _)] = r.take()  # a new connection tries again
    assert kind == "start"


@pytest.mark.parametrize("mode", ["all", "on_demand"])
def test_adopted_segment_is_stopped_by_the_next_hold(h: Harness, mode: str) -> None:
    policy = RecordingPolicy(token="u")
    policy.modes = {1: mode}
    policy.adopt("c9", "pwrec-c9-old-1", "b9", 1, 4)
    assert policy.recording_now(4) and policy.knows("pwrec-c9-old-1")
    if mode == "on_demand":
        _, commands = policy.toggle(4, on=False)
        assert [c.name for c in commands] == ["pwrec-c9-old-1"]
    else:
        [stop] = policy.observe([HoldCaller(call_id="c9", moh_class="", group_id=None)])
        assert stop.name == "pwrec-c9-old-1"


def _consult_agent_3(r: Rec) -> str:
    h = r.h
    h.login(3)  # an agent of group 1 to consult (agent 2 answers group 2 only)
    out = r.send(AttendedConsult, call_id="c1", target=Target.agent(3), by_agent_id=1)
    consult = one(out, OriginateAgent)
    r.send(OfferAnswered, offer_id=consult.offer_id)
    return consult.offer_id


def test_attended_cancel_records_the_first_agent_again(h: Harness) -> None:
    r = talking(h, "all")
    [(_, first)] = r.take()
    _consult_agent_3(r)
    assert r.take() == [("stop", first)]
    r.send(AttendedCancel, call_id="c1", by_agent_id=1)
    [start] = r.commands
    assert isinstance(start, StartRecording) and start.agent_id == 1
    assert r.policy.toggle(1)[0].code == "recording_all"  # still agent 1's call


def test_attended_complete_records_the_consulted_agent(h: Harness) -> None:
    r = talking(h, "all")
    r.take()
    _consult_agent_3(r)
    r.take()
    r.send(AttendedComplete, call_id="c1", by_agent_id=1)
    [start] = r.commands
    assert isinstance(start, StartRecording) and start.agent_id == 3
