"""C4 transfers pressed on the agent's phone (SIP REFER, handed to the app by Asterisk as
ARI ChannelTransfer: PJSIP_TRANSFER_HANDLING()=ari-only on every channel of ours).

They do what the console's transfers do, with the same records and screen pops:

- Blind: the phone sends REFER to what the agent dialled. An agent's extension, a group's
  number or an outside number becomes the console's blind transfer by that agent. The phone
  is told at once how it went (NOTIFY 200, or 603 when refused: the call stays where it was,
  so a refused transfer never loses the customer).
- Attended: the phone holds the customer and dials the colleague or number; that second
  call reaches the app (``Stasis(app,dial,…)``) while its agent is talking, so it becomes
  the consultation of the call: the customer waits on the group's music, the target is rung
  as for a console consultation, and the phone's second channel is bridged with it apart.
  The phone's REFER with Replaces completes it (the customer joins the target; both of the
  phone's channels are hung up); the phone hanging up its second call cancels it (the
  customer is back with the agent).
"""

from __future__ import annotations

from .inputs import PhoneDialed, PhoneTransfer, TransferBlind
from .model import (
    Agent,
    AgentState,
    Call,
    CallDirection,
    CallState,
    Leg,
    LegPurpose,
    OfferResult,
    Target,
)
from .outputs import (
    ConnectLegs,
    ReturnToDialplan,
    RingPhone,
    TransferProgress,
    TransferState,
)
from .phone_dial import phone_number
from .transfers import TransferHandlers

CONSULT_REFUSED = "target_unavailable"  # PROWEBCRM_REFUSED for a consultation not placed


