"""PROWEBCRM ACD engine: pure, I/O-free queueing and distribution of calls to agents.

``Engine.handle(input)`` takes one frozen input (each with ``now``) and returns a list of
outputs: commands for the adapter (ARI requests, timers), domain events (persistence, live
hub) and ``Refused`` for user mistakes (never an exception).

Decisions (see also the module docstrings of agents.py and transfers.py):

- Claims (R-claim): the first ``OfferAnswered`` of a call wins; the other ringing offers
  get ``CancelOffer`` and ``OfferEnded(cancelled)``; an ``OfferAnswered`` for an offer that
  is no longer live gets ``HangupLeg`` and nothing else.
- Misses: no answer (the engine's own ring timer, R-timers), busy, failed and phone
  reject count toward auto-pause (``autopause_after`` in a row, reason
  ``"auto-pause: no answer"``); a console reject, a withdrawal (pause/logout while ringing)
  or a cancellation do not. The call stays at its place in the queue (keeping
  ``entered_at``, so it is the head if it was) and is offered to another agent; the agents
  that missed it are only tried again when nobody else is available, after the group's
  ``retry_s`` (a ``retry`` timer) — this prevents an instant re-ring loop.
- Phone state: ``PhoneStateChanged`` (Asterisk's device/endpoint state, by extension)
  keeps an available agent out of distribution while the phone is ``unreachable`` or
  ``in_use`` by a call the app did not make, and offers it again once ``idle``;
  ``unknown`` counts as reachable. An originate that finds the endpoint unreachable
  (``OfferFailed(unreachable)``) marks the phone so, and is no miss. A busy answer (486)
  keeps that phone from ringing for the same caller for the group's ``retry_s``.
- Logout/pause: while ringing → offer withdrawn, applies at once; on a call → deferred to
  the call's end (``AgentChangeDeferred``); a deferred logout skips wrap-up.
- Reject while connected (agent or supervisor force-reject): the call goes back to the
  *head* of its queue as a new queue segment, the agent goes to wrap-up (it did handle part
  of the call) or straight to available when ``wrapup_s`` is 0, and is not offered the same
  call again while others are available. Force-reject of ringing offers: the offers end
  ``rejected`` (not counted as misses), the call is moved to the head of its queue.
- Wrap-up: ``wrapup_s`` of the call's group, then available (or the deferred pause/logout);
  ``AgentWrapupDone`` ends it early. ``wrapup_s == 0`` → available at once.
- Admission: unknown group → ``Refused(unknown_group)`` and the engine does not own the
  channel (the adapter continues it in the dialplan). ``join_empty=False`` with no agent
  logged in (paused counts as logged in), or ``max_callers`` reached → overflow.
  ``leave_when_empty``: when the last logged-in member leaves, waiting calls overflow.
  ``max_wait_s`` → overflow. Overflow to a group re-queues inside the engine (a loop or an
  unknown group falls back to hang-up); to a number → ``DialOutbound`` then the caller is
  bridged with it; goodbye → ``PlayAndHangup``; none → ``HangupCall``.
- Sticky (B10): when ``sticky_s > 0`` and ``CallEntered.preferred_agent_id`` is a logged-in
  member of the group, the call is offered only to that agent (before any other call gets
  it) for ``sticky_s`` seconds; then, or when that agent misses it or logs out, to anyone.
- Click-to-call: ``c2c-N`` call, agent leg first (state ringing), then ``DialOutbound`` to
  the client, then ``ConnectLegs``. It does not count in ``calls_taken``; afterwards the
  agent returns to the state it had (available or paused), without wrap-up. Outbound calls
  cannot be transferred.
- ``CallEnded.outcome``: ``transferred`` if handed to an outside number by a transfer,
  ``overflowed`` if handed to (or failing to reach) an overflow number, else ``answered`` if
  an agent ever answered (click-to-call: the client answered), else ``abandoned`` (caller
  hung up while waiting), ``timed_out`` (max wait with overflow none/goodbye), ``failed``
  (click-to-call never connected) or ``rejected`` (refused at admission, supervisor hang-up
  before answer). Per-queue KPIs use the segment events (``CallQueued``, ``CallAnswered``
  with ``waited_s``, ``CallAbandoned``, ``CallOverflowed``).
"""

