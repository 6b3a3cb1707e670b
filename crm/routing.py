"""What the ACD reads from the CRM: groups with their queue settings, agents' memberships,
and the clean-up of records a previous run of the process left open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.models import AgentState, Call, CallOutcome, Group, GroupMember


@dataclass(frozen=True)
class GroupRouting:
    id: int
    name: str
    number: str
    strategy: str
    ring_timeout_s: int
    wrapup_s: int
    autopause_after: int
    max_wait_s: int
    max_callers: int
    overflow_kind: str
    overflow_target: str
    moh_class: str
    join_empty: bool
    leave_when_empty: bool
    sticky_s: int
    member_order: tuple[int, ...]


async def active_groups() -> list[GroupRouting]:
    groups = await Group.filter(active=True).order_by("id")
    members = await GroupMember.filter(group__active=True).order_by("position", "user_id").values(
        "group_id", "user_id"
    )
    order: dict[int, list[int]] = {}
    for row in members:
        order.setdefault(row["group_id"], []).append(row["user_id"])
    return [
        GroupRouting(
            id=g.id,
            name=g.name,
            number=g.number or "",
            strategy=g.strategy.value,
            ring_timeout_s=g.ring_timeout_s,
            wrapup_s=g.wrapup_s,
            autopause_after=g.autopause_after,
            max_wait_s=g.max_wait_s,
            max_callers=g.max_callers,
            overflow_kind=g.overflow_kind.value,
            overflow_target=g.overflow_target,
            moh_class=g.moh_class,
            join_empty=g.join_empty,
            leave_when_empty=g.leave_when_empty,
            sticky_s=g.sticky_s,
            member_order=tuple(order.get(g.id, ())),
        )
        for g in groups
    ]


async def agent_memberships(agent_id: int) -> dict[int, int]:
    """{group id: penalty} of an agent's active groups."""
    rows = await GroupMember.filter(user_id=agent_id, group__active=True).values(
        "group_id", "penalty"
    )
    return {row["group_id"]: row["penalty"] for row in rows}


async def close_unfinished(at: datetime) -> tuple[int, int]:
    """After a restart nothing of the previous run is live any more: close its open calls and
    agent states at ``at`` so reports never count a call or a pause as lasting forever.
    Returns (calls closed, agent states closed)."""
    open_calls = await Call.filter(ended_at=None)
    for call in open_calls:
        call.ended_at = at
        if call.answered_at is not None:
            call.outcome = CallOutcome.ANSWERED
            call.talk_s = max(0.0, (at - call.answered_at).total_seconds())
        else:
            call.outcome = CallOutcome.FAILED
        await call.save(update_fields=["ended_at", "outcome", "talk_s"])
    states = await AgentState.filter(ended_at=None).update(ended_at=at)
    return len(open_calls), states
