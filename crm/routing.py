"""What the ACD reads from the CRM: groups with their queue settings and agents'
memberships.

Records a previous run of the process left open are not closed here: calls and agents go
on across a restart, and the call journal continues their rows (crm.journal)."""

from __future__ import annotations

from dataclasses import dataclass

from crm.models import Group, GroupMember


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
