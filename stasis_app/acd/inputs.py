"""Engine inputs: what happened, as told by the adapter (ARI side) or the web (CRM side).

Every input carries ``now`` (seconds, any epoch, non-decreasing): the engine never
reads a clock, so every test and replay is deterministic.  All fields are
keyword-only to keep call sites readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import AgentState, FailReason, GroupConfig, PhoneState, Target


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
class PhoneStateChanged(Input):
    """Asterisk's device/endpoint state of a phone (by extension), or what an originate
    found (an unreachable endpoint). ``unknown`` never hides a phone found unreachable."""

    extension: str
    state: PhoneState


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
    arrived_at: float | None = None  # an earlier first try (the dialplan retried): counts
    identified: bool = True  # False: the caller's lookup follows (CallerIdentified)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerIdentified(Input):
    """The CRM lookup of a caller's number, done beside the call (a slow or absent database
    never delays an offer): the client, and the agent to offer it first (B10)."""

    call_id: str
    client_id: int | None = None
    preferred_agent_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerHungUp(Input):
    """The caller's channel is gone (StasisEnd / ChannelDestroyed). ``at``: when, if that was
    earlier than ``now`` (learnt after a disconnection: the records get the real time)."""

    call_id: str
    at: float | None = None


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
    at: float | None = None  # as CallerHungUp.at


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRejectOffer(Input):
    """C5: the agent pressed 'reject' (ringing: next agent; on the call: back to queue head)."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentHangup(Input):
    """The agent pressed 'hang up' in the console: ends its current call."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentHold(Input):
    """B11: the agent puts its caller on hold (music for the caller, silence for the agent)."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentResume(Input):
    """B11: the caller on hold talks with its agent again."""

    agent_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentMute(Input):
    """B11: the far end stops (``muted``) or starts again hearing the agent."""

    agent_id: int
    muted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSendDtmf(Input):
    """B11: the agent sends ``digits`` ([0-9*#A-D], 1 to 32) to the party it talks with."""

    agent_id: int
    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectFailed(Input):
    """Asterisk did not put ``leg_id`` in a bridge with the call (addChannel refused or timed
    out): the engine must not believe they talk."""

    call_id: str
    leg_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkChanged(Input):
    """The ARI link went down or came back. While it is down nothing is offered: an agent's
    phone could not be rung, and each failed ring would be a miss the agent never had, with
    the call offered again at once (a ring-fail loop for as long as the link is down)."""

    up: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldFailed(Input):
    """Asterisk did not answer / hold / play to the caller even after retries: the engine
    cannot control that caller any more."""

    call_id: str


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
class PhoneDialed(Input):
    """An agent's phone dialled ``number`` (its channel ``channel_id`` waits in Stasis,
    unanswered). ``extension``: the phone's, as the agent dial template names it; empty when
    the channel is no phone of that template."""

    channel_id: str
    extension: str
    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneTransfer(Input):
    """The transfer key of the phone on channel ``leg_id`` (a SIP REFER reaching the app as
    ARI ChannelTransfer). Blind: ``destination`` is what was dialled (an agent's extension, a
    group's number, an outside number). Attended (REFER with Replaces): the phone's
    consultation is to take its place; ``replaces`` names its channel when Asterisk found it."""

    leg_id: str
    destination: str = ""
    attended: bool = False
    replaces: str | None = None


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
    at: float | None = None  # as CallerHungUp.at


# ---------------------------------------------------------- after a restart or a takeover


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreAgent(Input):
    """An agent logged in before this process started (from the records): back in the ACD in
    the state the records give, without a new state change. A wrap-up resumes until
    ``wrapup_until``; RINGING / ON_CALL are placeholders the adopted calls confirm, and any
    left unconfirmed at ``AdoptionDone`` become available."""

    agent_id: int
    extension: str
    groups: Mapping[int, int] = field(default_factory=dict)
    state: AgentState = AgentState.AVAILABLE
    reason: str = ""
    since: float = 0.0
    wrapup_of: str | None = None
    wrapup_until: float | None = None
    # ON_CALL whose call ended while no process watched: when it really ended (the agent is
    # free from then on, not from this restart), if Asterisk noted it.
    call_ended_at: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptCall(Input):
    """A call found live in Asterisk after a restart: a caller waiting in a group's holding
    bridge (no agent), or talking with an agent leg in the call's bridge, or handed to an
    outside number (``external_leg_id``); click-to-call calls have no caller channel and
    both an agent leg and an external leg. ``journaled``: its record exists already (else
    it is created now). ``answered_at`` of a call with an agent whose record has no answer
    is the agent leg's creation: the answer came later, but before the restart."""

    call_id: str
    direction: str = "inbound"
    group_id: int | None = None
    caller_number: str = ""
    caller_name: str = ""
    client_id: int | None = None
    started_at: float = 0.0
    entered_at: float = 0.0
    answered_at: float | None = None
    agent_id: int | None = None
    leg_id: str | None = None
    external_leg_id: str | None = None
    external_number: str = ""
    bridge_id: str | None = None
    journaled: bool = True
    # The record has the answer. A process killed right after an answer may not have
    # written it: the call is answered again now, at ``answered_at``.
    answer_journaled: bool = True
    # The record has the queue entry (same cause: the entry fact lost at a kill -9).
    queue_journaled: bool = True
    # B11: the caller was on hold (out of the bridge, on its music) when the previous
    # process went: it stays on hold, its hold time counted from now.
    held: bool = False
    # False: a waiting caller found in no bridge (it arrived as the previous process went,
    # or was being offered on arrival, before its music): it is answered and queued now.
    in_holding_bridge: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptionDone(Input):
    """Every live call has been adopted: agents still marked ringing or on a call without one
    are free again."""
