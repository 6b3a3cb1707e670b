"""C4 transfers: blind (agent, group, number) and attended (consult, complete, cancel).

- Blind to an agent: the call rings only that agent (purpose TRANSFER; the screen pop
  carries client_id / note_ref / transferred_from). No answer, busy or reject: the call goes
  back to the *head* of its group's queue. The transferring agent goes to wrap-up.
- Blind to a group: the caller joins that queue at the tail (a new queue segment, admission
  rules and overflow of that group apply).
- Blind to a number: DialOutbound; answered → the caller is bridged with it (outcome
  ``transferred``); failure → back to the head of its queue.
- Attended: the caller is put on hold (MOH, out of the bridge); the agent stays in the
  call's bridge, where the consulted agent/number joins on answer. Complete: the transferor
  leaves (wrap-up) and the caller joins the target. Cancel, or the target not answering /
  hanging up: the caller is reconnected with its agent. The transferor hanging up during
  the consultation completes the transfer (if the target has not answered yet, the caller is
  connected when it does, or goes back to the head of its queue if it does not).
"""

from __future__ import annotations

from .calls import CallHandlers
from .inputs import AttendedCancel, AttendedComplete, AttendedConsult, TransferBlind
from .model import (
    Agent,
    AgentState,
    Call,
    CallDirection,
    CallState,
    Group,
    Leg,
    LegPurpose,
    OfferResult,
    Target,
    TargetKind,
    dialable,
)
from .outputs import CallAnswered, CallTransferred, ConnectLegs

_Resolved = tuple[Agent | None, Group | None, str | None]


