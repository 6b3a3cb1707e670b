"""Engine inputs: what happened, as told by the adapter (ARI side) or the web (CRM side).

Every input carries ``now`` (seconds, any epoch, non-decreasing): the engine never
reads a clock, so every test and replay is deterministic.  All fields are
keyword-only to keep call sites readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import AgentState, FailReason, GroupConfig, Target


@dataclass(frozen=True, slots=True, kw_only=True)
class Input:
    now: float


# ------------------------------------------------------------------------------ configuration


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigureGroup(Input):
    """Create or replace a group's settings (existing calls keep their running timers)."""

    config: GroupConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveGroup(Input):
    """Delete a group; refused while a call is in it. Agents just lose the membership."""

    group_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetDailyCounters(Input):
    """Midnight: 'calls taken today' (fewest_calls) restarts at zero."""


# --------------------------------------------------------------------------------- agents


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogin(Input):
    """S6: agent gives its extension and starts available or paused."""

    agent_id: int
    extension: str
    groups: Mapping[int, int] = field(default_factory=dict)  # group id -> penalty
    initial_state: AgentState = AgentState.AVAILABLE
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogout(Input):
    """S9. Ringing: the offer is cancelled; on a call: deferred to the call's end."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPause(Input):
    """Ringing: the offer is cancelled; on a call: deferred to the call's end."""

    agent_id: int
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentUnpause(Input):
    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentWrapupDone(Input):
    """The agent ends its wrap-up before the timer does."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentWrapupExtend(Input):
    """The agent needs more time to wrap up: its wrap-up now ends ``seconds`` after ``now``
    (the caller works out the new end from the time left). Refused outside a wrap-up."""

    agent_id: int
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateAgentGroups(Input):
    """Administration changed a logged-in agent's groups or penalties."""

    agent_id: int
    groups: Mapping[int, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorForceLogout(Input):
    """Same rules as AgentLogout (deferred on a call); recorded with the supervisor id."""

    agent_id: int
    supervisor_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorForcePause(Input):
    agent_id: int
    supervisor_id: int
    reason: str = "supervisor"


# ------------------------------------------------------------------------------- inbound calls


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEntered(Input):
    """C1: a caller's channel entered Stasis for ``group`` (id, name or number).

    ``call_id`` is the caller's channel id. ``client_id`` / ``preferred_agent_id`` come from
    the CRM lookup of the caller number (B10 sticky routing)."""

    call_id: str
    group: int | str
    caller_number: str
    caller_name: str = ""
    client_id: int | None = None
    preferred_agent_id: int | None = None
    note_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerHungUp(Input):
    """The caller's channel is gone (StasisEnd / ChannelDestroyed)."""

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachClient(Input):
    """S7: the agent attached the call to a client record; transfers carry it along."""

    call_id: str
    client_id: int | None
    note_ref: str | None = None


# -------------------------------------------------------------------------------- agent legs


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRinging(Input):
    """The agent leg ``offer_id`` is ringing: time for the screen pop."""

    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferAnswered(Input):
    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferFailed(Input):
    """The agent leg could not be set up or ended before answer."""

    offer_id: str
    reason: FailReason = FailReason.FAILED


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLegEnded(Input):
    """The agent leg ``offer_id`` hung up (before answer this counts as a failure)."""

    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRejectOffer(Input):
    """C5: the agent pressed 'reject' (ringing: next agent; on the call: back to queue head)."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentHangup(Input):
    """The agent pressed 'hang up' in the console: ends its current call."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerFired(Input):
    """A timer started by ``StartTimer`` expired (unknown/cancelled ids are ignored)."""

    timer_id: str


# ---------------------------------------------------------------------------------- transfers


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferBlind(Input):
    """C4 blind transfer. Exactly one of by_agent_id (must be the call's agent) or
    by_supervisor_id (forced, any call, even a waiting one)."""

    call_id: str
    target: Target
    by_agent_id: int | None = None
    by_supervisor_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendedConsult(Input):
    """C4 attended transfer, step 1: caller on hold, the agent talks to an agent or number."""

    call_id: str
    target: Target
    by_agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendedComplete(Input):
    call_id: str
    by_agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendedCancel(Input):
    call_id: str
    by_agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorForceReject(Input):
    """C5: the call's ringing offers or current agent are dropped; it goes back to the head
    of its queue."""

    call_id: str
    supervisor_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisorHangup(Input):
    call_id: str
    supervisor_id: int


# ------------------------------------------------------------------------ outbound (C6 etc.)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClickToCall(Input):
    """C6: ring the agent's phone, then dial ``number`` and bridge them."""

    agent_id: int
    number: str
    client_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundAnswered(Input):
    leg_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundFailed(Input):
    leg_id: str
    reason: str = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundLegEnded(Input):
    """An outbound leg hung up (before answer this counts as a failure)."""

    leg_id: str
