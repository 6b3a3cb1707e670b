"""Read-only snapshots of the engine state (supervision's initial picture, reconciliation,
tests). They are copies: mutating the engine later does not change them."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Agent, AgentState, Call, CallDirection, CallState, PhoneState


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentView:
    agent_id: int
    extension: str
    state: AgentState
    reason: str
    state_since: float
    groups: tuple[tuple[int, int], ...]  # (group id, penalty)
    idle_since: float
    calls_taken: int
    missed: int
    call_id: str | None
    leg_id: str | None
    pending_pause: str | None
    pending_logout: bool
    phone: PhoneState = PhoneState.UNKNOWN  # Asterisk's word on the agent's phone

    @classmethod
    def of(cls, a: Agent) -> AgentView:
        return cls(
            agent_id=a.agent_id,
            extension=a.extension,
            state=a.state,
            reason=a.reason,
            state_since=a.state_since,
            groups=tuple(sorted(a.groups.items())),
            idle_since=a.idle_since,
            calls_taken=a.calls_taken,
            missed=a.missed,
            call_id=a.call_id,
            leg_id=a.leg_id,
            pending_pause=a.pending_pause,
            pending_logout=a.pending_logout,
            phone=a.phone,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CallView:
    call_id: str
    direction: CallDirection
    state: CallState
    group_id: int | None
    caller_number: str
    caller_name: str
    client_id: int | None
    note_ref: str | None
    agent_id: int | None
    started_at: float
    entered_at: float
    answered_at: float | None
    legs: tuple[str, ...]
    bridge_id: str | None
    in_queue: bool
    on_hold: bool = False  # B11: put on hold by its agent
    hold_s: float = 0.0  # hold periods already over
    agent_muted: bool = False

    @classmethod
    def of(cls, c: Call) -> CallView:
        return cls(
            call_id=c.call_id,
            direction=c.direction,
            state=c.state,
            group_id=c.group_id,
            caller_number=c.caller_number,
            caller_name=c.caller_name,
            client_id=c.client_id,
            note_ref=c.note_ref,
            agent_id=c.agent_id,
            started_at=c.started_at,
            entered_at=c.entered_at,
            answered_at=c.answered_at,
            legs=tuple(c.legs),
            bridge_id=c.bridge_id,
            in_queue=c.in_queue,
            on_hold=c.hold_since is not None,
            hold_s=c.hold_s,
            agent_muted=c.agent_muted,
        )
