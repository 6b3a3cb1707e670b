"""Call-side inputs: callers entering and leaving, agent legs, timers, rejects, hang-ups,
outbound legs and click-to-call."""

from __future__ import annotations

from .inputs import (
    AgentHangup,
    AgentLegEnded,
    AgentRejectOffer,
    AttachClient,
    CallEntered,
    CallerHungUp,
    CallerIdentified,
    ClickToCall,
    ConnectFailed,
    HoldFailed,
    Input,
    LinkChanged,
    OfferAnswered,
    OfferFailed,
    OfferRinging,
    OutboundAnswered,
    OutboundFailed,
    OutboundLegEnded,
    PhoneDialed,
    PhoneStateChanged,
    SupervisorForceReject,
    SupervisorHangup,
    TimerFired,
)
from .model import (
    Agent,
    AgentState,
    Call,
    CallDirection,
    CallOutcome,
    CallState,
    FailReason,
    Leg,
    LegPurpose,
    OfferResult,
    OverflowTrigger,
    PhoneState,
    TimerKind,
    dialable,
)
from .outputs import (
    CallAbandoned,
    CallRejected,
    CallStarted,
    ClientAttached,
    ConnectLegs,
    ExternalConnected,
    HangupLeg,
    ReturnToDialplan,
    ScreenPop,
)
from .queueing import QueueOps

_FAIL_RESULT = {
    FailReason.BUSY: OfferResult.BUSY,
    FailReason.FAILED: OfferResult.FAILED,
    FailReason.REJECTED_BY_PHONE: OfferResult.REJECTED,
    FailReason.UNREACHABLE: OfferResult.FAILED,
}


