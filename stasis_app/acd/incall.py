"""B11: what the agent does to a call it is talking on: hold / resume, mute, DTMF.

Hold takes the caller out of the call's mixing bridge onto music of its own (the group's
class), exactly as during a consultation: the caller hears music and nothing of the agent,
the agent, alone in the bridge, hears silence. Resume puts the caller back in the bridge.
The hold periods add up in the call's record (``hold_s``, part of AHT). Only an inbound
call can be held: a click-to-call has no caller channel of its own to play music to.
Mute stops the agent leg's audio into the bridge (whoever is in it stops hearing the agent);
DTMF goes to the party the agent talks with.
"""

from __future__ import annotations

import re

from .calls import CallHandlers
from .inputs import AgentHold, AgentMute, AgentResume, AgentSendDtmf
from .model import Call, CallDirection, CallState, LegPurpose
from .outputs import AgentMuted, CallHeld, MuteLeg, SendDtmf

DTMF_DIGITS = re.compile(r"[0-9*#A-D]{1,32}")


class InCallHandlers(CallHandlers):
    def _talking(self, agent_id: int, request: object, *states: CallState) -> Call | None:
        """The call the agent's answered leg belongs to, if it is in one of ``states``."""
        agent = self._agents.get(agent_id)
        leg = self._legs.get(agent.leg_id or "") if agent is not None else None
        call = self._calls.get(leg.call_id) if leg is not None and leg.answered else None
        if call is not None and leg is not None and (
                call.agent_leg == leg.leg_id and call.state in states):
            return call
        self._refuse("no_call", f"agent {agent_id} is not talking on a call", request)
        return None

    def _on_hold(self, inp: AgentHold) -> None:
        call = self._talking(inp.agent_id, inp, CallState.CONNECTED)
        if call is None:
            return
        if call.direction is CallDirection.OUTBOUND:
            self._refuse("unsupported", "a click-to-call cannot be put on hold", inp)
            return
        if call.hold_since is not None:
            self._refuse("already_held", "the caller is already on hold", inp)
            return
        self._hold(call, self._group_moh(call), None)
        call.hold_since = self._now
        self._emit(CallHeld(at=self._now, call_id=call.call_id, agent_id=call.agent_id))

    def _on_resume(self, inp: AgentResume) -> None:
        call = self._talking(inp.agent_id, inp, CallState.CONNECTED)
        if call is None:
            return
        if call.hold_since is None:
            self._refuse("not_held", "the caller is not on hold", inp)
            return
        assert call.agent_leg is not None
        self._close_hold(call, "resumed")
        self._connect_caller(call, call.agent_leg)

    def _on_mute(self, inp: AgentMute) -> None:
        call = self._talking(inp.agent_id, inp, CallState.CONNECTED, CallState.CONSULTING)
        if call is None:
            return
        if call.agent_muted == inp.muted:
            return  # already so: nothing to tell Asterisk (a double click)
        assert call.agent_leg is not None
        call.agent_muted = inp.muted
        self._emit(MuteLeg(leg_id=call.agent_leg, muted=inp.muted))
        self._emit(AgentMuted(at=self._now, call_id=call.call_id, agent_id=inp.agent_id,
                              muted=inp.muted))

    def _on_send_dtmf(self, inp: AgentSendDtmf) -> None:
        if not DTMF_DIGITS.fullmatch(inp.digits):
            self._refuse("bad_digits", "digits must be 1 to 32 of 0-9, *, #, A-D", inp)
            return
        call = self._talking(inp.agent_id, inp, CallState.CONNECTED, CallState.CONSULTING)
        if call is None:
            return
        far = self._far_end(call)
        if far is None:
            self._refuse("no_far_end", "nobody answered yet to receive the digits", inp)
            return
        self._emit(SendDtmf(channel_id=far, digits=inp.digits))

    def _far_end(self, call: Call) -> str | None:
        """The channel the agent hears: the consulted number or agent, the caller (not while
        on hold: it would hear the tones over its music), or a click-to-call's client."""
        if call.state is CallState.CONSULTING:
            leg = self._legs.get(call.consult_leg or "")
            return leg.leg_id if leg is not None and leg.answered else None
        if call.direction is CallDirection.INBOUND:
            return call.call_id if call.hold_since is None else None
        for leg_id in call.legs:
            leg = self._legs[leg_id]
            if leg.purpose is LegPurpose.CLICK_TO_CALL and leg.agent_id is None:
                return leg_id if leg.answered else None
        return None
