"""Engine state and the low-level primitives: ids, timers, agent state changes, legs.

Layering (each a mixin over the previous one): ``EngineCore`` (this module) →
``QueueOps`` (queueing.py: availability, queues, overflow, call end, dispatch) →
``AgentHandlers`` / ``CallHandlers`` → ``TransferHandlers`` → ``Engine`` (engine.py maps
each input type to its handler).

Conventions used throughout:
- ``self._now`` is the ``now`` of the input being handled; outputs go to ``self._out``
  in causal order.
- Groups whose available agents or waiting calls changed are marked in ``self._dirty``;
  dispatch runs once at the end of each input (``_flush``), then one ``QueueChanged`` per
  group whose queue content changed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .model import (
    CALL_TRANSITIONS,
    Agent,
    AgentState,
    Call,
    CallState,
    Group,
    Leg,
    LegPurpose,
    OfferResult,
    PhoneState,
    TimerKind,
)
from .outputs import (
    AgentStateChanged,
    CallAnswered,
    CallOffered,
    CallResumed,
    CancelOffer,
    CancelTimer,
    ConnectCall,
    DestroyBridge,
    DialOutbound,
    HangupLeg,
    OfferEnded,
    OriginateAgent,
    Output,
    Refused,
    StartTimer,
)
from .strategies import agent_key


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    """Engine-wide settings that belong to no group."""

    id_prefix: str = ""  # e.g. a boot id: minted channel/bridge ids stay unique across restarts
    outbound_timeout_s: float = 60.0  # outbound legs (overflow/transfer/consult/click-to-call)
    agent_ring_timeout_s: float = 20.0  # agent legs with no group (click-to-call)
    identify_wait_s: float = 0.5  # a sticky group's wait for the caller's lookup
    # A caller offered on arrival waits this long (answered, in silence) before joining its
    # queue's holding bridge: an agent who answers sooner takes it straight from arrival, with
    # no join and leave of the holding bridge (under a burst, most of Asterisk's work).
    music_delay_s: float = 0.5
    # A queue's snapshot (QueueChanged) goes out at once, then at most this often while it
    # keeps changing: snapshots of every entry for every caller of a burst cost O(n^2).
    queue_view_s: float = 0.25
    goodbye_media: str = "sound:vm-goodbye"  # goodbye overflow without a configured target


class EngineCore:
    def __init__(
        self, *, rng: random.Random | None = None, settings: EngineSettings | None = None
    ) -> None:
        self._rng = rng if rng is not None else random.Random(0)
        self._settings = settings or EngineSettings()
        self._seq = 0
        self._groups: dict[int, Group] = {}
        self._aliases: dict[str, int] = {}  # group name (casefolded) / number -> id
        self._agents: dict[int, Agent] = {}
        self._calls: dict[str, Call] = {}
        self._legs: dict[str, Leg] = {}
        self._timers: dict[str, tuple[TimerKind, str | int]] = {}
        self._out: list[Output] = []
        self._now = 0.0
        self._dirty: set[int] = set()
        self._link_up = True  # LinkChanged: nothing is offered while Asterisk is out of reach
        self._queue_dirty: set[int] = set()
        self._collectable: set[int] = set()  # closed groups with no call left
        self._arrivals: list[str] = []  # callers whose music waits for this step's dispatch
        # What Asterisk last said of each phone (by extension), known before or after its
        # agent logs in; and the agents that logged in with each extension.
        self._phones: dict[str, PhoneState] = {}
        self._phone_agents: dict[str, set[int]] = {}
        # Call state changes the transition table does not allow (model.CALL_TRANSITIONS):
        # made anyway (the engine must go on), counted, and the fuzz test demands none.
        self.illegal_moves: list[tuple[str, CallState, CallState]] = []

    # ------------------------------------------------------------------------------ basics

    def _new_id(self, kind: str) -> str:
        # Fixed width: no id may start with another. Asterisk 22 checks a new channel's
        # assigned id against the live ones by prefix (channelstorage.c, get_by_uniqueid:
        # strncasecmp over the new id's length), so with "offer-2" made while "offer-20"
        # was up, the originate failed with 409 "Channel with given unique ID already exists".
        self._seq += 1
        return f"{self._settings.id_prefix}{kind}-{self._seq:09d}"

    def _emit(self, output: Output) -> None:
        self._out.append(output)

    def _refuse(self, code: str, message: str, request: object) -> None:
        self._out.append(Refused(code=code, message=message, request=request))

    def _start_timer(self, kind: TimerKind, ref: str | int, delay_s: float) -> str:
        timer_id = self._new_id("timer")
        self._timers[timer_id] = (kind, ref)
        self._emit(StartTimer(timer_id=timer_id, delay_s=delay_s, kind=kind))
        return timer_id

    def _cancel_music(self, call: Call) -> None:
        """The caller offered on arrival will not need its delayed music (see music_delay_s)."""
        call.music_due = None
        self._cancel_timer(call.music_timer)
        call.music_timer = None

    def _cancel_timer(self, timer_id: str | None) -> None:
        if timer_id is not None and self._timers.pop(timer_id, None) is not None:
            self._emit(CancelTimer(timer_id=timer_id))

    def _resolve_group(self, ref: int | str) -> Group | None:
        """An open group by id, name or number (a closed one takes no call)."""
        if isinstance(ref, int):
            group = self._groups.get(ref)
        else:
            gid = self._aliases.get(ref.casefold())
            if gid is None and ref.isdigit():
                gid = int(ref)
            group = self._groups.get(gid) if gid is not None else None
        return group if group is not None and not group.closed else None

    def _ring_timeout(self, group_id: int | None) -> float:
        group = self._groups.get(group_id) if group_id is not None else None
        return group.config.ring_timeout_s if group else self._settings.agent_ring_timeout_s

    # ------------------------------------------------------------------------------ agents

    def _move(self, call: Call, new: CallState) -> None:
        """Every change of a call's state goes here, checked against the table."""
        if new is not call.state and new not in CALL_TRANSITIONS[call.state]:
            self.illegal_moves.append((call.call_id, call.state, new))
        call.state = new

    def _set_state(
        self, agent: Agent, new: AgentState, reason: str = "", call_id: str | None = None
    ) -> None:
        """The only place an agent's state changes: keeps the availability indexes exact."""
        old = agent.state
        wrapup_of = None
        if old is AgentState.WRAPUP and new is not AgentState.WRAPUP:
            wrapup_of, agent.wrapup_of = agent.wrapup_of, None
        if new is AgentState.WRAPUP:
            agent.wrapup_of = call_id
        if old is AgentState.AVAILABLE and new is not AgentState.AVAILABLE:
            for gid in agent.groups:
                self._groups[gid].index.remove(agent.agent_id)
        agent.state = new
        agent.state_since = self._now
        agent.reason = reason
        if new is AgentState.AVAILABLE and old is not AgentState.AVAILABLE and agent.phone_free:
            for gid in agent.groups:
                group = self._groups[gid]
                group.index.add(agent.agent_id, agent_key(group, agent))
                self._dirty.add(gid)
        self._emit(
            AgentStateChanged(
                at=self._now,
                agent_id=agent.agent_id,
                old=old,
                new=new,
                reason=reason,
                call_id=call_id,
                extension=agent.extension if new is not AgentState.LOGGED_OUT else "",
                wrapup_of=wrapup_of,
            )
        )

    def _rebuild_index(self, group: Group) -> None:
        group.index.clear()
        for agent_id in group.members:
            agent = self._agents[agent_id]
            if agent.state is AgentState.AVAILABLE and agent.phone_free:
                group.index.add(agent_id, agent_key(group, agent))
        self._dirty.add(group.config.id)

    # -------------------------------------------------------------------------------- legs

    def _offer(
        self, call: Call, agent: Agent, purpose: LegPurpose, group_id: int | None, sticky: bool
    ) -> Leg:
        """Ring one agent for ``call`` (the leg id is the agent channel id: R-ids)."""
        leg = Leg(
            leg_id=self._new_id("offer"),
            call_id=call.call_id,
            purpose=purpose,
            started_at=self._now,
            agent_id=agent.agent_id,
            group_id=group_id,
        )
        self._legs[leg.leg_id] = leg
        call.legs[leg.leg_id] = None
        call.offers_made += 1
        if call.first_offered_at is None and purpose is LegPurpose.QUEUE:
            call.first_offered_at = self._now
        agent.leg_id = leg.leg_id
        agent.call_id = call.call_id
        self._set_state(agent, AgentState.RINGING, purpose.value, call.call_id)
        timeout = self._ring_timeout(group_id)
        if call.bridge_id is None:
            call.bridge_id = self._new_id("bridge")
        self._emit(
            OriginateAgent(
                offer_id=leg.leg_id,
                call_id=call.call_id,
                agent_id=agent.agent_id,
                extension=agent.extension,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                timeout_s=timeout,
                purpose=purpose,
                bridge_id=call.bridge_id,
            )
        )
        leg.timer_id = self._start_timer(TimerKind.RING_TIMEOUT, leg.leg_id, timeout)
        self._emit(
            CallOffered(
                at=self._now,
                call_id=call.call_id,
                offer_id=leg.leg_id,
                agent_id=agent.agent_id,
                group_id=call.group_id,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                client_id=call.client_id,
                purpose=purpose,
                waited_s=self._now - call.entered_at,
                sticky=sticky,
            )
        )
        return leg

    def _dial_external(
        self, call: Call, number: str, purpose: LegPurpose, caller_id: str | None,
        listener: str | None = None, *, listener_is_phone: bool = False,
        internal: bool = False,
    ) -> Leg:
        leg = Leg(
            leg_id=self._new_id("out"),
            call_id=call.call_id,
            purpose=purpose,
            started_at=self._now,
            number=number,
        )
        self._legs[leg.leg_id] = leg
        call.legs[leg.leg_id] = None
        timeout = self._settings.outbound_timeout_s
        early_bridge = None
        if listener is not None and not listener_is_phone:
            # the bridge the answer connects them in, made now: early media flows through it
            if call.bridge_id is None:
                call.bridge_id = self._new_id("bridge")
            early_bridge = call.bridge_id
        self._emit(
            DialOutbound(
                leg_id=leg.leg_id,
                call_id=call.call_id,
                number=number,
                caller_id=self._group_caller_id(call.group_id) or caller_id,
                timeout_s=timeout,
                purpose=purpose,
                listener=listener,
                early_bridge=early_bridge,
                internal=internal,
            )
        )
        leg.timer_id = self._start_timer(TimerKind.OUTBOUND_TIMEOUT, leg.leg_id, timeout)
        return leg

    def _group_caller_id(self, group_id: int | None) -> str:
        """The group's outbound caller id: it wins over what the leg would show otherwise
        (the customer's number on a transfer), since the trunk may only accept own numbers."""
        group = self._groups.get(group_id) if group_id is not None else None
        return group.config.outbound_caller_id if group is not None else ""

    def _agent_caller_id(self, agent: Agent) -> str:
        """An agent's own outbound calls (no group): the caller id of the first of their
        groups that has one, by penalty then group id."""
        for group_id in sorted(agent.groups, key=lambda gid: (agent.groups[gid], gid)):
            caller_id = self._group_caller_id(group_id)
            if caller_id:
                return caller_id
        return ""

    def _forget_leg(self, leg: Leg) -> None:
        self._cancel_timer(leg.timer_id)
        leg.timer_id = None
        self._legs.pop(leg.leg_id, None)
        call = self._calls.get(leg.call_id)
        if call is not None:
            call.legs.pop(leg.leg_id, None)

    def _close_offer(self, leg: Leg, result: OfferResult, *, hangup: bool) -> None:
        """End an unanswered agent leg (the caller decides what the agent does next)."""
        self._forget_leg(leg)
        if hangup:
            self._emit(CancelOffer(offer_id=leg.leg_id))
        self._emit_offer_ended(leg, result)

    def _emit_offer_ended(self, leg: Leg, result: OfferResult) -> None:
        assert leg.agent_id is not None
        self._emit(
            OfferEnded(
                at=self._now,
                offer_id=leg.leg_id,
                call_id=leg.call_id,
                agent_id=leg.agent_id,
                purpose=leg.purpose,
                result=result,
                started_at=leg.started_at,
            )
        )

    def _drop_leg(self, leg: Leg, *, hangup: bool) -> None:
        """End an answered agent leg or an outbound leg."""
        self._forget_leg(leg)
        if hangup:
            self._emit(HangupLeg(leg_id=leg.leg_id))

    def _unanswered_offers(self, call: Call) -> list[Leg]:
        legs = (self._legs[i] for i in call.legs)
        return [leg for leg in legs if leg.agent_id is not None and not leg.answered]

    def _connect_agent(self, call: Call, agent: Agent, leg: Leg) -> None:
        """The agent answered: caller and agent leg into the call's mixing bridge."""
        self._move(call, CallState.CONNECTED)
        call.agent_id = agent.agent_id
        call.agent_leg = leg.leg_id
        call.last_agent_id = agent.agent_id
        if call.answered_at is None:
            call.answered_at = self._now
        agent.calls_taken += 1
        agent.missed = 0
        self._set_state(agent, AgentState.ON_CALL, leg.purpose.value, call.call_id)
        self._connect_caller(call, leg.leg_id)
        self._emit(
            CallAnswered(
                at=self._now,
                call_id=call.call_id,
                agent_id=agent.agent_id,
                offer_id=leg.leg_id,
                group_id=call.group_id,
                purpose=leg.purpose,
                waited_s=self._now - call.entered_at if leg.purpose is LegPurpose.QUEUE else 0.0,
            )
        )

    def _connect_caller(self, call: Call, leg_id: str) -> None:
        if call.bridge_id is None:
            call.bridge_id = self._new_id("bridge")
        self._cancel_music(call)
        call.held = None
        self._emit(ConnectCall(call_id=call.call_id, leg_id=leg_id, bridge_id=call.bridge_id))

    def _close_hold(self, call: Call, reason: str) -> None:
        """End the caller's hold period, if any: its seconds join the call's hold time.
        Whoever calls this decides where the caller goes next."""
        if call.hold_since is None:
            return
        held = max(0.0, self._now - call.hold_since)
        call.hold_since = None
        call.hold_s += held
        self._emit(CallResumed(at=self._now, call_id=call.call_id, agent_id=call.agent_id,
                               held_s=held, total_hold_s=call.hold_s, reason=reason))

    def _destroy_bridge(self, call: Call) -> None:
        if call.bridge_id is not None:
            self._emit(DestroyBridge(bridge_id=call.bridge_id))
            call.bridge_id = None
        if call.consult_bridge is not None:
            self._emit(DestroyBridge(bridge_id=call.consult_bridge))
            call.consult_bridge = None