from .core import EngineSettings
from .engine import Engine
from .inputs import (
    AdoptCall,
    AdoptionDone,
    AgentHangup,
    AgentLegEnded,
    AgentLogin,
    AgentLogout,
    AgentPause,
    AgentRejectOffer,
    AgentUnpause,
    AgentWrapupDone,
    AttachClient,
    AttendedCancel,
    AttendedComplete,
    AttendedConsult,
    CallEntered,
    CallerHungUp,
    CallerIdentified,
    ClickToCall,
    ConfigureGroup,
    Input,
    OfferAnswered,
    OfferFailed,
    OfferRinging,
    OutboundAnswered,
    OutboundFailed,
    OutboundLegEnded,
    PhoneDialed,
    PhoneStateChanged,
    PhoneTransfer,
    RemoveGroup,
    ResetDailyCounters,
    RestoreAgent,
    SupervisorForceLogout,
    SupervisorForcePause,
    SupervisorForceReject,
    SupervisorHangup,
    TimerFired,
    TransferBlind,
    UpdateAgentGroups,
)
from .model import (
    AUTO_PAUSE_REASON,
    AgentState,
    CallDirection,
    CallOutcome,
    CallState,
    FailReason,
    GroupConfig,
    LegPurpose,
    OfferResult,
    OverflowKind,
    OverflowTrigger,
    PhoneState,
    Strategy,
    Target,
    TargetKind,
    TimerKind,
    dialable,
)
from .outputs import (
    AgentChangeDeferred,
    AgentPhoneChanged,
    AgentStateChanged,
    AnswerAndHold,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallOverflowed,
    CallQueued,
    CallRejected,
    CallStarted,
    CallTransferred,
    CancelOffer,
    CancelTimer,
    ClientAttached,
    Command,
    ConnectCall,
    ConnectLegs,
    DestroyBridge,
    DialOutbound,
    Event,
    ExternalConnected,
    HangupCall,
    HangupLeg,
    HoldCaller,
    OfferEnded,
    OriginateAgent,
    Output,
    PlayAndHangup,
    QueueChanged,
    QueueEntry,
    Refused,
    ReturnToDialplan,
    RingPhone,
    ScreenPop,
    StartTimer,
    TransferProgress,
    TransferState,
)
from .views import (
    AgentView,
    CallView,
)

__all__ = [
    "AUTO_PAUSE_REASON",
    "AdoptCall",
    "AdoptionDone",
    "AgentChangeDeferred",
    "AgentHangup",
    "AgentLegEnded",
    "AgentLogin",
    "AgentLogout",
    "AgentPause",
    "AgentPhoneChanged",
    "AgentRejectOffer",
    "AgentState",
    "AgentStateChanged",
    "AgentUnpause",
    "AgentView",
    "AgentWrapupDone",
    "AnswerAndHold",
    "AttachClient",
    "AttendedCancel",
    "AttendedComplete",
    "AttendedConsult",
    "CallAbandoned",
    "CallAnswered",
    "CallDirection",
    "CallEnded",
    "CallEntered",
    "CallOffered",
    "CallOutcome",
    "CallOverflowed",
    "CallQueued",
    "CallRejected",
    "CallStarted",
    "CallState",
    "CallTransferred",
    "CallView",
    "CallerHungUp",
    "CallerIdentified",
    "CancelOffer",
    "CancelTimer",
    "ClickToCall",
    "ClientAttached",
    "Command",
    "ConfigureGroup",
    "ConnectCall",
    "ConnectLegs",
    "DestroyBridge",
    "DialOutbound",
    "Engine",
    "EngineSettings",
    "Event",
    "ExternalConnected",
    "FailReason",
    "GroupConfig",
    "HangupCall",
    "HangupLeg",
    "HoldCaller",
    "Input",
    "LegPurpose",
    "OfferAnswered",
    "OfferEnded",
    "OfferFailed",
    "OfferResult",
    "OfferRinging",
    "OriginateAgent",
    "OutboundAnswered",
    "OutboundFailed",
    "OutboundLegEnded",
    "Output",
    "OverflowKind",
    "OverflowTrigger",
    "PhoneDialed",
    "PhoneState",
    "PhoneStateChanged",
    "PhoneTransfer",
    "PlayAndHangup",
    "QueueChanged",
    "QueueEntry",
    "Refused",
    "RemoveGroup",
    "ResetDailyCounters",
    "RestoreAgent",
    "ReturnToDialplan",
    "RingPhone",
    "ScreenPop",
    "StartTimer",
    "Strategy",
    "SupervisorForceLogout",
    "SupervisorForcePause",
    "SupervisorForceReject",
    "SupervisorHangup",
    "Target",
    "TargetKind",
    "TimerFired",
    "TimerKind",
    "TransferBlind",
    "TransferProgress",
    "TransferState",
    "UpdateAgentGroups",
    "dialable",
]