class PhoneTransferHandlers(TransferHandlers):
    # ---------------------------------------------------------------------- the REFER

    def _on_phone_transfer(self, inp: PhoneTransfer) -> None:
        leg = self._legs.get(inp.leg_id)
        call = self._calls.get(leg.call_id) if leg is not None else None
        if leg is None or call is None or leg.agent_id is None or not leg.answered:
            self._phone_told(inp, TransferState.DECLINED, "no_call",
                             f"channel {inp.leg_id!r} is no agent's call")
            return
        if inp.attended:
            self._phone_completes(inp, call, leg)
        else:
            self._phone_blind(inp, call, leg)

    def _phone_told(self, inp: PhoneTransfer, state: TransferState, code: str = "",
                    message: str = "") -> None:
        if code:
            self._refuse(code, message, inp)
        self._emit(TransferProgress(channel_id=inp.leg_id, state=state))

    def _phone_blind(self, inp: PhoneTransfer, call: Call, leg: Leg) -> None:
        if call.state is not CallState.CONNECTED or call.agent_leg != leg.leg_id:
            self._phone_told(inp, TransferState.DECLINED, "bad_state",
                             f"call {call.call_id!r} is {call.state}: no blind transfer now")
            return
        target = self._dialled_target(inp.destination, inp)
        if target is None:
            self._phone_told(inp, TransferState.DECLINED)
            return
        # The phone hears how it went before its channel is hung up by the transfer.
        told = len(self._out)
        self._on_transfer_blind(TransferBlind(now=self._now, call_id=call.call_id,
                                              target=target, by_agent_id=leg.agent_id))
        if call.agent_leg == leg.leg_id:  # refused: the agent keeps the customer
            self._emit(TransferProgress(channel_id=leg.leg_id, state=TransferState.DECLINED))
            return
        self._out.insert(told, TransferProgress(channel_id=leg.leg_id,
                                                state=TransferState.DONE))

    def _dialled_target(self, destination: str, inp: PhoneTransfer) -> Target | None:
        """What a phone dialled, read as the console's transfer targets (never a dial string
        built from unchecked text)."""
        number = destination.strip()
        if not phone_number(number):
            self._refuse("bad_number", f"{destination!r} is not a number to transfer to", inp)
            return None
        agent = self._logged_in_on(number)
        if agent is not None:
            return Target.agent(agent.agent_id)
        group = next((g for g in self._groups.values()
                      if not g.closed and g.config.number == number), None)
        if group is not None:
            return Target.group(group.config.id)
        return Target.number(number)

    def _logged_in_on(self, extension: str) -> Agent | None:
        for agent in self._agents.values():
            if agent.extension == extension and agent.state is not AgentState.LOGGED_OUT:
                return agent
        return None

    def _phone_completes(self, inp: PhoneTransfer, call: Call, leg: Leg) -> None:
        # Either of the phone's two calls may carry the REFER, depending on the phone.
        consulting = (call.state is CallState.CONSULTING and call.consult_phone is not None
                      and not call.complete_on_answer
                      and leg.leg_id in (call.agent_leg, call.consult_phone))
        replaced = inp.replaces in (None, call.agent_leg, call.consult_phone)
        if not consulting or not replaced:
            self._phone_told(inp, TransferState.DECLINED, "not_consulting",
                             f"channel {leg.leg_id!r} has no consultation to complete")
            return
        self._emit(TransferProgress(channel_id=leg.leg_id, state=TransferState.DONE))
        self._complete_attended(call, by_agent_id=call.agent_id, hangup=True)

    # ------------------------------------------------------ the phone's consultation call

    def _consult_answered(self, call: Call, leg: Leg) -> None:
        if call.consult_phone is not None and not call.complete_on_answer:
            self._phone_consult_answered(call, leg)
            return
        super()._consult_answered(call, leg)

    def _complete_attended(self, call: Call, *, by_agent_id: int | None, hangup: bool) -> None:
        super()._complete_attended(call, by_agent_id=by_agent_id, hangup=hangup)
        self._end_phone_consult(call)

    def _phone_consult(self, inp: PhoneDialed, agent: Agent) -> bool:
        """The phone of an agent who is talking dialled again: its consultation. False when
        the agent's call is none that can be transferred (the caller decides)."""
        call = self._calls.get(agent.call_id or "")
        if (call is None or call.state is not CallState.CONNECTED
                or call.agent_id != agent.agent_id
                or call.direction is not CallDirection.INBOUND):
            return False
        colleague = self._logged_in_on(inp.number)
        target = (Target.agent(colleague.agent_id) if colleague is not None
                  else Target.number(inp.number))
        resolved = self._resolve_target(target, agent.agent_id, inp)
        if resolved is None:
            self._emit(ReturnToDialplan(call_id=inp.channel_id, reason=CONSULT_REFUSED))
            return True
        self._close_hold(call, "consulting")
        self._hold(call, self._group_moh(call))
        self._move(call, CallState.CONSULTING)
        call.consult_by = agent.agent_id
        phone = Leg(leg_id=inp.channel_id, call_id=call.call_id, purpose=LegPurpose.CONSULT,
                    started_at=self._now, agent_id=agent.agent_id, ringing=True,
                    answered=True)  # off-hook: the agent's side of the consultation
        self._legs[phone.leg_id] = phone
        call.legs[phone.leg_id] = None
        call.consult_phone = phone.leg_id
        to_agent, _, number = resolved
        if to_agent is not None:
            consult = self._offer(call, to_agent, LegPurpose.CONSULT, call.group_id,
                                  sticky=False)
            self._emit(RingPhone(channel_id=phone.leg_id))
        else:
            assert number is not None
            consult = self._dial_external(call, number, LegPurpose.CONSULT, None,
                                          phone.leg_id, listener_is_phone=True)
        call.consult_leg = consult.leg_id
        return True

    def _phone_consult_answered(self, call: Call, leg: Leg) -> None:
        assert call.consult_phone is not None
        if call.consult_bridge is None:
            call.consult_bridge = self._new_id("bridge")
        self._emit(ConnectLegs(bridge_id=call.consult_bridge,
                               leg_ids=(call.consult_phone, leg.leg_id)))

    def _phone_consult_gone(self, call: Call, phone: Leg) -> None:
        """The phone hung up its consultation: the customer goes back to the agent."""
        self._drop_leg(phone, hangup=False)
        call.consult_phone = None
        target = self._legs.get(call.consult_leg or "")
        if target is not None:
            if target.agent_id is not None and not target.answered:
                self._close_offer(target, OfferResult.CANCELLED, hangup=True)
            else:
                self._drop_leg(target, hangup=True)
        self._reconnect_transferor(call)
        if target is not None and target.agent_id is not None:
            self._agent_ready(self._agents[target.agent_id])
