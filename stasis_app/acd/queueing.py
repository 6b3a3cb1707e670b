"""Agent availability, queues, overflow, call end and dispatch (the heart of the ACD).

Sits on top of ``EngineCore`` (state, timers, leg primitives); the input handlers
(agents.py, calls.py, transfers.py) sit on top of this.
"""

from __future__ import annotations

import math
from dataclasses import replace

from .core import EngineCore
from .model import (
    AUTO_PAUSE_REASON,
    Agent,
    AgentState,
    Call,
    CallDirection,
    CallOutcome,
    CallState,
    Group,
    Leg,
    LegPurpose,
    OfferResult,
    OverflowKind,
    OverflowTrigger,
    PhoneState,
    TimerKind,
)
from .outputs import (
    AgentPhoneChanged,
    AnswerAndHold,
    CallEnded,
    CallOverflowed,
    CallQueued,
    DestroyBridge,
    HangupCall,
    HoldCaller,
    PlayAndHangup,
    QueueChanged,
    QueueEntry,
    ReturnToDialplan,
)
from .strategies import agent_key, select


class QueueOps(EngineCore):
    def _agent_ready(self, agent: Agent) -> None:
        """The agent has nothing left to do: apply pending requests, else available."""
        agent.leg_id = None
        agent.call_id = None
        if agent.pending_logout:
            self._logout(agent, "logout")
        elif agent.pending_pause is not None:
            reason, agent.pending_pause = agent.pending_pause, None
            agent.resume_state = None
            self._set_state(agent, AgentState.PAUSED, reason)
        elif agent.resume_state is not None:
            state, reason = agent.resume_state, agent.resume_reason
            agent.resume_state = None
            if state is AgentState.PAUSED:
                self._set_state(agent, state, reason)
            else:
                self._set_state(agent, AgentState.AVAILABLE)
        else:
            self._set_state(agent, AgentState.AVAILABLE)

    def _agent_missed(self, agent: Agent, group_id: int | None) -> None:
        """An offer went unanswered (no answer / busy / failed): auto-pause after N in a row."""
        agent.missed += 1
        group = self._groups.get(group_id) if group_id is not None else None
        limit = group.config.autopause_after if group else 0
        if limit and agent.missed >= limit and not agent.pending_logout:
            agent.missed = 0
            agent.leg_id = None
            agent.call_id = None
            agent.pending_pause = None
            self._set_state(agent, AgentState.PAUSED, AUTO_PAUSE_REASON)
        else:
            self._agent_ready(agent)

    def _agent_after_call(self, agent: Agent, group_id: int | None) -> None:
        """The agent's call is over: wrap-up (group's wrapup_s), then ready."""
        agent.idle_since = self._now
        finished_call = agent.call_id
        agent.leg_id = None
        agent.call_id = None
        group = self._groups.get(group_id) if group_id is not None else None
        wrapup = group.config.wrapup_s if group else 0.0
        if agent.pending_logout or agent.resume_state is not None or wrapup <= 0:
            self._agent_ready(agent)
            return
        # The wrap-up names the call it follows: its end is that call's wrap-up end (KPIs).
        self._set_state(agent, AgentState.WRAPUP, call_id=finished_call)
        agent.wrapup_timer = self._start_timer(TimerKind.WRAPUP, agent.agent_id, wrapup)

    def _logout(self, agent: Agent, reason: str) -> None:
        self._cancel_timer(agent.wrapup_timer)
        agent.wrapup_timer = None
        agent.pending_logout = False
        agent.pending_pause = None
        agent.resume_state = None
        self._set_state(agent, AgentState.LOGGED_OUT, reason)
        for gid in agent.groups:
            self._remove_member(self._groups[gid], agent.agent_id)

    def _remove_member(self, group: Group, agent_id: int) -> None:
        group.index.remove(agent_id)
        if group.members.pop(agent_id, None) is None:
            return
        self._dirty.add(group.config.id)  # sticky calls waiting for this agent move on
        if not group.members and group.config.leave_when_empty:
            for call_id in list(group.queue):
                self._overflow(self._calls[call_id], group, OverflowTrigger.LEAVE_WHEN_EMPTY)

    def _cancel_offers(self, call: Call, result: OfferResult) -> None:
        """Withdraw every ringing agent leg of the call; those agents are free again."""
        for leg in self._unanswered_offers(call):
            self._close_offer(leg, result, hangup=True)
            assert leg.agent_id is not None
            self._agent_ready(self._agents[leg.agent_id])

    def _offer_missed(self, leg: Leg, result: OfferResult, *, counted: bool, hangup: bool) -> None:
        """An agent leg ended unanswered: free the agent, then move the call on.

        ``counted``: the miss counts toward auto-pause (no answer, busy, failed, phone
        reject) — not an explicit reject from the console nor a withdrawal."""
        call = self._calls[leg.call_id]
        assert leg.agent_id is not None
        agent = self._agents[leg.agent_id]
        self._close_offer(leg, result, hangup=hangup)
        if leg.purpose is LegPurpose.QUEUE:
            self._decline(call, agent.agent_id, busy=result is OfferResult.BUSY)
            if call.preferred_agent_id == agent.agent_id:
                self._release_sticky(call)
            if call.state is CallState.OFFERING and not self._unanswered_offers(call):
                self._move(call, CallState.QUEUED)  # still at its place: the head if it was
                if call.group_id is not None:
                    self._queue_dirty.add(call.group_id)
            if call.group_id is not None:
                self._dirty.add(call.group_id)
        elif leg.purpose is LegPurpose.TRANSFER:
            self._requeue_head(call, agent.agent_id)
        elif leg.purpose is LegPurpose.CONSULT:
            if call.complete_on_answer:
                self._requeue_head(call, None)
            else:
                self._reconnect_transferor(call)
        else:  # click-to-call: the agent did not take its own call
            self._end_call(call, "agent_no_answer", CallOutcome.FAILED, hangup_caller=False)
        # the agent last: a pending logout may empty the group (leave_when_empty)
        if counted and leg.purpose is not LegPurpose.CLICK_TO_CALL:
            self._agent_missed(agent, leg.group_id)
        else:
            self._agent_ready(agent)

    # ------------------------------------------------------------------------ phone state

    def _phone_state(self, extension: str, state: PhoneState) -> None:
        """Asterisk's word on a phone: an available agent whose phone is unreachable or busy
        with a call the app did not make leaves distribution until it is free again."""
        old = self._phones.get(extension, PhoneState.UNKNOWN)
        if state is PhoneState.UNKNOWN and old is PhoneState.UNREACHABLE:
            return  # unknown (a fresh PBX, a re-read) says less than a failed ring did
        self._phones[extension] = state
        for agent_id in sorted(self._phone_agents.get(extension, ())):
            agent = self._agents.get(agent_id)
            if agent is None or agent.extension != extension or agent.phone is state:
                continue
            if agent.state is AgentState.LOGGED_OUT:
                agent.phone = state
                continue
            was = agent.phone_free
            before, agent.phone = agent.phone, state
            if agent.state is AgentState.AVAILABLE and was != agent.phone_free:
                for gid in agent.groups:
                    group = self._groups[gid]
                    if agent.phone_free:
                        group.index.add(agent_id, agent_key(group, agent))
                        self._dirty.add(gid)
                    else:
                        group.index.remove(agent_id)
            self._emit(AgentPhoneChanged(
                at=self._now, agent_id=agent_id, extension=extension, old=before,
                phone=state, offered=agent.phone_free))

    def _decline(self, call: Call, agent_id: int, *, busy: bool = False) -> None:
        """Remember that ``agent_id`` missed/refused ``call``: other agents are preferred
        for the group's ``retry_s`` after the last such miss. A busy answer (486) keeps that
        phone from ringing for this caller for the whole retry_s after it, even when nobody
        else is free and whatever the retry timer does."""
        call.declined.add(agent_id)
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        if busy and group is not None and group.config.retry_s > 0:
            call.busy_until[agent_id] = self._now + group.config.retry_s
        if group is not None and group.config.retry_s > 0:
            self._cancel_timer(call.retry_timer)
            call.retry_timer = self._start_timer(
                TimerKind.RETRY, call.call_id, group.config.retry_s
            )

    def _end_phone_consult(self, call: Call) -> None:
        """The phone's consultation channel and its bridge go (the transfer is done or
        off); the agent's first line, on hold on the phone, is what remains."""
        leg = self._legs.get(call.consult_phone or "")
        call.consult_phone = None
        if leg is not None:
            self._drop_leg(leg, hangup=True)
        if call.consult_bridge is not None:
            self._emit(DestroyBridge(bridge_id=call.consult_bridge))
            call.consult_bridge = None

    def _reconnect_transferor(self, call: Call) -> None:
        """The consultation is over without a transfer: caller back with its agent."""
        call.consult_leg = None
        call.consult_by = None
        self._end_phone_consult(call)
        self._move(call, CallState.CONNECTED)
        if call.agent_leg is not None:
            self._connect_caller(call, call.agent_leg)

    # ------------------------------------------------------------------------------ queues

    def _admit(self, call: Call, group: Group, since: float | None = None) -> None:
        """Join ``group``'s queue at the tail, or overflow when it refuses callers (C8).
        ``since``: the caller's earlier first try, from which its wait counts."""
        cfg = group.config
        call.visited.add(cfg.id)
        call.group_id = cfg.id
        if not cfg.join_empty and not group.members:
            self._overflow(call, group, OverflowTrigger.JOIN_EMPTY)
        elif cfg.max_callers and len(group.queue) >= cfg.max_callers:
            self._overflow(call, group, OverflowTrigger.MAX_CALLERS)
        else:
            self._insert(call, group, head=False, since=since)

    def _insert(self, call: Call, group: Group, *, head: bool, since: float | None = None
                ) -> None:
        """Start a queue segment: head=True for calls that go back (reject, failed transfer)."""
        cfg = group.config
        if call.in_queue:
            return
        self._hold(call, cfg.moh_class, cfg.id, arriving=True)
        call.group_id = cfg.id
        call.entered_at = since if since is not None else self._now
        self._move(call, CallState.QUEUED)
        call.in_queue = True
        call.declined.clear()
        call.exit_kind = None
        # A caller back from an earlier first try (the dialplan retried while the app was
        # away, or its StasisStart was lost) takes its place by that try, not behind the
        # callers who came after it and got in first.
        place = 0 if head else self._place_by_arrival(group, call.entered_at)
        group.queue.insert(place, call.call_id)
        self._queue_dirty.add(cfg.id)
        self._dirty.add(cfg.id)
        self._emit(
            CallQueued(
                at=call.entered_at,
                call_id=call.call_id,
                group_id=cfg.id,
                position=place + 1,
                caller_number=call.caller_number,
                caller_name=call.caller_name,
                client_id=call.client_id,
            )
        )
        if cfg.max_wait_s > 0:  # counted from the first try when the dialplan retried
            call.max_wait_timer = self._start_timer(
                TimerKind.MAX_WAIT, call.call_id,
                max(0.0, cfg.max_wait_s - (self._now - call.entered_at)))
        if cfg.sticky_s > 0 and not call.identified:
            # Whom it sticks to is not known yet: wait for the lookup, a little.
            call.awaiting_id = True
            call.identify_timer = self._start_timer(
                TimerKind.IDENTIFY, call.call_id, self._settings.identify_wait_s)
            return
        self._stick(call, group)

    def _stick(self, call: Call, group: Group) -> None:
        """B10: a known caller goes first to its preferred agent, for the group's sticky_s."""
        cfg = group.config
        pref = self._agents.get(call.preferred_agent_id) if call.preferred_agent_id else None
        if (
            cfg.sticky_s > 0
            and call.answered_at is None
            and pref is not None
            and pref.state is not AgentState.LOGGED_OUT
            and cfg.id in pref.groups
        ):
            call.sticky_until = self._now + cfg.sticky_s
            group.sticky_calls += 1
            call.sticky_timer = self._start_timer(TimerKind.STICKY, call.call_id, cfg.sticky_s)

    def _hold(self, call: Call, moh_class: str, group_id: int | None = None, *,
              arriving: bool = False) -> None:
        """Make sure the caller is answered and waiting, out of any mixing bridge: in group
        ``group_id``'s queue (its holding bridge), or on music of its own (None).
        ``arriving``: its first queue; the music may wait for the dispatch (_music_or_wait)."""
        where = (moh_class, group_id)
        self._cancel_music(call)
        if not call.answered_by_app:
            call.answered_by_app = True
            if arriving and group_id is not None and self._settings.music_delay_s > 0:
                self._emit(AnswerAndHold(call_id=call.call_id, moh_class=moh_class,
                                         group_id=group_id, hold=False))
                call.music_due = where
                self._arrivals.append(call.call_id)
                return
            self._emit(AnswerAndHold(call_id=call.call_id, moh_class=moh_class,
                                     group_id=group_id))
        elif call.held != where:
            self._emit(HoldCaller(call_id=call.call_id, moh_class=moh_class, group_id=group_id))
        call.held = where

    def _music_or_wait(self) -> None:
        """Callers that arrived in this step: one already ringing an agent gets its music only
        if still waiting after music_delay_s; the others join their queue now."""
        for call_id in self._arrivals:
            call = self._calls.get(call_id)
            if call is None or call.music_due is None:
                continue
            if call.state is CallState.OFFERING:
                call.music_timer = self._start_timer(TimerKind.MUSIC, call_id,
                                                     self._settings.music_delay_s)
            else:
                self._hold_on_answer(call)
        self._arrivals.clear()

    def _hold_on_answer(self, call: Call) -> None:
        """Nobody was offered: the answer sent in this step takes the caller to its queue too
        (one command, as when there is no delay)."""
        for n in range(len(self._out) - 1, -1, -1):
            out = self._out[n]
            if isinstance(out, AnswerAndHold) and out.call_id == call.call_id and not out.hold:
                self._out[n] = replace(out, hold=True)
                call.held, call.music_due = call.music_due, None
                return
        self._play_music(call)

    def _play_music(self, call: Call) -> None:
        where, call.music_due = call.music_due, None
        if where is not None:
            self._emit(HoldCaller(call_id=call.call_id, moh_class=where[0], group_id=where[1]))
            call.held = where

    def _group_moh(self, call: Call) -> str:
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        return group.config.moh_class if group else "default"

    def _release_sticky(self, call: Call) -> None:
        if call.sticky_until is None:
            return
        call.sticky_until = None
        self._cancel_timer(call.sticky_timer)
        call.sticky_timer = None
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        if group is not None:
            group.sticky_calls -= 1
            self._dirty.add(group.config.id)

    def _unqueue(self, call: Call) -> None:
        """Leave the queue (answered, abandoned, transferred, overflowed, ended)."""
        self._release_sticky(call)
        self._cancel_music(call)
        call.awaiting_id = False
        self._cancel_timer(call.identify_timer)
        call.identify_timer = None
        self._cancel_timer(call.max_wait_timer)
        self._cancel_timer(call.retry_timer)
        call.max_wait_timer = call.retry_timer = None
        if not call.in_queue:
            return
        call.in_queue = False
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        if group is not None:
            group.queue.remove(call.call_id)
            self._queue_dirty.add(group.config.id)

    def _place_by_arrival(self, group: Group, entered_at: float) -> int:
        """The queue index after every caller who entered ``group``'s queue by ``entered_at``."""
        queue = group.queue
        if not queue or self._calls[queue[-1]].entered_at <= entered_at:
            return len(queue)  # the usual arrival: now, at the tail
        for index, other in enumerate(queue):
            if self._calls[other].entered_at > entered_at:
                return index
        return len(queue)

    def _requeue_head(self, call: Call, declined_by: int | None) -> None:
        """Back to the head of the call's group (failed transfer, reject while connected)."""
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        call.consult_leg = None
        call.complete_on_answer = False
        if group is None:
            self._end_call(call, "group_removed", CallOutcome.REJECTED, hangup_caller=True)
            return
        self._insert(call, group, head=True)
        if declined_by is not None:
            self._decline(call, declined_by)

    def _overflow(self, call: Call, group: Group, trigger: OverflowTrigger) -> None:
        cfg = group.config
        self._unqueue(call)
        self._cancel_offers(call, OfferResult.CANCELLED)
        self._emit(
            CallOverflowed(
                at=self._now,
                call_id=call.call_id,
                from_group_id=cfg.id,
                kind=cfg.overflow_kind,
                target=cfg.overflow_target,
                trigger=trigger,
                waited_s=self._now - call.entered_at,
            )
        )
        kind = cfg.overflow_kind
        if kind is OverflowKind.GROUP:
            target = self._resolve_group(cfg.overflow_target)
            if target is not None and target.config.id not in call.visited:
                self._admit(call, target)
                return
            kind = OverflowKind.NONE  # unknown or looping overflow group: nowhere to go
        if kind is OverflowKind.NUMBER:
            self._hold(call, cfg.moh_class, None)
            self._move(call, CallState.EXTERNAL)
            call.exit_kind = LegPurpose.OVERFLOW
            leg = self._dial_external(call, cfg.overflow_target, LegPurpose.OVERFLOW, None)
            call.external_leg = leg.leg_id
            return
        outcome = (
            CallOutcome.TIMED_OUT if trigger is OverflowTrigger.MAX_WAIT else (CallOutcome.REJECTED)
        )
        if kind is OverflowKind.GOODBYE:
            media = cfg.overflow_target or self._settings.goodbye_media
            self._emit(PlayAndHangup(call_id=call.call_id, media=media))
        else:  # nowhere to go: the dialplan says why to the caller (R-fallback)
            self._emit(ReturnToDialplan(call_id=call.call_id, reason=trigger.value))
        self._end_call(call, trigger.value, outcome, hangup_caller=False)

    # ---------------------------------------------------------------------------- call end

    def _end_call(
        self,
        call: Call,
        reason: str,
        fallback: CallOutcome,
        *,
        hangup_caller: bool,
        leg_result: OfferResult = OfferResult.CANCELLED,
        gone_leg: str | None = None,
    ) -> None:
        """End the call once: every leg, bridge and timer it owns is released (C3)."""
        if call.state is CallState.ENDED:
            return
        self._close_hold(call, "ended")
        self._unqueue(call)
        for leg_id in list(call.legs):
            leg = self._legs[leg_id]
            agent = self._agents.get(leg.agent_id) if leg.agent_id is not None else None
            if agent is not None and not leg.answered:
                self._close_offer(leg, leg_result, hangup=leg_id != gone_leg)
                self._agent_ready(agent)
                continue
            self._drop_leg(leg, hangup=leg_id != gone_leg)
            if agent is None or leg_id == call.consult_phone:
                continue  # the phone's consultation channel: its agent is the call's
            if leg_id == call.agent_leg or leg.purpose is LegPurpose.CLICK_TO_CALL:
                self._agent_after_call(agent, call.group_id)
            else:  # an answered consultation target: it never took the call
                self._agent_ready(agent)
        self._destroy_bridge(call)
        if hangup_caller and call.direction is CallDirection.INBOUND:
            self._emit(HangupCall(call_id=call.call_id))
        if call.exit_kind is LegPurpose.TRANSFER:
            outcome = CallOutcome.TRANSFERRED
        elif call.exit_kind is LegPurpose.OVERFLOW:
            outcome = CallOutcome.OVERFLOWED
        elif call.answered_at is not None:
            outcome = CallOutcome.ANSWERED
        else:
            outcome = fallback
        self._move(call, CallState.ENDED)
        self._calls.pop(call.call_id, None)
        group = self._groups.get(call.group_id) if call.group_id is not None else None
        if group is not None and group.closed:
            self._collect_group(group)
        self._emit(
            CallEnded(
                at=self._now,
                call_id=call.call_id,
                direction=call.direction,
                group_id=call.group_id,
                outcome=outcome,
                end_reason=reason,
                agent_id=call.last_agent_id,
                client_id=call.client_id,
                caller_number=call.caller_number,
                started_at=call.started_at,
                first_offered_at=call.first_offered_at,
                answered_at=call.answered_at,
                ended_at=self._now,
                hold_s=call.hold_s,
            )
        )

    def _collect_group(self, group: Group) -> None:
        """A closed group goes once no call refers to it any more (at the end of the input,
        after its last queue snapshot)."""
        gid = group.config.id
        if not any(c.group_id == gid for c in self._calls.values()):
            self._collectable.add(gid)

    # ---------------------------------------------------------------------------- dispatch

    def _flush(self) -> None:
        """Offer waiting calls to available agents, then publish changed queues."""
        while self._dirty and self._link_up:
            dirty, self._dirty = self._dirty, set()
            for gid in sorted(dirty, key=self._head_age):
                group = self._groups.get(gid)
                if group is not None:
                    self._dispatch(group)
        if self._arrivals:
            self._music_or_wait()
        for gid in sorted(self._queue_dirty):
            group = self._groups.get(gid)
            if group is None:
                continue
            if group.view_timer is None:
                self._queue_view(group)
            else:
                group.view_stale = True
        self._queue_dirty.clear()
        for gid in self._collectable:
            group = self._groups.get(gid)
            if group is not None and group.closed:
                if group.view_stale:  # its last snapshot (empty) goes out with it
                    self._emit(QueueChanged(at=self._now, group_id=gid, entries=()))
                self._cancel_timer(group.view_timer)
                del self._groups[gid]
        self._collectable.clear()

    def _queue_view(self, group: Group) -> None:
        gid = group.config.id
        group.view_stale = False
        self._emit(QueueChanged(at=self._now, group_id=gid, entries=self._entries(group)))
        if self._settings.queue_view_s > 0:
            group.view_timer = self._start_timer(TimerKind.QUEUE_VIEW, gid,
                                                 self._settings.queue_view_s)

    def _queue_view_due(self, gid: int) -> None:
        group = self._groups.get(gid)
        if group is None:
            return
        group.view_timer = None
        if group.view_stale:
            self._queue_view(group)

    def _head_age(self, gid: int) -> tuple[float, int]:
        group = self._groups.get(gid)
        if group is None or not group.queue:
            return (math.inf, gid)
        return (self._calls[group.queue[0]].entered_at, gid)

    def _entries(self, group: Group) -> tuple[QueueEntry, ...]:
        calls = (self._calls[c] for c in group.queue)
        return tuple(
            QueueEntry(
                call_id=c.call_id,
                caller_number=c.caller_number,
                caller_name=c.caller_name,
                client_id=c.client_id,
                entered_at=c.entered_at,
                state=c.state,
            )
            for c in calls
        )

    def _dispatch(self, group: Group) -> None:
        if not group.queue or not len(group.index) or group.closed:
            return
        gid = group.config.id
        if group.sticky_calls:  # pass 1: sticky calls claim their preferred agent first
            for call_id in group.queue:
                call = self._calls[call_id]
                pref = call.preferred_agent_id
                if (
                    call.state is CallState.QUEUED
                    and call.sticky_until is not None
                    and pref in group.index
                    and pref not in call.declined
                ):
                    assert pref is not None
                    self._offer_queued(call, group, [pref], sticky=True)
        for call_id in group.queue:  # pass 2: head first, by strategy
            if not len(group.index):
                break
            call = self._calls[call_id]
            if call.state is not CallState.QUEUED or call.awaiting_id:
                continue
            if call.sticky_until is not None:
                pref_agent = self._agents.get(call.preferred_agent_id or -1)
                if (
                    pref_agent is not None
                    and pref_agent.state is not AgentState.LOGGED_OUT
                    and gid in pref_agent.groups
                    and pref_agent.agent_id not in call.declined
                ):
                    continue  # still waiting for its preferred agent
                self._release_sticky(call)
            skip = self._skipped(call)
            chosen = select(group, skip, self._rng)
            if not chosen and call.declined and group.config.retry_s <= 0:
                call.declined.clear()  # no retry delay: the same agents may ring again
                chosen = select(group, self._skipped(call), self._rng)
            if chosen:
                self._offer_queued(call, group, chosen, sticky=False)

    def _skipped(self, call: Call) -> set[int]:
        """Agents not to ring for ``call`` now: those that missed it (until the retry timer
        lets them) and those whose phone answered it busy, for the group's retry_s."""
        if not call.busy_until:
            return call.declined
        busy = {a for a, until in call.busy_until.items() if until > self._now}
        if len(busy) < len(call.busy_until):
            call.busy_until = {a: call.busy_until[a] for a in busy}
        return call.declined | busy if busy else call.declined

    def _offer_queued(self, call: Call, group: Group, agent_ids: list[int], sticky: bool) -> None:
        if not sticky:
            group.rr_last = group.index.key_of(agent_ids[-1])
        for agent_id in agent_ids:
            self._offer(call, self._agents[agent_id], LegPurpose.QUEUE, group.config.id, sticky)
        self._move(call, CallState.OFFERING)
        self._queue_dirty.add(group.config.id)
