"""Engine domain events → the call journal (persisted, in order) and the live hub (pushed).

Both are non-blocking: the journal queues writes for its own task and the hub never waits
on a subscriber, so publishing adds microseconds to the call path, not a database round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm.clock import from_timestamp
from crm.hub import INTEGRATIONS, SUPERVISION, Hub, agent_topic
from crm.journal import CallJournal
from crm.models import AgentStateName, CallOutcome, Direction, OfferResult
from stasis_app.acd import outputs as o
from stasis_app.acd.model import AgentState, LegPurpose, OverflowTrigger
from stasis_app.wire import event_type, to_json


class Publisher:
    def __init__(self, journal: CallJournal, hub: Hub) -> None:
        self._journal = journal
        self._hub = hub
        # The end of a wrap-up closes the call it followed; the engine's event for that
        # transition need not name the call, so remember it from the way in.
        self._wrapping: dict[int, str] = {}
        self._talking: dict[int, str] = {}  # agent -> the call they are on
        self._handlers: dict[type[o.Event], Callable[[Any], None]] = {
            o.CallStarted: self._call_started,
            o.CallQueued: self._call_queued,
            o.CallOffered: self._call_offered,
            o.ScreenPop: self._screen_pop,
            o.OfferEnded: self._offer_ended,
            o.CallAnswered: self._call_answered,
            o.ClientAttached: self._client_attached,
            o.CallTransferred: self._call_transferred,
            o.CallEnded: self._call_ended,
            o.AgentStateChanged: self._agent_state,
            o.QueueChanged: self._queue_changed,
            o.ExternalConnected: self._external_connected,
            o.CallResumed: self._call_resumed,
        }

    def publish(self, event: o.Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)
        else:
            self._push(event, SUPERVISION, *self._agent_topics(event))

    # -- persisted and pushed ------------------------------------------------------------

    def _call_started(self, e: o.CallStarted) -> None:
        self._journal.call_started(
            e.call_id,
            at=from_timestamp(e.at),
            direction=Direction(e.direction.value),
            caller_number=e.caller_number,
            caller_name=e.caller_name,
            group_id=e.group_id,
            client_id=e.client_id,
            agent_id=e.agent_id,
        )
        self._push(e, SUPERVISION, INTEGRATIONS)

    def _call_queued(self, e: o.CallQueued) -> None:
        self._journal.call_queued(e.call_id, from_timestamp(e.at), group_id=e.group_id)
        self._push(e, SUPERVISION)

    def _call_offered(self, e: o.CallOffered) -> None:
        self._journal.offer_started(e.offer_id, e.call_id, e.agent_id, from_timestamp(e.at))
        self._push(e, SUPERVISION, INTEGRATIONS, agent_topic(e.agent_id))

    def _screen_pop(self, e: o.ScreenPop) -> None:
        self._journal.offer_ringing(e.offer_id, from_timestamp(e.at))
        self._push(e, agent_topic(e.agent_id))

    def _offer_ended(self, e: o.OfferEnded) -> None:
        self._journal.offer_ended(e.offer_id, OfferResult(e.result.value), from_timestamp(e.at))
        self._push(e, SUPERVISION, agent_topic(e.agent_id))

    def _call_transferred(self, e: o.CallTransferred) -> None:
        # Whatever the target (agent, group or outside number, blind or attended), the row
        # of whoever had the call ends here, so its talk stops and its wrap-up and
        # disposition attach to it; a new segment row follows the call from here.
        self._journal.call_transferred(e.call_id, from_timestamp(e.at))
        self._push(e, SUPERVISION, *self._agent_topics(e))

    def _client_attached(self, e: o.ClientAttached) -> None:
        self._journal.call_client(e.call_id, e.client_id)
        self._push(e, SUPERVISION)

    def _call_answered(self, e: o.CallAnswered) -> None:
        self._journal.call_answered(e.call_id, e.agent_id, from_timestamp(e.at))
        self._push(e, SUPERVISION, INTEGRATIONS, agent_topic(e.agent_id))

    def _call_ended(self, e: o.CallEnded) -> None:
        self._journal.call_ended(e.call_id, CallOutcome(e.outcome.value), from_timestamp(e.at),
                                 unanswered_outcome=unanswered_outcome(e.end_reason))
        topics = [SUPERVISION, INTEGRATIONS]
        if e.agent_id is not None:
            topics.append(agent_topic(e.agent_id))
        self._push(e, *topics)

    def _agent_state(self, e: o.AgentStateChanged) -> None:
        at = from_timestamp(e.at)
        talked = self._talking.pop(e.agent_id, None) if e.old is AgentState.ON_CALL else None
        if e.new is AgentState.ON_CALL and e.call_id:
            self._talking[e.agent_id] = e.call_id
        if e.new is AgentState.WRAPUP and e.call_id:
            self._wrapping[e.agent_id] = e.call_id
        elif e.old is AgentState.WRAPUP:
            call_id = self._wrapping.pop(e.agent_id, None) or e.call_id
            if call_id:
                self._journal.wrapup_ended(call_id, at, e.agent_id)
        elif talked and e.new is not AgentState.ON_CALL:
            # No wrap-up (the group has none): the agent is done with the call now. The
            # record says so, and the journal can let go of the call.
            self._journal.wrapup_ended(talked, at, e.agent_id)
        self._journal.agent_state(
            e.agent_id,
            AgentStateName(e.new.value),
            at,
            reason=e.reason,
            extension=e.extension,
            call_ref=e.call_id or "",
        )
        self._push(e, SUPERVISION, INTEGRATIONS, agent_topic(e.agent_id))

    def _external_connected(self, e: o.ExternalConnected) -> None:
        if e.purpose is LegPurpose.CLICK_TO_CALL:
            self._journal.call_answered(e.call_id, None, from_timestamp(e.at))
        self._push(e, SUPERVISION, INTEGRATIONS)

    def _call_resumed(self, e: o.CallResumed) -> None:
        # Before the call's end or transfer (same input, in order): the row it counts in
        # is still the one of the agent who held it.
        self._journal.call_hold(e.call_id, e.held_s)
        self._push(e, SUPERVISION, *self._agent_topics(e))

    def _queue_changed(self, e: o.QueueChanged) -> None:
        self._push(e, SUPERVISION)

    def supervisor_action(self, agent_id: int, action: str, *, supervisor_id: int,
                          supervisor_name: str, message: str, details: dict[str, Any]) -> None:
        """A supervisor acted on this agent's call or state: the agent's page says so."""
        self._hub.publish("supervisor.action", {
            "action": action,
            "agent_id": agent_id,
            "supervisor_id": supervisor_id,
            "supervisor_name": supervisor_name,
            "message": message,
            **details,
        }, [agent_topic(agent_id)])

    # -- helpers -------------------------------------------------------------------------

    def _push(self, event: o.Event, *topics: str) -> None:
        if self._hub.wants(topics):
            self._hub.publish(event_type(event), to_json(event), topics)

    @staticmethod
    def _agent_topics(event: o.Event) -> list[str]:
        topics = []
        for name in ("agent_id", "from_agent_id"):
            value = getattr(event, name, None)
            if isinstance(value, int):
                topics.append(agent_topic(value))
        return topics


_UNANSWERED_BY_REASON = {
    "caller_hangup": CallOutcome.ABANDONED,
    OverflowTrigger.MAX_WAIT.value: CallOutcome.TIMED_OUT,
    OverflowTrigger.MAX_CALLERS.value: CallOutcome.REJECTED,
    OverflowTrigger.JOIN_EMPTY.value: CallOutcome.REJECTED,
    OverflowTrigger.LEAVE_WHEN_EMPTY.value: CallOutcome.REJECTED,
    "group_removed": CallOutcome.REJECTED,
}


def unanswered_outcome(end_reason: str) -> CallOutcome:
    """The outcome of a call's last segment that nobody answered, from why the call ended.

    The engine's outcome is per call: "answered" once any agent answered, so a caller
    transferred to a group who then hangs up in the queue (or times out there) would count
    as answered in that group. The engine's own rule for a call never answered is the same
    reason-to-outcome mapping (stasis_app.acd.queueing, _end_call's fallback)."""
    if end_reason.startswith("supervisor_hangup"):
        return CallOutcome.REJECTED
    return _UNANSWERED_BY_REASON.get(end_reason, CallOutcome.FAILED)
