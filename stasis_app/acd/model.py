"""Enums, group configuration and the engine's internal mutable records.

Everything here is plain data: the state machine lives in ``core.py`` and the
handler modules.  The mutable records (``Agent``, ``Call``, ``Leg``, ``Group``)
are private to the engine; the outside world only sees the frozen inputs and
outputs and the read-only ``*View`` snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .index import AvailabilityIndex, Key


class AgentState(StrEnum):
    """C7 agent states; every transition is reported as an ``AgentStateChanged``."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"


class Strategy(StrEnum):
    """C8 distribution strategies."""

    RINGALL = "ringall"
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    LINEAR = "linear"
    PENALTY = "penalty"


class OverflowKind(StrEnum):
    NONE = "none"
    GROUP = "group"
    NUMBER = "number"
    GOODBYE = "goodbye"


class OverflowTrigger(StrEnum):
    """Why a call left its queue through the overflow destination."""

    MAX_WAIT = "max_wait"
    MAX_CALLERS = "max_callers"
    JOIN_EMPTY = "join_empty"
    LEAVE_WHEN_EMPTY = "leave_when_empty"
    GROUP_CLOSED = "group_closed"  # the group was deleted or deactivated


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallState(StrEnum):
    QUEUED = "queued"  # in a queue, nobody ringing
    OFFERING = "offering"  # in a queue, one or more agents ringing
    TRANSFERRING = "transferring"  # out of any queue, ringing a blind-transfer target agent
    CONNECTED = "connected"  # talking with an agent (or click-to-call: dialing/talking)
    CONSULTING = "consulting"  # caller on hold, its agent consults a target
    EXTERNAL = "external"  # handed to an outside number (transfer / overflow)
    ENDED = "ended"


# Where a call may go from each state (CallState): the engine's moves are checked against
# it (EngineCore._move) and the fuzz test demands that none breaks it. A call enters QUEUED
# (inbound), CONNECTED (click-to-call, adoption) or EXTERNAL (adoption).
_Q, _O, _T, _C, _K, _X, _E = (CallState.QUEUED, CallState.OFFERING, CallState.TRANSFERRING,
                              CallState.CONNECTED, CallState.CONSULTING, CallState.EXTERNAL,
                              CallState.ENDED)
CALL_TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    # rung, overflowed to a number, moved to an agent by a supervisor, or gone
    _Q: frozenset({_O, _X, _T, _E}),
    # answered, every offer failed (waits again), moved, overflowed, or gone
    _O: frozenset({_C, _Q, _T, _X, _E}),
    # the target took it, failed (head of the queue), moved again, or gone
    _T: frozenset({_C, _Q, _X, _E}),
    # consult, transfer (agent, group, number), the agent's leg lost (head of the queue), end
    _C: frozenset({_K, _T, _Q, _X, _E}),
    # back to the transferor, completed to an agent or a number, failed after completion
    _K: frozenset({_C, _X, _Q, _E}),
    # the number failed (head of the queue), or the call ended
    _X: frozenset({_Q, _E}),
    _E: frozenset(),
}


class LegPurpose(StrEnum):
    """Why a leg (agent offer or outbound dial) was created."""

    QUEUE = "queue"  # offer of a queued call
    TRANSFER = "transfer"  # blind transfer target
    CONSULT = "consult"  # attended transfer consultation target
    CLICK_TO_CALL = "click_to_call"
    OVERFLOW = "overflow"  # outbound dial to an overflow number