class TransferHandlers(CallHandlers):
    def _resolve_target(
        self, target: Target, current_agent: int | None, request: object
    ) -> _Resolved | None:
        if target.kind is TargetKind.AGENT:
            try:
                agent = self._agents.get(int(target.value))
            except ValueError:
                agent = None
            if agent is None or agent.state is not AgentState.AVAILABLE:
                self._refuse(
                    "target_unavailable", f"agent {target.value} is not available", request
                )
                return None
            if not agent.phone_free:  # unreachable, or busy with a call outside the app
                self._refuse(
                    "target_unavailable",
                    f"agent {target.value}'s phone is {agent.phone.value.replace('_', ' ')}",
                    request,
                )
                return None
            if agent.agent_id == current_agent:
                self._refuse("same_agent", "cannot transfer a call to its own agent", request)
                return None
            return (agent, None, None)
        if target.kind is TargetKind.GROUP:
            group = self._resolve_group(target.value)
            if group is None:
                self._refuse("unknown_group", f"no group {target.value!r}", request)
                return None
            return (None, group, None)
        number = str(target.value)
        if not dialable(number):
            self._refuse("bad_number", f"{number!r} is not a dialable number", request)
            return None
        return (None, None, number)

    # ------------------------------------------------------------------------------ blind

    def _on_transfer_blind(self, inp: TransferBlind) -> None:
        call = self._call(inp.call_id, inp)
        if call is None:
            return
        by_agent, by_sup = inp.by_agent_id, inp.by_supervisor_id
        if (by_agent is None) == (by_sup is None):
            self._refuse("bad_actor", "give exactly one of by_agent_id, by_supervisor_id", inp)
            return
        if call.direction is CallDirection.OUTBOUND:
            self._refuse("unsupported", "click-to-call calls cannot be transferred", inp)
            return
        if by_agent is not None and (
            call.state is not CallState.CONNECTED or call.agent_id != by_agent
        ):
            self._refuse("not_your_call", f"agent {by_agent} is not talking on this call", inp)
            return
        movable = (
            CallState.QUEUED,
            CallState.OFFERING,
            CallState.TRANSFERRING,
            CallState.CONNECTED,
        )
        if call.state not in movable:
            self._refuse("bad_state", f"call {call.call_id!r} is {call.state}", inp)
            return
        resolved = self._resolve_target(inp.target, call.agent_id, inp)
        if resolved is None:
            return
        agent, group, number = resolved
        from_agent = call.agent_id
        # The hold period belongs to the record of the agent who held the caller, which the
        # transfer ends.
        self._close_hold(call, "transferred")
        self._emit(
            CallTransferred(
                at=self._now,
                call_id=call.call_id,
                from_agent_id=from_agent,
                target=inp.target,
                by_agent_id=by_agent,
                by_supervisor_id=by_sup,
                forced=by_sup is not None,
                attended=False,
                client_id=call.client_id,
                note_ref=call.note_ref,
            )
        )
        self._detach(call)
        if group is None:  # out of any queue while an agent or a number is rung
            self._hold(call, self._group_moh(call), None)
        if agent is not None:
            self._move(call, CallState.TRANSFERRING)
            call.transferred_from = from_agent
            self._offer(call, agent, LegPurpose.TRANSFER, call.group_id, sticky=False)
        elif group is not None:
            call.visited = set()
            self._admit(call, group)
        else:
            assert number is not None
            self._move(call, CallState.EXTERNAL)
            call.exit_kind = LegPurpose.TRANSFER
            leg = self._dial_external(call, number, LegPurpose.TRANSFER, call.caller_number)
            call.external_leg = leg.leg_id

    def _detach(self, call: Call) -> None:
        """Free the call from its agent (→ wrap-up) or its queue/offers; caller on hold."""
        if call.state is CallState.CONNECTED:
            self._release_agent(call, wait_in=None)
        else:
            self._unqueue(call)
            self._cancel_offers(call, OfferResult.CANCELLED)

    # --------------------------------------------------------------------------- attended

    def _consulting(
        self, call_id: str, by_agent_id: int, request: AttendedComplete | AttendedCancel
    ) -> Call | None:
        call = self._call(call_id, request)
        if call is None:
            return None
        if (
            call.state is not CallState.CONSULTING
            or call.consult_by != by_agent_id
            or call.complete_on_answer
        ):
            self._refuse("not_consulting", f"agent {by_agent_id} is not consulting", request)
            return None
        return call

    def _on_consult(self, inp: AttendedConsult) -> None:
        call = self._call(inp.call_id, inp)
        if call is None:
            return
        if (
            call.state is not CallState.CONNECTED
            or call.agent_id != inp.by_agent_id
            or call.direction is CallDirection.OUTBOUND
        ):
            self._refuse("not_your_call", f"agent {inp.by_agent_id} cannot consult now", inp)
            return
        if inp.target.kind is TargetKind.GROUP:
            self._refuse("unsupported", "attended transfer to a group: use a blind one", inp)
            return
        resolved = self._resolve_target(inp.target, call.agent_id, inp)
        if resolved is None:
            return
        agent, _, number = resolved
        # A caller already on hold stays on its music; that hold period ends here (the
        # consultation is not the agent's hold).
        self._close_hold(call, "consulting")
        self._hold(call, self._group_moh(call))
        self._move(call, CallState.CONSULTING)
        call.consult_by = inp.by_agent_id
        if agent is not None:
            leg = self._offer(call, agent, LegPurpose.CONSULT, call.group_id, sticky=False)
        else:
            assert number is not None
            leg = self._dial_external(call, number, LegPurpose.CONSULT, None, call.agent_leg)
        call.consult_leg = leg.leg_id

    def _consult_answered(self, call: Call, leg: Leg) -> None:
        if call.complete_on_answer:
            self._finish_complete(call, leg)
            return
        assert call.agent_leg is not None
        if call.bridge_id is None:
            call.bridge_id = self._new_id("bridge")
        self._emit(ConnectLegs(bridge_id=call.bridge_id, leg_ids=(call.agent_leg, leg.leg_id)))

    def _on_complete(self, inp: AttendedComplete) -> None:
        call = self._consulting(inp.call_id, inp.by_agent_id, inp)
        if call is not None:
            self._complete_attended(call, by_agent_id=inp.by_agent_id, hangup=True)

    def _complete_attended(self, call: Call, *, by_agent_id: int | None, hangup: bool) -> None:
        """The transferor leaves; the caller joins the target now or when it answers."""
        assert call.consult_leg is not None and call.agent_leg is not None
        assert call.agent_id is not None
        consult = self._legs[call.consult_leg]
        transferor = self._agents[call.agent_id]
        target = (
            Target.agent(consult.agent_id)
            if consult.agent_id is not None
            else Target.number(consult.number)
        )
        self._emit(
            CallTransferred(
                at=self._now,
                call_id=call.call_id,
                from_agent_id=transferor.agent_id,
                target=target,
                by_agent_id=by_agent_id,
                by_supervisor_id=None,
                forced=False,
                attended=True,
                client_id=call.client_id,
                note_ref=call.note_ref,
            )
        )
        self._drop_leg(self._legs[call.agent_leg], hangup=hangup)
        call.agent_id = None
        call.agent_leg = None
        call.agent_muted = False  # the mute went with the transferor's leg
        call.transferred_from = transferor.agent_id
        self._agent_after_call(transferor, call.group_id)
        if consult.answered:
            self._finish_complete(call, consult)
        else:
            call.complete_on_answer = True

    def _finish_complete(self, call: Call, consult: Leg) -> None:
        call.consult_leg = None
        call.consult_by = None
        call.complete_on_answer = False
        if consult.agent_id is not None:
            agent = self._agents[consult.agent_id]
            self._move(call, CallState.CONNECTED)
            call.agent_id = agent.agent_id
            call.agent_leg = consult.leg_id
            call.last_agent_id = agent.agent_id
            agent.calls_taken += 1
            agent.missed = 0
            self._connect_caller(call, consult.leg_id)
            self._emit(
                CallAnswered(
                    at=self._now,
                    call_id=call.call_id,
                    agent_id=agent.agent_id,
                    offer_id=consult.leg_id,
                    group_id=call.group_id,
                    purpose=LegPurpose.CONSULT,
                    waited_s=0.0,
                )
            )
        else:
            consult.purpose = LegPurpose.TRANSFER
            self._move(call, CallState.EXTERNAL)
            call.exit_kind = LegPurpose.TRANSFER
            call.external_leg = consult.leg_id
            self._connect_caller(call, consult.leg_id)

    def _on_cancel(self, inp: AttendedCancel) -> None:
        call = self._consulting(inp.call_id, inp.by_agent_id, inp)
        if call is None:
            return
        assert call.consult_leg is not None
        leg = self._legs[call.consult_leg]
        if leg.agent_id is not None and not leg.answered:
            self._close_offer(leg, OfferResult.CANCELLED, hangup=True)
        else:
            self._drop_leg(leg, hangup=True)
        self._reconnect_transferor(call)
        if leg.agent_id is not None:
            self._agent_ready(self._agents[leg.agent_id])

    def _consult_target_gone(self, call: Call, leg: Leg, *, hangup: bool) -> None:
        """The consulted party hung up after answering: back to the caller."""
        self._drop_leg(leg, hangup=hangup)
        self._reconnect_transferor(call)
        if leg.agent_id is not None:
            self._agent_ready(self._agents[leg.agent_id])
