"""Engine outputs: commands (for the adapter to execute, in list order), domain events
(for persistence and the live hub) and ``Refused`` (a user mistake, never an exception).

Id conventions (R-ids): the engine mints every id it asks the adapter to create —
``offer-N`` (agent leg channel id), ``out-N`` (outbound leg channel id), ``bridge-N``,
``timer-N``, ``c2c-N`` (click-to-call call id) — prefixed by the engine's ``id_prefix``
so that ids stay unique across restarts.  The caller's channel id is the ``call_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .model import (
    AgentState,
    CallDirection,
    CallOutcome,
    CallState,
    LegPurpose,
    OfferResult,
    OverflowKind,
    OverflowTrigger,
    PhoneState,
    Target,
    TimerKind,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Output):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Output):
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Refused(Output):
    """The input was invalid in the current state; nothing changed."""

    code: str
    message: str
    request: object


# ----------------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerAndHold(Command):
    """Answer the caller's channel and make it wait: in group ``group_id``'s holding bridge
    (the queue, with that group's music), or on music of its own when ``group_id`` is None."""

    call_id: str
    moh_class: str
    group_id: int | None
    hold: bool = True  # False: answer only (offered on arrival; HoldCaller follows if needed)


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldCaller(Command):
    """Move the (answered) caller out of its mixing bridge to wait: in group ``group_id``'s
    holding bridge (back in a queue), or on music of its own when None (a consultation, a
    transfer or an overflow being dialled)."""

    call_id: str
    moh_class: str
    group_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateAgent(Command):
    """Originate the agent's endpoint with channel id ``offer_id`` (caller id = the caller).
    ``timeout_s`` is informative: the engine's own ring timer decides (R-timers)."""

    offer_id: str
    call_id: str
    agent_id: int
    extension: str
    caller_number: str
    caller_name: str
    timeout_s: float
    purpose: LegPurpose
    # The call's mixing bridge the leg will join on answer: the adapter creates it while the
    # phone rings, so the answer costs one request (addChannel), not two.
    bridge_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOffer(Command):
    """Hang up an agent leg that was not answered (or whose answer lost the race)."""

    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DialOutbound(Command):
    """Originate an outside number with channel id ``leg_id``. ``caller_id`` None: the
    adapter's default presentation."""

    leg_id: str
    call_id: str
    number: str
    caller_id: str | None
    timeout_s: float
    purpose: LegPurpose
    # Who waits to hear the number ring (an agent's answered leg, or a phone that dialled):
    # a phone gets ringing; an answered leg is put with the new leg in ``early_bridge``
    # before the number is dialled, so it hears the ringback and the far end's early media.
    listener: str | None = None
    early_bridge: str | None = None
    internal: bool = False  # ``number`` is a colleague's extension (agent dial template)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectCall(Command):
    """Stop the caller's MOH and make mixing bridge ``bridge_id`` (create it if needed, with
    that id) hold the caller and ``leg_id``."""

    call_id: str
    leg_id: str
    bridge_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MuteLeg(Command):
    """Stop (``muted``) or restore the audio channel ``leg_id`` sends into its bridge: the
    others in the call stop hearing it (ARI mute, direction "in")."""

    leg_id: str
    muted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SendDtmf(Command):
    """Send ``digits`` to channel ``channel_id`` (the caller, or the outside leg)."""

    channel_id: str
    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectLegs(Command):
    """Make mixing bridge ``bridge_id`` (created if needed) hold these legs (no caller):
    consultation (agent + target) and click-to-call (agent + client)."""

    bridge_id: str
    leg_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupLeg(Command):
    """Hang up an answered agent leg or an outbound leg (also a late, losing answer)."""

    leg_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HangupCall(Command):
    """Hang up the caller's channel (not sent when the caller already hung up)."""

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnToDialplan(Command):
    """Hand the caller back to the dialplan (the priority after Stasis) with
    PROWEBCRM_REFUSED=``reason``: the engine will not, or no longer, handle it (unknown or
    closed group, nobody to take it and no overflow), and the dialplan says so to the
    caller (R-fallback): no channel stays in Stasis unowned."""

    call_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayAndHangup(Command):
    """Answer if needed, play ``media`` (goodbye overflow), then hang up the caller."""

    call_id: str
    media: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RingPhone(Command):
    """Tell a phone that dialled (its channel waits unanswered) that the other side rings:
    it plays its own ringback (SIP 180)."""

    channel_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DestroyBridge(Command):
    bridge_id: str


class TransferState(StrEnum):
    """What the phone that pressed its transfer key is told (ARI transfer_progress: a SIP
    NOTIFY of the REFER's outcome)."""

    PROGRESS = "channel_progress"  # 100 Trying, the subscription stays active
    DONE = "channel_answered"  # 200 OK: the phone may hang up, the customer is taken care of
    DECLINED = "channel_declined"  # 603: the transfer did not happen, the call is still there


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferProgress(Command):
    """Tell the phone on channel ``channel_id`` how its transfer (REFER) went."""

    channel_id: str
    state: TransferState


@dataclass(frozen=True, slots=True, kw_only=True)
class StartTimer(Command):
    """Send ``TimerFired(timer_id)`` after ``delay_s``, unless cancelled first."""

    timer_id: str
    delay_s: float
    kind: TimerKind


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelTimer(Command):
    timer_id: str


# ------------------------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntry:
    """One waiting call in a ``QueueChanged`` snapshot (position = index + 1)."""

    call_id: str
    caller_number: str
    caller_name: str
    client_id: int | None
    entered_at: float
    state: CallState


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStarted(Event):
    """Once per call: create the call record."""

    call_id: str
    direction: CallDirection
    group_id: int | None
    caller_number: str
    caller_name: str
    client_id: int | None
    agent_id: int | None  # click-to-call: the agent placing it


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQueued(Event):
    """The call entered a queue (again after a transfer to a group or an overflow)."""

    call_id: str
    group_id: int
    position: int
    caller_number: str
    caller_name: str
    client_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueChanged(Event):
    """Full content of a group's queue, head first; sent once per input that changed it."""

    group_id: int
    entries: tuple[QueueEntry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered(Event):
    call_id: str
    offer_id: str
    agent_id: int
    group_id: int | None
    caller_number: str
    caller_name: str
    client_id: int | None
    purpose: LegPurpose
    waited_s: float
    sticky: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenPop(Event):
    """S7/C2: the agent's phone rings: push the record (client_id None = unknown caller)."""

    agent_id: int
    offer_id: str
    call_id: str
    caller_number: str
    caller_name: str
    client_id: int | None
    note_ref: str | None
    group_id: int | None
    purpose: LegPurpose
    transferred_from_agent_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferEnded(Event):
    offer_id: str
    call_id: str
    agent_id: int
    purpose: LegPurpose
    result: OfferResult
    started_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientAttached(Event):
    """The agent linked the call to a client record (picked, created, or carried by a
    transfer): the call's history and the client's must say so."""

    call_id: str
    client_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered(Event):
    """An agent took the call (purpose QUEUE: from the queue; waited_s = this queue
    segment's wait; TRANSFER/CONSULT: a transfer target took it)."""

    call_id: str
    agent_id: int
    offer_id: str
    group_id: int | None
    purpose: LegPurpose
    waited_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRejected(Event):
    """C5: an agent (forced=False) or a supervisor (forced=True) rejected the call."""

    call_id: str
    agent_id: int | None
    offer_id: str | None
    forced: bool
    supervisor_id: int | None
    while_connected: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTransferred(Event):
    """C4. The record follows: client_id / note_ref are popped to an agent target."""

    call_id: str
    from_agent_id: int | None
    target: Target
    by_agent_id: int | None
    by_supervisor_id: int | None
    forced: bool
    attended: bool
    client_id: int | None
    note_ref: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOverflowed(Event):
    call_id: str
    from_group_id: int
    kind: OverflowKind
    target: str
    trigger: OverflowTrigger
    waited_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned(Event):
    """Caller hung up while waiting in a queue (while_ringing: an agent was being rung)."""

    call_id: str
    group_id: int
    waited_s: float
    while_ringing: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalConnected(Event):
    """An outbound leg answered and is bridged (click-to-call, transfer/overflow to number)."""

    call_id: str
    leg_id: str
    number: str
    purpose: LegPurpose


@dataclass(frozen=True, slots=True, kw_only=True)
class CallHeld(Event):
    """B11: the agent put the caller on hold (the caller hears music)."""

    call_id: str
    agent_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallResumed(Event):
    """A hold period is over (``reason``: "resumed" by the agent, or the call left its agent:
    "ended", "transferred", "requeued", "consulting"); ``held_s`` counts in the record's hold
    time; ``total_hold_s``: the call's hold time so far."""

    call_id: str
    agent_id: int | None
    held_s: float
    total_hold_s: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentMuted(Event):
    """B11: the caller stopped (``muted``) or started again hearing the agent."""

    call_id: str
    agent_id: int
    muted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(Event):
    """Once per call. See engine docs for the outcome rules."""

    call_id: str
    direction: CallDirection
    group_id: int | None
    outcome: CallOutcome
    end_reason: str
    agent_id: int | None  # last agent who talked with the caller
    client_id: int | None
    caller_number: str
    started_at: float
    first_offered_at: float | None
    answered_at: float | None
    ended_at: float
    hold_s: float = 0.0  # B11: seconds the caller spent on hold by its agents


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged(Event):
    agent_id: int
    old: AgentState
    new: AgentState
    reason: str
    call_id: str | None
    extension: str = ""  # the phone the agent is logged in with (empty once logged out)
    wrapup_of: str | None = None  # leaving a wrap-up: the call it followed


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPhoneChanged(Event):
    """What Asterisk says of a logged-in agent's phone changed (``agent.phone_changed``):
    ``unreachable`` and ``in_use`` (a call the app did not make) keep an available agent out
    of distribution; ``offered`` says whether distribution may ring the phone now."""

    agent_id: int
    extension: str
    old: PhoneState
    phone: PhoneState
    offered: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentChangeDeferred(Event):
    """A pause or logout asked during a call; applied when the call (and wrap-up) ends."""

    agent_id: int
    pending: AgentState  # PAUSED or LOGGED_OUT
    reason: str
    supervisor_id: int | None