class OfferResult(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"  # the engine's own ring timer fired (R-timers)
    BUSY = "busy"
    REJECTED = "rejected"  # agent pressed reject, phone rejected, or supervisor force-reject
    FAILED = "failed"  # originate failed / leg vanished before answer
    CANCELLED = "cancelled"  # another agent took it, transfer/overflow/logout/pause
    CALLER_ABANDONED = "caller_abandoned"


class FailReason(StrEnum):
    """What the adapter knows about an agent leg that ended before answer."""

    BUSY = "busy"
    FAILED = "failed"
    REJECTED_BY_PHONE = "rejected_by_phone"
    # Asterisk could not even make the channel (an unregistered PJSIP endpoint: originate
    # answers "500 Allocation failed"): the phone is unreachable, not the agent missing it.
    UNREACHABLE = "unreachable"


class PhoneState(StrEnum):
    """What Asterisk says of an agent's phone (device/endpoint state, docs/architecture.md).

    Distribution skips an available agent whose phone is ``unreachable`` or ``in_use`` (a
    call the app did not make); ``unknown`` counts as reachable: a fresh PBX reports it
    until the phone is qualified."""

    UNKNOWN = "unknown"
    IDLE = "idle"
    IN_USE = "in_use"
    UNREACHABLE = "unreachable"


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    OVERFLOWED = "overflowed"
    TRANSFERRED = "transferred"
    REJECTED = "rejected"
    FAILED = "failed"  # outbound (click-to-call) that never connected


class TargetKind(StrEnum):
    AGENT = "agent"
    GROUP = "group"
    NUMBER = "number"


class TimerKind(StrEnum):
    RING_TIMEOUT = "ring_timeout"
    WRAPUP = "wrapup"
    MAX_WAIT = "max_wait"
    STICKY = "sticky"
    RETRY = "retry"
    OUTBOUND_TIMEOUT = "outbound_timeout"
    IDENTIFY = "identify"  # how long a sticky group waits for the caller's lookup
    QUEUE_VIEW = "queue_view"  # the next QueueChanged of a busy queue
    MUSIC = "music"  # a caller offered on arrival gets its queue's music if still waiting


AUTO_PAUSE_REASON = "auto-pause: no answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Transfer / consult destination: an agent id, a group (id, name or number) or a number."""

    kind: TargetKind
    value: int | str

    @classmethod
    def agent(cls, agent_id: int) -> Target:
        return cls(kind=TargetKind.AGENT, value=agent_id)

    @classmethod
    def group(cls, group: int | str) -> Target:
        return cls(kind=TargetKind.GROUP, value=group)

    @classmethod
    def number(cls, number: str) -> Target:
        return cls(kind=TargetKind.NUMBER, value=number)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupConfig:
    """C8 settings of one group (= one queue). Durations in seconds; 0 disables a limit."""

    id: int
    name: str
    number: str = ""
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout_s: float = 20.0
    wrapup_s: float = 0.0
    autopause_after: int = 0
    max_wait_s: float = 0.0
    max_callers: int = 0
    overflow_kind: OverflowKind = OverflowKind.NONE
    # group id / name / number for GROUP, digits for NUMBER, media URI for GOODBYE
    overflow_target: str = ""
    moh_class: str = "default"
    join_empty: bool = True
    leave_when_empty: bool = False
    sticky_s: float = 0.0
    # Delay before a call is offered again to an agent that already missed it when no other
    # agent is available (app_queue's "retry"); prevents an instant re-ring storm on a phone
    # that fails at once.
    retry_s: float = 5.0
    # Member order for ``linear`` and ``round_robin`` (agent ids); unlisted agents come after,
    # by agent id.
    member_order: tuple[int, ...] = ()
    # What outside numbers see on this group's outbound legs (transfer or consultation to a
    # number, overflow, its agents' click-to-calls): "Name" <number> or a number; empty: the
    # global setting (PROWEBCRM_OUTBOUND_CALLER_ID), and for a transfer the customer's number.
    outbound_caller_id: str = ""

    def problems(self) -> list[str]:
        """Configuration mistakes, as human-readable messages (empty when valid)."""
        out: list[str] = []
        if not self.name:
            out.append("group name is empty")
        if self.number and not self.number.isdigit():
            out.append(f"group number {self.number!r} is not digits")
        for attr in ("ring_timeout_s", "wrapup_s", "max_wait_s", "sticky_s", "retry_s"):
            if getattr(self, attr) < 0:
                out.append(f"{attr} must be >= 0")
        if self.ring_timeout_s <= 0:
            out.append("ring_timeout_s must be > 0")
        if self.autopause_after < 0 or self.max_callers < 0:
            out.append("autopause_after and max_callers must be >= 0")
        if self.overflow_kind in (OverflowKind.GROUP, OverflowKind.NUMBER) and not (
            self.overflow_target
        ):
            out.append(f"overflow {self.overflow_kind} needs a target")
        if self.overflow_kind is OverflowKind.NUMBER and not dialable(self.overflow_target):
            out.append(f"overflow number {self.overflow_target!r} is not dialable")
        return out


def dialable(number: str) -> bool:
    """True for a plausible dial string: optional '+', then digits, '*' or '#'."""
    digits = number[1:] if number.startswith("+") else number
    return bool(digits) and all(c.isdigit() or c in "*#" for c in digits)


# --------------------------------------------------------------------------- internal records


@dataclass(slots=True, eq=False)
class Agent:
    agent_id: int
    extension: str
    groups: dict[int, int]  # group id -> penalty
    state: AgentState
    state_since: float
    reason: str
    idle_since: float  # last call end, else login time: the longest-idle key
    calls_taken: int = 0
    missed: int = 0  # consecutive unanswered offers (auto-pause)
    leg_id: str | None = None  # the agent leg (offer id) ringing or answered
    call_id: str | None = None  # the call that leg belongs to
    wrapup_timer: str | None = None
    pending_pause: str | None = None  # pause requested during a call: applied after it
    pending_logout: bool = False
    resume_state: AgentState | None = None  # state to return to after a click-to-call
    resume_reason: str = ""
    wrapup_of: str | None = None  # the call the current wrap-up follows
    # Restored as ringing / on a call, waiting for its call to be adopted (or AdoptionDone).
    restoring: bool = False
    restored_call_end: float | None = None  # RestoreAgent.call_ended_at
    phone: PhoneState = PhoneState.UNKNOWN  # what Asterisk last said of the agent's phone

    @property
    def phone_free(self) -> bool:
        """Whether distribution may ring the phone (when the agent is available)."""
        return self.phone is PhoneState.IDLE or self.phone is PhoneState.UNKNOWN


@dataclass(slots=True, eq=False)
class Leg:
    """A channel the engine asked for: an agent offer (agent_id set) or an outbound dial."""

    leg_id: str
    call_id: str
    purpose: LegPurpose
    started_at: float
    agent_id: int | None = None
    number: str = ""
    group_id: int | None = None  # group whose settings apply (ring timeout, auto-pause)
    ringing: bool = False
    answered: bool = False
    timer_id: str | None = None


@dataclass(slots=True, eq=False)
class Call:
    call_id: str
    direction: CallDirection
    group_id: int | None
    caller_number: str
    caller_name: str
    client_id: int | None
    note_ref: str | None
    preferred_agent_id: int | None
    started_at: float
    entered_at: float  # entry into the current queue segment
    state: CallState = CallState.QUEUED
    in_queue: bool = False
    answered_by_app: bool = False  # AnswerAndHold sent
    # Where the caller waits: (MOH class, group whose holding bridge, or None for music of its
    # own); None while in the call's mixing bridge.
    held: tuple[str, int | None] | None = None
    # Offered on arrival: answered but not yet in the holding bridge; where it will wait if
    # the agent has not answered when music_timer fires.
    music_due: tuple[str, int | None] | None = None
    music_timer: str | None = None
    legs: dict[str, None] = field(default_factory=dict)  # live leg ids, in creation order
    agent_id: int | None = None  # agent talking with the caller
    agent_leg: str | None = None
    last_agent_id: int | None = None
    consult_leg: str | None = None  # agent offer or outbound leg consulted (attended)
    consult_by: int | None = None
    complete_on_answer: bool = False  # transferor hung up during a consult
    # A consultation the agent dialled from the phone (its transfer key, C4): the phone's
    # second channel, bridged with the target apart from the call (consult_bridge).
    consult_phone: str | None = None
    consult_bridge: str | None = None
    external_leg: str | None = None  # outbound leg the caller is handed to
    exit_kind: LegPurpose | None = None  # TRANSFER / OVERFLOW once handed to a number
    bridge_id: str | None = None
    first_offered_at: float | None = None
    answered_at: float | None = None
    offers_made: int = 0
    declined: set[int] = field(default_factory=set)
    # Agents whose phone answered busy (486) to this caller -> until when they are not rung
    # for it again (the group's retry_s after the busy answer), whoever else is free.
    busy_until: dict[int, float] = field(default_factory=dict)
    sticky_until: float | None = None
    max_wait_timer: str | None = None
    sticky_timer: str | None = None
    retry_timer: str | None = None
    visited: set[int] = field(default_factory=set)  # overflow loop guard
    transferred_from: int | None = None  # agent who blind-transferred it (screen pop)
    abandon_group: int | None = None
    # The CRM lookup of the caller's number runs beside the call (never before its first
    # offer): until it answers, screen pops wait, and a sticky group holds the call back.
    identified: bool = True
    awaiting_id: bool = False
    identify_timer: str | None = None
    # B11: the agent put the caller on hold (music of its own, out of the bridge): since when,
    # and the seconds of the hold periods already over (the record's hold_s).
    hold_since: float | None = None
    hold_s: float = 0.0
    agent_muted: bool = False  # the caller does not hear the agent (agent leg muted "in")


@dataclass(slots=True, eq=False)
class Group:
    config: GroupConfig
    members: dict[int, int] = field(default_factory=dict)  # logged-in agent -> penalty
    queue: list[str] = field(default_factory=list)  # waiting call ids, head first
    index: AvailabilityIndex = field(default_factory=AvailabilityIndex)
    rr_last: Key | None = None  # round-robin memory: key of last agent offered
    sticky_calls: int = 0  # waiting calls still inside their sticky window
    closed: bool = False  # deleted or deactivated: takes no call, goes once its calls end
    ranks: dict[int, int] = field(default_factory=dict)  # agent id -> position in member_order
    # QueueChanged at most once per queue_view_s: the timer of the last one, and whether the
    # queue changed since (a burst of callers is one snapshot, not one per caller).
    view_timer: str | None = None
    view_stale: bool = False

    def __post_init__(self) -> None:
        self.ranks = {a: i for i, a in enumerate(self.config.member_order)}
