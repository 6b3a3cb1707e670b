"""Calls an agent dials on their own phone (the sample dialplan's ``[from-agents]``).

The phone's channel is already there, in Stasis, unanswered: it becomes the call's *agent
leg*, as if answered, and the number is dialled like the far end of a click-to-call. So the
agent is on a call for the distribution (no queue offer reaches a phone that is busy with its
own call), supervisors see it, the journal records an outbound call of that agent, and when
either side hangs up the agent returns to the state they had (``resume_state``). From then
on every path (answer, busy, hang-ups, the bridge) is click-to-call's.

What the engine does not place itself goes back to the dialplan with a reason the sample
dialplan reads (``PROWEBCRM_REFUSED``):

- a number dialled while the agent talks with a caller is the consultation of a transfer
  pressed on the phone (acd.phone_transfer);
- a logged-in colleague's extension is rung by the app (the agent's dial template), as an
  internal call of the dialling agent's, journaled as their outbound call to that extension;
- ``direct``: the phone is no logged-in agent's: Asterisk rings what it dialled itself
  ([direct]), as there is no agent to journal or make busy;
- ``target_busy``: the colleague is ringing or talking (their phone is taken);
- ``group``: a group's number; the call enters that group's queue as any caller ([inbound]);
- ``agent_busy`` / ``bad_number``: refused ([refused] says so).
"""

from __future__ import annotations

from .calls import CallHandlers
from .inputs import PhoneDialed
from .model import (
    Agent,
    AgentState,
    Call,
    CallDirection,
    CallState,
    Leg,
    LegPurpose,
    dialable,
)
from .outputs import CallStarted, ReturnToDialplan

MAX_NUMBER_LENGTH = 32  # with the "+": what crm.dialstrings accepts for an outside number
PHONE_DIAL_REASON = "phone_dial"


def phone_number(number: str) -> bool:
    """Digits with an optional leading "+", nothing else: what a phone sends becomes a dial
    string, so "*", "#", "@", "/" and friends never get through."""
    return (len(number) <= MAX_NUMBER_LENGTH and dialable(number)
            and number.lstrip("+").isdigit() and number.isascii())


class PhoneDialHandlers(CallHandlers):
    def _on_phone_dialed(self, inp: PhoneDialed) -> None:
        channel_id = inp.channel_id
        if channel_id in self._calls or channel_id in self._legs:
            self._refuse("duplicate_call", f"channel {channel_id!r} is already a call", inp)
            return
        number = inp.number
        if not phone_number(number):
            self._back(inp, "bad_number", f"{number!r} is not a number a phone may dial")
            return
        # A group's number is queued whoever's phone dials it (agent or not).
        if any(g.config.number == number for g in self._groups.values() if not g.closed):
            self._back(inp, "group", f"{number} is a group's number")
            return
        agent = self._phone_agent(inp.extension)
        if agent is None:
            self._back(inp, "direct", f"phone {inp.extension!r} is no logged-in agent's")
            return
        # Dialled during a call of theirs: the consultation of an attended transfer.
        if agent.state is AgentState.ON_CALL and self._phone_consult(inp, agent):
            return
        if agent.state not in (AgentState.AVAILABLE, AgentState.PAUSED):
            self._back(inp, "agent_busy", f"agent {agent.agent_id} is {agent.state}")
            return
        colleague = self._phone_agent(number)
        if colleague is not None:
            # A colleague's phone: rung by the app as an internal call of the agent's.
            if colleague is agent:
                self._back(inp, "bad_number", f"{number} is the phone's own extension")
                return
            if colleague.state not in (AgentState.AVAILABLE, AgentState.PAUSED,
                                       AgentState.WRAPUP):
                self._back(inp, "target_busy", f"agent {colleague.agent_id} is "
                           f"{colleague.state}")
                return
        self._place(agent, channel_id, number, internal=colleague is not None)

    def _back(self, inp: PhoneDialed, reason: str, message: str) -> None:
        # "direct" and "group" are routes, not refusals: only the others are reported.
        if reason not in ("direct", "group"):
            self._refuse(reason, message, inp)
        self._emit(ReturnToDialplan(call_id=inp.channel_id, reason=reason))

    def _phone_agent(self, extension: str) -> Agent | None:
        if not extension:
            return None
        for agent in self._agents.values():
            if agent.extension == extension and agent.state is not AgentState.LOGGED_OUT:
                return agent
        return None

    def _place(self, agent: Agent, channel_id: str, number: str, *, internal: bool) -> None:
        # The call is named after the phone's channel: its events then stay in one ordered
        # stream (R-order) with those of the far leg.
        call = Call(
            call_id=channel_id,
            direction=CallDirection.OUTBOUND,
            group_id=None,
            caller_number=number,
            caller_name="",
            client_id=None,
            note_ref=None,
            preferred_agent_id=None,
            started_at=self._now,
            entered_at=self._now,
            state=CallState.CONNECTED,
            answered_by_app=True,
        )
        self._calls[call.call_id] = call
        leg = Leg(
            leg_id=channel_id,
            call_id=call.call_id,
            purpose=LegPurpose.CLICK_TO_CALL,
            started_at=self._now,
            agent_id=agent.agent_id,
            ringing=True,
            answered=True,  # the phone is off-hook: it is the caller of this call
        )
        self._legs[leg.leg_id] = leg
        call.legs[leg.leg_id] = None
        call.agent_id = agent.agent_id
        call.agent_leg = leg.leg_id
        call.last_agent_id = agent.agent_id
        self._emit(
            CallStarted(
                at=self._now,
                call_id=call.call_id,
                direction=call.direction,
                group_id=None,
                caller_number=number,
                caller_name="",
                client_id=None,
                agent_id=agent.agent_id,
            )
        )
        agent.resume_state = agent.state
        agent.resume_reason = agent.reason
        agent.leg_id = leg.leg_id
        agent.call_id = call.call_id
        self._set_state(agent, AgentState.ON_CALL, PHONE_DIAL_REASON, call.call_id)
        # A colleague sees the extension calling; the outside world, the company's number.
        presented = f"<{agent.extension}>" if internal else self._agent_caller_id(agent)
        self._dial_external(call, number, LegPurpose.CLICK_TO_CALL, presented or None,
                            channel_id, listener_is_phone=True, internal=internal)
