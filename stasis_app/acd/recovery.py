"""After a restart or a stand-by's takeover: agents and live calls taken back, not recreated.

The adapter reads the records (agents' open states) and Asterisk (channels, bridges) and feeds
``RestoreAgent`` for each logged-in agent, ``AdoptCall`` for each live call, then
``AdoptionDone``. Nothing here emits a state change or a record that would say something
happened when nothing did: an agent on a call stays on it, a waiting caller keeps its place
(ordered by its queue entry time) and its remaining maximum wait; only what Asterisk
contradicts changes (an agent "on a call" with no call left becomes available).
"""

from __future__ import annotations

from .calls import CallHandlers
from .inputs import AdoptCall, AdoptionDone, RestoreAgent
from .model import (
    Agent,
    AgentState,
    Call,
    CallDirection,
    CallOutcome,
    CallState,
    Leg,
    LegPurpose,
    PhoneState,
    TimerKind,
)
from .outputs import CallAnswered, CallQueued, CallStarted
from .strategies import agent_key


class RecoveryHandlers(CallHandlers):
    def _on_restore_agent(self, inp: RestoreAgent) -> None:
        old = self._agents.get(inp.agent_id)
        if old is not None and old.state is not AgentState.LOGGED_OUT:
            self._refuse("already_logged_in", f"agent {inp.agent_id} is already back", inp)
            return
        groups = {g: p for g, p in inp.groups.items()
                  if g in self._groups and not self._groups[g].closed}
        agent = Agent(
            agent_id=inp.agent_id,
            extension=inp.extension,
            groups=groups,
            state=inp.state,
            state_since=inp.since,
            reason=inp.reason,
            idle_since=inp.since,
            phone=self._phones.get(inp.extension, PhoneState.UNKNOWN),
        )
        agent.restoring = agent.state in (AgentState.RINGING, AgentState.ON_CALL)
        agent.restored_call_end = inp.call_ended_at
        self._agents[agent.agent_id] = agent
        self._phone_agents.setdefault(agent.extension, set()).add(agent.agent_id)
        for gid, penalty in groups.items():
            group = self._groups[gid]
            group.members[agent.agent_id] = penalty
            if agent.state is AgentState.AVAILABLE and agent.phone_free:
                group.index.add(agent.agent_id, agent_key(group, agent))
            self._dirty.add(gid)
        if agent.state is AgentState.WRAPUP:
            agent.wrapup_of = inp.wrapup_of
            left = (inp.wrapup_until or 0.0) - self._now
            if left > 0:
                agent.wrapup_timer = self._start_timer(TimerKind.WRAPUP, agent.agent_id, left)
            else:
                self._agent_ready(agent)

    def _on_adopt_call(self, inp: AdoptCall) -> None:
        if inp.call_id in self._calls:
            self._refuse("duplicate_call", f"call {inp.call_id!r} already exists", inp)
            return
        outbound = inp.direction == CallDirection.OUTBOUND.value
        call = Call(
            call_id=inp.call_id,
            direction=CallDirection.OUTBOUND if outbound else CallDirection.INBOUND,
            group_id=inp.group_id,
            caller_number=inp.caller_number,
            caller_name=inp.caller_name,
            client_id=inp.client_id,
            note_ref=None,
            preferred_agent_id=None,
            started_at=inp.started_at or self._now,
            entered_at=inp.entered_at or inp.started_at or self._now,
            answered_by_app=True,
            bridge_id=inp.bridge_id,
            answered_at=inp.answered_at,
        )
        agent = self._agents.get(inp.agent_id) if inp.agent_id is not None else None
        if inp.agent_id is not None and (agent is None or agent.state is AgentState.LOGGED_OUT):
            self._refuse("agent_not_logged_in", f"agent {inp.agent_id} is not back", inp)
            return
        self._calls[call.call_id] = call
        if not inp.journaled:
            # stamped when it really happened, as Asterisk or the record tells it
            self._emit(CallStarted(
                at=call.started_at, call_id=call.call_id, direction=call.direction,
                group_id=call.group_id, caller_number=call.caller_number,
                caller_name=call.caller_name, client_id=call.client_id,
                agent_id=inp.agent_id if outbound else None))
        if agent is not None and inp.leg_id:
            self._adopt_agent_leg(call, agent, inp)
        if inp.external_leg_id:
            self._adopt_external_leg(call, inp)
        if agent is None and not inp.external_leg_id:
            self._adopt_waiting(call, inp)

    def _adopt_agent_leg(self, call: Call, agent: Agent, inp: AdoptCall) -> None:
        assert inp.leg_id is not None
        purpose = LegPurpose.CLICK_TO_CALL if call.direction is CallDirection.OUTBOUND else (
            LegPurpose.QUEUE)
        leg = Leg(leg_id=inp.leg_id, call_id=call.call_id, purpose=purpose,
                  started_at=inp.answered_at or self._now, agent_id=agent.agent_id,
                  group_id=call.group_id, ringing=True, answered=True)
        self._legs[leg.leg_id] = leg
        call.legs[leg.leg_id] = None
        call.state = CallState.CONNECTED  # taken back: where Asterisk shows it, not a move
        call.agent_id = call.last_agent_id = agent.agent_id
        call.agent_leg = leg.leg_id
        call.answered_at = call.answered_at or self._now
        agent.leg_id = leg.leg_id
        agent.call_id = call.call_id
        agent.restoring = False
        if inp.held:
            call.held = (self._group_moh(call), None)
            call.hold_since = self._now
        if agent.state is not AgentState.ON_CALL:
            self._set_state(agent, AgentState.ON_CALL, purpose.value, call.call_id)
        inbound = call.direction is CallDirection.INBOUND
        if inbound and call.group_id is not None and not inp.journaled:
            self._queued_fact(call, call.group_id, position=1)
        if inbound and (not inp.journaled or not inp.answer_journaled):
            answered = call.answered_at
            self._emit(CallAnswered(at=answered, call_id=call.call_id, agent_id=agent.agent_id,
                                    offer_id=leg.leg_id, group_id=call.group_id,
                                    purpose=LegPurpose.QUEUE,
                                    waited_s=max(0.0, answered - call.entered_at)))

    def _queued_fact(self, call: Call, group_id: int, *, position: int) -> None:
        """The queue entry a kill -9 kept from the record, dated when it happened."""
        self._emit(CallQueued(at=call.entered_at, call_id=call.call_id, group_id=group_id,
                              position=position, caller_number=call.caller_number,
                              caller_name=call.caller_name, client_id=call.client_id))

    def _adopt_external_leg(self, call: Call, inp: AdoptCall) -> None:
        assert inp.external_leg_id is not None
        outbound = call.direction is CallDirection.OUTBOUND
        purpose = LegPurpose.CLICK_TO_CALL if outbound else LegPurpose.TRANSFER
        leg = Leg(leg_id=inp.external_leg_id, call_id=call.call_id, purpose=purpose,
                  started_at=inp.answered_at or self._now, number=inp.external_number,
                  answered=True)
        self._legs[leg.leg_id] = leg
        call.legs[leg.leg_id] = None
        call.answered_at = call.answered_at or self._now
        if not outbound:
            call.state = CallState.EXTERNAL  # taken back: where Asterisk shows it, not a move
            call.exit_kind = LegPurpose.TRANSFER
            call.external_leg = leg.leg_id

    def _adopt_waiting(self, call: Call, inp: AdoptCall) -> None:
        group = self._resolve_group(inp.group_id) if inp.group_id is not None else None
        if group is None:  # its group went while nobody handled it: hand it back
            outcome = CallOutcome.ANSWERED if call.answered_at else CallOutcome.REJECTED
            self._end_call(call, "group_closed", outcome, hangup_caller=True)
            return
        cfg = group.config
        call.group_id = cfg.id
        call.visited.add(cfg.id)
        call.state = CallState.QUEUED  # taken back: where Asterisk shows it, not a move
        call.in_queue = True
        call.held = (cfg.moh_class, cfg.id)
        if not inp.in_holding_bridge:  # in silence meanwhile: to its queue's music now
            call.answered_by_app, call.held = False, None
            self._hold(call, cfg.moh_class, cfg.id)
        # Its place: after every caller who entered the queue before it.
        place = self._place_by_arrival(group, call.entered_at)
        group.queue.insert(place, call.call_id)
        self._queue_dirty.add(cfg.id)
        self._dirty.add(cfg.id)
        if not inp.journaled or not inp.queue_journaled:
            self._queued_fact(call, cfg.id, position=place + 1)
        if cfg.max_wait_s > 0:
            left = max(0.0, cfg.max_wait_s - (self._now - call.entered_at))
            call.max_wait_timer = self._start_timer(TimerKind.MAX_WAIT, call.call_id, left)

    def _on_adoption_done(self, inp: AdoptionDone) -> None:
        for agent in self._agents.values():
            if agent.restoring:  # its call ended while nobody was watching
                agent.restoring = False
                self._ready_since_call_end(agent)

    def _ready_since_call_end(self, agent: Agent) -> None:
        """Free from when its call really ended (between its last state change and now),
        so its time on the call and its idle time are what happened, not the restart's."""
        ended = agent.restored_call_end
        agent.restored_call_end = None
        now = self._now
        if ended is not None:
            self._now = min(now, max(ended, agent.state_since))
        try:
            self._agent_ready(agent)
        finally:
            self._now = now