class CallHandlers(QueueOps):
    def _call(self, call_id: str, request: Input) -> Call | None:
        call = self._calls.get(call_id)
        if call is None:
            self._refuse("unknown_call", f"no call {call_id!r}", request)
        return call

    # ----------------------------------------------------------------------- inbound calls

    def _on_call_entered(self, inp: CallEntered) -> None:
        if inp.call_id in self._calls:
            self._refuse("duplicate_call", f"call {inp.call_id!r} already exists", inp)
            return
        group = self._resolve_group(inp.group)
        if group is None:
            # The engine does not take the channel: it continues in the dialplan, which tells
            # the caller (R-fallback).
            self._refuse("unknown_group", f"no group {inp.group!r}", inp)
            self._emit(ReturnToDialplan(call_id=inp.call_id, reason="unknown_group"))
            return
        arrived = min(self._now, inp.arrived_at) if inp.arrived_at is not None else self._now
        call = Call(
            call_id=inp.call_id,
            direction=CallDirection.INBOUND,
            group_id=group.config.id,
            caller_number=inp.caller_number,
            caller_name=inp.caller_name,
            client_id=inp.client_id,
            note_ref=inp.note_ref,
            preferred_agent_id=inp.preferred_agent_id,
            started_at=arrived,
            entered_at=arrived,
            identified=inp.identified,
        )
        self._calls[call.call_id] = call
        self._emit(
            CallStarted(
                at=call.started_at,
                call_id=call.call_id,
                direction=call.direction,
                group_id=group.config.id,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                client_id=call.client_id,
                agent_id=None,
            )
        )
        self._admit(call, group, since=arrived)

    def _on_caller_identified(self, inp: CallerIdentified) -> None:
        call = self._calls.get(inp.call_id)
        if call is None or call.identified:
            return
        call.identified = True
        if call.client_id is None and inp.client_id is not None:
            call.client_id = inp.client_id
            self._emit(ClientAttached(at=self._now, call_id=call.call_id,
                                      client_id=inp.client_id))
        call.preferred_agent_id = call.preferred_agent_id or inp.preferred_agent_id
        if call.awaiting_id:
            self._identified_in_queue(call)
        for leg_id in call.legs:  # pops held back while the lookup ran
            leg = self._legs[leg_id]
            if leg.agent_id is not None and leg.ringing:
                self._pop(call, leg)

    def _identified_in_queue(self, call: Call) -> None:
        call.awaiting_id = False
        self._cancel_timer(call.identify_timer)
        call.identify_timer = None
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        if group is not None and call.in_queue:
            self._stick(call, group)
            self._dirty.add(group.config.id)

    def _on_caller_hung_up(self, inp: CallerHungUp) -> None:
        call = self._calls.get(inp.call_id)
        if call is None or call.direction is CallDirection.OUTBOUND:
            return  # already ended (race with our own hang-up): nothing to do
        if call.in_queue:
            assert call.group_id is not None
            self._emit(
                CallAbandoned(
                    at=self._now,
                    call_id=call.call_id,
                    group_id=call.group_id,
                    waited_s=self._now - call.entered_at,
                    while_ringing=call.state is CallState.OFFERING,
                )
            )
        self._end_call(
            call,
            "caller_hangup",
            CallOutcome.ABANDONED,
            hangup_caller=False,
            leg_result=OfferResult.CALLER_ABANDONED,
        )

    def _on_attach_client(self, inp: AttachClient) -> None:
        call = self._call(inp.call_id, inp)
        if call is not None:
            changed = call.client_id != inp.client_id
            call.client_id = inp.client_id
            call.note_ref = inp.note_ref
            if changed:
                self._emit(ClientAttached(at=self._now, call_id=call.call_id,
                                          client_id=inp.client_id))

    # -------------------------------------------------------------------------- agent legs

    def _agent_leg(self, offer_id: str) -> Leg | None:
        leg = self._legs.get(offer_id)
        return leg if leg is not None and leg.agent_id is not None else None

    def _on_offer_ringing(self, inp: OfferRinging) -> None:
        leg = self._agent_leg(inp.offer_id)
        if leg is None or leg.ringing or leg.answered:
            return
        leg.ringing = True
        call = self._calls[leg.call_id]
        if call.identified:  # else the pop follows the lookup (CallerIdentified)
            self._pop(call, leg)

    def _pop(self, call: Call, leg: Leg) -> None:
        assert leg.agent_id is not None
        self._emit(
            ScreenPop(
                at=self._now,
                agent_id=leg.agent_id,
                offer_id=leg.leg_id,
                call_id=call.call_id,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                client_id=call.client_id,
                note_ref=call.note_ref,
                group_id=call.group_id,
                purpose=leg.purpose,
                transferred_from_agent_id=call.transferred_from,
            )
        )

    def _on_offer_answered(self, inp: OfferAnswered) -> None:
        leg = self._agent_leg(inp.offer_id)
        if leg is None:
            # R-claim: the offer was cancelled (another agent won, caller gone, timeout):
            # this late answer must not create a second connection.
            self._emit(HangupLeg(leg_id=inp.offer_id))
            return
        if leg.answered:
            return
        call = self._calls[leg.call_id]
        assert leg.agent_id is not None
        agent = self._agents[leg.agent_id]
        self._cancel_timer(leg.timer_id)
        leg.timer_id = None
        leg.answered = True
        self._emit_offer_ended(leg, OfferResult.ANSWERED)
        if leg.purpose is LegPurpose.QUEUE:
            self._unqueue(call)
            self._cancel_offers(call, OfferResult.CANCELLED)  # ring-all losers
            self._connect_agent(call, agent, leg)
        elif leg.purpose is LegPurpose.TRANSFER:
            self._connect_agent(call, agent, leg)
        elif leg.purpose is LegPurpose.CONSULT:
            self._set_state(agent, AgentState.ON_CALL, "consult", call.call_id)
            self._consult_answered(call, leg)
        else:  # click-to-call: now dial the client
            call.agent_id = agent.agent_id
            call.agent_leg = leg.leg_id
            call.last_agent_id = agent.agent_id
            self._set_state(agent, AgentState.ON_CALL, "click_to_call", call.call_id)
            self._dial_external(call, call.caller_number, LegPurpose.CLICK_TO_CALL,
                                self._agent_caller_id(agent) or None, leg.leg_id)

    def _on_offer_failed(self, inp: OfferFailed) -> None:
        leg = self._agent_leg(inp.offer_id)
        if leg is None or leg.answered:
            return
        if inp.reason is FailReason.UNREACHABLE:
            # Not the agent's miss: the phone is unreachable, and stays out of distribution
            # until Asterisk says it is back (no ring-fail-ring loop every few ms).
            assert leg.agent_id is not None
            self._phone_state(self._agents[leg.agent_id].extension, PhoneState.UNREACHABLE)
            self._offer_missed(leg, OfferResult.FAILED, counted=False, hangup=False)
            return
        self._offer_missed(leg, _FAIL_RESULT[inp.reason], counted=True, hangup=False)

    def _on_phone_state_changed(self, inp: PhoneStateChanged) -> None:
        self._phone_state(inp.extension, inp.state)

    def _on_agent_leg_ended(self, inp: AgentLegEnded) -> None:
        leg = self._agent_leg(inp.offer_id)
        if leg is None:
            return  # a leg we already let go
        if not leg.answered:
            self._offer_missed(leg, OfferResult.FAILED, counted=True, hangup=False)
        else:
            self._answered_leg_gone(leg, hangup=False)

    def _on_agent_hangup(self, inp: AgentHangup) -> None:
        agent = self._agents.get(inp.agent_id)
        leg = self._legs.get(agent.leg_id or "") if agent is not None else None
        if agent is None or leg is None or not leg.answered:
            self._refuse("no_call", f"agent {inp.agent_id} has no call to hang up", inp)
            return
        self._answered_leg_gone(leg, hangup=True)

    def _answered_leg_gone(self, leg: Leg, *, hangup: bool) -> None:
        """An answered agent leg ends (phone hung up, or console 'hang up')."""
        call = self._calls[leg.call_id]
        gone = None if hangup else leg.leg_id
        if leg.purpose is LegPurpose.CLICK_TO_CALL:
            self._end_call(
                call, "agent_hangup", CallOutcome.FAILED, hangup_caller=False, gone_leg=gone
            )
        elif leg.leg_id == call.consult_phone:
            self._phone_consult_gone(call, leg)
        elif leg.leg_id == call.consult_leg:
            self._consult_target_gone(call, leg, hangup=hangup)
        elif leg.leg_id == call.agent_leg and call.state is CallState.CONSULTING:
            self._complete_attended(call, by_agent_id=call.agent_id, hangup=hangup)
        else:
            self._end_call(
                call, "agent_hangup", CallOutcome.ANSWERED, hangup_caller=True, gone_leg=gone
            )

    def _on_reject(self, inp: AgentRejectOffer) -> None:
        agent = self._agents.get(inp.agent_id)
        leg = self._legs.get(agent.leg_id or "") if agent is not None else None
        if agent is None or leg is None:
            self._refuse("nothing_to_reject", f"agent {inp.agent_id} has no call offered", inp)
            return
        call = self._calls[leg.call_id]
        if not leg.answered:
            self._emit(
                CallRejected(
                    at=self._now,
                    call_id=call.call_id,
                    agent_id=agent.agent_id,
                    offer_id=leg.leg_id,
                    forced=False,
                    supervisor_id=None,
                    while_connected=False,
                )
            )
            self._offer_missed(leg, OfferResult.REJECTED, counted=False, hangup=True)
        elif (
            call.state is CallState.CONNECTED
            and call.agent_leg == leg.leg_id
            and (call.direction is CallDirection.INBOUND)
        ):
            self._emit(
                CallRejected(
                    at=self._now,
                    call_id=call.call_id,
                    agent_id=agent.agent_id,
                    offer_id=leg.leg_id,
                    forced=False,
                    supervisor_id=None,
                    while_connected=True,
                )
            )
            self._requeue_from_agent(call)
        else:
            self._refuse("nothing_to_reject", f"agent {inp.agent_id} cannot reject now", inp)

    def _requeue_from_agent(self, call: Call) -> None:
        """Connected call back to the head of its queue; its agent goes to wrap-up."""
        agent_id = self._release_agent(call, wait_in=call.group_id)
        self._requeue_head(call, agent_id)

    def _release_agent(self, call: Call, *, wait_in: int | None) -> int:
        """Take a connected call off its agent (who goes to wrap-up); the caller waits in
        group ``wait_in``'s queue, or on music of its own (None). The call keeps its bridge
        for whoever takes it next."""
        assert call.agent_id is not None and call.agent_leg is not None
        agent = self._agents[call.agent_id]
        self._close_hold(call, "requeued" if wait_in is not None else "transferred")
        call.agent_muted = False  # the mute went with the agent's leg
        self._hold(call, self._group_moh(call), wait_in)
        self._drop_leg(self._legs[call.agent_leg], hangup=True)
        call.agent_id = None
        call.agent_leg = None
        self._agent_after_call(agent, call.group_id)
        return agent.agent_id

    # ------------------------------------------------------------ what Asterisk did not do

    def _on_connect_failed(self, inp: ConnectFailed) -> None:
        call = self._calls.get(inp.call_id)
        leg = self._legs.get(inp.leg_id)
        if call is None or leg is None or call.call_id != leg.call_id:
            return  # already over: the hang-up that caused the failure came first
        if leg.purpose is LegPurpose.CLICK_TO_CALL:
            self._end_call(call, "bridge_failed", CallOutcome.FAILED, hangup_caller=False)
        elif leg.leg_id == call.consult_leg and call.complete_on_answer:
            # the transferor has left already: nobody to go back to, the caller is queued
            self._drop_leg(leg, hangup=True)
            self._requeue_head(call, None)
            if leg.agent_id is not None:
                self._agent_ready(self._agents[leg.agent_id])
        elif leg.leg_id == call.consult_leg:
            self._consult_target_gone(call, leg, hangup=True)
        elif leg.agent_id is None:  # an outside number the caller was handed to
            call.external_leg = None
            call.exit_kind = None
            self._drop_leg(leg, hangup=True)
            self._requeue_head(call, None)
        elif leg.leg_id == call.agent_leg and call.state is CallState.CONNECTED:
            # (a late report for a call that moved on since is stale: ignored)
            # Not the agent's doing: free them at once (no wrap-up, no miss), and give the
            # caller back its place at the head of the queue.
            agent = self._agents[leg.agent_id]
            self._close_hold(call, "requeued")  # a resume Asterisk could not carry out
            self._drop_leg(leg, hangup=True)
            call.agent_id = None
            call.agent_leg = None
            call.agent_muted = False
            agent.calls_taken = max(0, agent.calls_taken - 1)
            self._agent_ready(agent)
            self._requeue_head(call, None)

    def _on_link_changed(self, inp: LinkChanged) -> None:
        was, self._link_up = self._link_up, inp.up
        if inp.up and not was:
            self._dirty.update(self._groups)  # what became possible meanwhile is offered now

    def _on_hold_failed(self, inp: HoldFailed) -> None:
        call = self._calls.get(inp.call_id)
        if call is not None:
            self._end_call(call, "asterisk_refused", CallOutcome.FAILED, hangup_caller=True)

    # ------------------------------------------------------------------------------ timers

    def _on_timer(self, inp: TimerFired) -> None:
        entry = self._timers.pop(inp.timer_id, None)
        if entry is None:
            return  # cancelled or already handled: a late fire is harmless
        kind, ref = entry
        if kind is TimerKind.RING_TIMEOUT:
            leg = self._legs.get(str(ref))
            if leg is not None and not leg.answered:
                leg.timer_id = None
                self._offer_missed(leg, OfferResult.NO_ANSWER, counted=True, hangup=True)
        elif kind is TimerKind.WRAPUP:
            agent = self._agents.get(int(ref))
            if agent is not None and agent.state is AgentState.WRAPUP:
                agent.wrapup_timer = None
                self._agent_ready(agent)
        elif kind is TimerKind.QUEUE_VIEW:
            self._queue_view_due(int(ref))
        elif kind is TimerKind.OUTBOUND_TIMEOUT:
            leg = self._legs.get(str(ref))
            if leg is not None and not leg.answered:
                leg.timer_id = None
                self._outbound_failed(leg, hangup=True)
        else:
            call = self._calls.get(str(ref))
            if call is not None:
                self._call_timer(call, kind)

    def _call_timer(self, call: Call, kind: TimerKind) -> None:
        if kind is TimerKind.MAX_WAIT:
            call.max_wait_timer = None
            if call.in_queue and call.group_id in self._groups:
                self._overflow(call, self._groups[call.group_id], OverflowTrigger.MAX_WAIT)
        elif kind is TimerKind.STICKY:
            call.sticky_timer = None
            self._release_sticky(call)
        elif kind is TimerKind.IDENTIFY:
            call.identify_timer = None
            if call.awaiting_id:  # the lookup is late: offer it to anyone rather than wait
                self._identified_in_queue(call)
        elif kind is TimerKind.MUSIC:
            call.music_timer = None
            if call.state in (CallState.QUEUED, CallState.OFFERING):
                self._play_music(call)
        elif kind is TimerKind.RETRY:
            call.retry_timer = None
            call.declined.clear()
            if call.group_id is not None:
                self._dirty.add(call.group_id)

    # -------------------------------------------------------------------------- supervisor

    def _on_force_reject(self, inp: SupervisorForceReject) -> None:
        call = self._call(inp.call_id, inp)
        if call is None:
            return
        offers = self._unanswered_offers(call)
        if call.state in (CallState.OFFERING, CallState.TRANSFERRING) and offers:
            for leg in offers:
                self._emit(
                    CallRejected(
                        at=self._now,
                        call_id=call.call_id,
                        agent_id=leg.agent_id,
                        offer_id=leg.leg_id,
                        forced=True,
                        supervisor_id=inp.supervisor_id,
                        while_connected=False,
                    )
                )
                self._offer_missed(leg, OfferResult.REJECTED, counted=False, hangup=True)
            group = self._groups.get(call.group_id) if call.group_id is not None else None
            if call.in_queue and group is not None and group.queue[0] != call.call_id:
                group.queue.remove(call.call_id)  # "re-queue at head"
                group.queue.insert(0, call.call_id)
                self._queue_dirty.add(group.config.id)
        elif call.state is CallState.CONNECTED and call.direction is CallDirection.INBOUND:
            self._emit(
                CallRejected(
                    at=self._now,
                    call_id=call.call_id,
                    agent_id=call.agent_id,
                    offer_id=call.agent_leg,
                    forced=True,
                    supervisor_id=inp.supervisor_id,
                    while_connected=True,
                )
            )
            self._requeue_from_agent(call)
        else:
            self._refuse(
                "nothing_to_reject",
                f"call {call.call_id!r} is {call.state}: no agent to reject it from",
                inp,
            )

    def _on_supervisor_hangup(self, inp: SupervisorHangup) -> None:
        call = self._call(inp.call_id, inp)
        if call is not None:
            self._end_call(
                call,
                f"supervisor_hangup:{inp.supervisor_id}",
                CallOutcome.REJECTED,
                hangup_caller=True,
            )

    # ---------------------------------------------------------------------- outbound legs

    def _outbound_leg(self, leg_id: str) -> Leg | None:
        leg = self._legs.get(leg_id)
        return leg if leg is not None and leg.agent_id is None else None

    def _on_outbound_answered(self, inp: OutboundAnswered) -> None:
        leg = self._outbound_leg(inp.leg_id)
        if leg is None:
            self._emit(HangupLeg(leg_id=inp.leg_id))
            return
        if leg.answered:
            return
        call = self._calls[leg.call_id]
        self._cancel_timer(leg.timer_id)
        leg.timer_id = None
        leg.answered = True
        if leg.purpose is LegPurpose.CONSULT:
            self._consult_answered(call, leg)
        elif leg.purpose is LegPurpose.CLICK_TO_CALL:
            call.answered_at = self._now
            assert call.agent_leg is not None
            if call.bridge_id is None:
                call.bridge_id = self._new_id("bridge")
            self._emit(ConnectLegs(bridge_id=call.bridge_id, leg_ids=(call.agent_leg, leg.leg_id)))
        else:  # transfer / overflow to a number: the caller is handed over
            self._connect_caller(call, leg.leg_id)
        self._emit(
            ExternalConnected(
                at=self._now,
                call_id=call.call_id,
                leg_id=leg.leg_id,
                number=leg.number,
                purpose=leg.purpose,
            )
        )

    def _on_outbound_failed(self, inp: OutboundFailed) -> None:
        leg = self._outbound_leg(inp.leg_id)
        if leg is not None and not leg.answered:
            self._outbound_failed(leg, hangup=False)

    def _on_outbound_ended(self, inp: OutboundLegEnded) -> None:
        leg = self._outbound_leg(inp.leg_id)
        if leg is None:
            return
        if not leg.answered:
            self._outbound_failed(leg, hangup=False)
            return
        call = self._calls[leg.call_id]
        if leg.leg_id == call.consult_leg:
            self._consult_target_gone(call, leg, hangup=False)
        else:
            reason = (
                "client_hangup" if leg.purpose is LegPurpose.CLICK_TO_CALL else ("external_hangup")
            )
            self._end_call(
                call, reason, CallOutcome.FAILED, hangup_caller=True, gone_leg=leg.leg_id
            )

    def _outbound_failed(self, leg: Leg, *, hangup: bool) -> None:
        call = self._calls[leg.call_id]
        self._drop_leg(leg, hangup=hangup)
        if leg.purpose is LegPurpose.TRANSFER:
            call.external_leg = None
            self._requeue_head(call, None)  # the caller must not be stranded
        elif leg.purpose is LegPurpose.CONSULT:
            if call.complete_on_answer:
                self._requeue_head(call, None)
            else:
                self._reconnect_transferor(call)
        elif leg.purpose is LegPurpose.CLICK_TO_CALL:
            self._end_call(call, "number_failed", CallOutcome.FAILED, hangup_caller=False)
        else:  # overflow number unreachable
            self._end_call(call, "overflow_failed", CallOutcome.OVERFLOWED, hangup_caller=True)

    # ------------------------------------------------------------------------ click-to-call

    def _on_click_to_call(self, inp: ClickToCall) -> None:
        agent = self._agents.get(inp.agent_id)
        if agent is None or agent.state not in (AgentState.AVAILABLE, AgentState.PAUSED):
            state = agent.state if agent is not None else AgentState.LOGGED_OUT
            self._refuse("agent_busy", f"agent {inp.agent_id} is {state}: cannot dial", inp)
            return
        if not dialable(inp.number):
            self._refuse("bad_number", f"{inp.number!r} is not a dialable number", inp)
            return
        call = Call(
            call_id=self._new_id("c2c"),
            direction=CallDirection.OUTBOUND,
            group_id=None,
            caller_number=inp.number,
            caller_name="",
            client_id=inp.client_id,
            note_ref=None,
            preferred_agent_id=None,
            started_at=self._now,
            entered_at=self._now,
            state=CallState.CONNECTED,
            answered_by_app=True,
        )
        self._calls[call.call_id] = call
        self._emit(
            CallStarted(
                at=self._now,
                call_id=call.call_id,
                direction=call.direction,
                group_id=None,
                caller_number=inp.number,
                caller_name="",
                client_id=inp.client_id,
                agent_id=agent.agent_id,
            )
        )
        agent.resume_state = agent.state
        agent.resume_reason = agent.reason
        self._offer(call, agent, LegPurpose.CLICK_TO_CALL, None, sticky=False)

    # the transfer mixin provides these
    def _consult_answered(self, call: Call, leg: Leg) -> None:
        raise NotImplementedError

    def _consult_target_gone(self, call: Call, leg: Leg, *, hangup: bool) -> None:
        raise NotImplementedError

    def _complete_attended(self, call: Call, *, by_agent_id: int | None, hangup: bool) -> None:
        raise NotImplementedError

    def _phone_consult(self, inp: PhoneDialed, agent: Agent) -> bool:
        raise NotImplementedError

    def _phone_consult_gone(self, call: Call, phone: Leg) -> None:
        raise NotImplementedError
