"""The public ACD engine: ``Engine.handle(input) -> list[output]``.

Pure and synchronous: no clock (every input has ``now``), no I/O, no asyncio. Randomness
comes from the ``random.Random`` given at construction. Handling one input is atomic: the
returned outputs are everything it caused, in order (state changes, commands for the
adapter, domain events), followed by the dispatch it enabled and one ``QueueChanged`` per
queue whose content changed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from . import inputs as i
from .agents import AgentHandlers
from .core import EngineSettings
from .incall import InCallHandlers
from .outputs import Output
from .phone_dial import PhoneDialHandlers
from .phone_transfer import PhoneTransferHandlers
from .recovery import RecoveryHandlers
from .views import AgentView, CallView


class Engine(PhoneTransferHandlers, InCallHandlers, PhoneDialHandlers, RecoveryHandlers,
             AgentHandlers):
    def __init__(
        self, *, rng: random.Random | None = None, settings: EngineSettings | None = None
    ) -> None:
        super().__init__(rng=rng, settings=settings)
        self._handlers: dict[type[i.Input], Callable[[Any], None]] = {
            i.ConfigureGroup: self._on_configure,
            i.RemoveGroup: self._on_remove_group,
            i.ResetDailyCounters: self._on_reset_daily,
            i.AgentLogin: self._on_login,
            i.AgentLogout: self._on_logout,
            i.SupervisorForceLogout: self._on_logout,
            i.AgentPause: self._on_pause,
            i.SupervisorForcePause: self._on_pause,
            i.AgentUnpause: self._on_unpause,
            i.AgentWrapupDone: self._on_wrapup_done,
            i.AgentWrapupExtend: self._on_wrapup_extend,
            i.UpdateAgentGroups: self._on_update_groups,
            i.CallEntered: self._on_call_entered,
            i.CallerHungUp: self._on_caller_hung_up,
            i.CallerIdentified: self._on_caller_identified,
            i.AttachClient: self._on_attach_client,
            i.OfferRinging: self._on_offer_ringing,
            i.OfferAnswered: self._on_offer_answered,
            i.OfferFailed: self._on_offer_failed,
            i.PhoneStateChanged: self._on_phone_state_changed,
            i.AgentLegEnded: self._on_agent_leg_ended,
            i.AgentRejectOffer: self._on_reject,
            i.AgentHangup: self._on_agent_hangup,
            i.AgentHold: self._on_hold,
            i.AgentResume: self._on_resume,
            i.AgentMute: self._on_mute,
            i.AgentSendDtmf: self._on_send_dtmf,
            i.TimerFired: self._on_timer,
            i.ConnectFailed: self._on_connect_failed,
            i.HoldFailed: self._on_hold_failed,
            i.LinkChanged: self._on_link_changed,
            i.RestoreAgent: self._on_restore_agent,
            i.AdoptCall: self._on_adopt_call,
            i.AdoptionDone: self._on_adoption_done,
            i.TransferBlind: self._on_transfer_blind,
            i.AttendedConsult: self._on_consult,
            i.AttendedComplete: self._on_complete,
            i.AttendedCancel: self._on_cancel,
            i.SupervisorForceReject: self._on_force_reject,
            i.SupervisorHangup: self._on_supervisor_hangup,
            i.ClickToCall: self._on_click_to_call,
            i.PhoneDialed: self._on_phone_dialed,
            i.PhoneTransfer: self._on_phone_transfer,
            i.OutboundAnswered: self._on_outbound_answered,
            i.OutboundFailed: self._on_outbound_failed,
            i.OutboundLegEnded: self._on_outbound_ended,
        }

    def handle(self, inp: i.Input) -> list[Output]:
        """Apply one input; return the commands and events it caused, in order."""
        handler = self._handlers.get(type(inp))
        if handler is None:
            raise TypeError(f"not an engine input: {inp!r}")  # programming error
        self._now = max(self._now, inp.now)
        self._out = []
        # A hang-up learnt late (after a disconnection) is recorded at its real time; what it
        # enables (offers to the agent it freed) happens now.
        at = getattr(inp, "at", None)
        now = self._now
        if at is not None and at < now:
            # never before what is known of the call: it was alive then
            self._now = max(at, self._known_alive(inp))
        handler(inp)
        self._now = now
        self._flush()
        out, self._out = self._out, []
        return out

    def _known_alive(self, inp: i.Input) -> float:
        """The last moment the call of a late hang-up is known to have been alive."""
        leg = self._legs.get(getattr(inp, "offer_id", None) or getattr(inp, "leg_id", None)
                             or "")
        call = self._calls.get(leg.call_id if leg is not None else getattr(inp, "call_id", ""))
        if call is None:
            return 0.0
        return max(call.started_at, call.entered_at, call.answered_at or 0.0,
                   call.hold_since or 0.0, leg.started_at if leg is not None else 0.0)

    # ------------------------------------------------------------------------------ views

    def agent(self, agent_id: int) -> AgentView | None:
        agent = self._agents.get(agent_id)
        return AgentView.of(agent) if agent is not None else None

    def agents(self) -> list[AgentView]:
        return [AgentView.of(a) for a in self._agents.values()]

    def call(self, call_id: str) -> CallView | None:
        call = self._calls.get(call_id)
        return CallView.of(call) if call is not None else None

    def calls(self) -> list[CallView]:
        return [CallView.of(c) for c in self._calls.values()]

    def queue(self, group_id: int) -> list[str]:
        """Waiting call ids of a group, head first."""
        group = self._groups.get(group_id)
        return list(group.queue) if group is not None else []

    def group_ids(self) -> list[int]:
        return sorted(self._groups)

    def pending_timers(self) -> dict[str, str]:
        """Timers the adapter should have running (id -> kind): for reconciliation."""
        return {tid: kind.value for tid, (kind, _) in self._timers.items()}

    def live_legs(self) -> list[str]:
        """Channel ids of every agent/outbound leg the engine considers alive (C3, C9)."""
        return list(self._legs)
