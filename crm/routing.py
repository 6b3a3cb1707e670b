"""What the ACD reads from the CRM: groups with their queue settings, agents' memberships,
and, after a restart, the records still open (live calls and logged-in agents to take back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.call_segments import segment_base
from crm.models import AgentState, Call, Group, GroupMember, Offer, OfferResult


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
    outbound_caller_id: str = ""
    retry_s: int = 5
    recording: str = "off"  # B9: off, all, on_demand


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
            outbound_caller_id=g.outbound_caller_id or "",
            retry_s=g.retry_s,
            recording=g.recording.value,
        )
        for g in groups
    ]


async def memberships_of_agents(agent_ids: list[int]) -> dict[int, dict[int, int]]:
    """{agent: {group id: penalty}} over active groups, for many agents at once."""
    rows = await GroupMember.filter(user_id__in=agent_ids, group__active=True).values(
        "user_id", "group_id", "penalty")
    out: dict[int, dict[int, int]] = {a: {} for a in agent_ids}
    for row in rows:
        out[row["user_id"]][row["group_id"]] = row["penalty"]
    return out


@dataclass(frozen=True)
class OpenCall:
    """A call record still open: its current row (the latest transfer segment)."""

    ref: str  # the row's own ref
    call_id: str  # the ACD's id of the call (the first row's ref)
    direction: str
    group_id: int | None
    caller_number: str
    caller_name: str
    client_id: int | None
    agent_id: int | None
    started_at: datetime
    entered_queue_at: datetime | None
    answered_at: datetime | None
    # The agent's leg that answered its latest offer (the offer's ref is the leg's channel):
    # when that leg ended is when the conversation did, if it went first.
    answered_by: str | None = None


async def open_calls() -> dict[str, OpenCall]:
    """ACD call id -> its open row (the latest segment when several are open)."""
    rows = await Call.filter(ended_at=None).order_by("id").values(
        "ref", "direction", "group_id", "caller_number", "caller_name", "client_id",
        "agent_id", "started_at", "entered_queue_at", "answered_at")
    answered_by: dict[str, str] = {}
    for offer in await Offer.filter(call__ended_at=None, result=OfferResult.ANSWERED).order_by(
            "offered_at", "id").values("ref", "call__ref"):
        answered_by[offer["call__ref"]] = offer["ref"]  # the latest one last
    out: dict[str, OpenCall] = {}
    for row in rows:
        call_id = segment_base(row["ref"])
        out[call_id] = OpenCall(
            ref=row["ref"], call_id=call_id, direction=str(row["direction"]),
            group_id=row["group_id"], caller_number=row["caller_number"],
            caller_name=row["caller_name"], client_id=row["client_id"],
            agent_id=row["agent_id"], started_at=row["started_at"],
            entered_queue_at=row["entered_queue_at"], answered_at=row["answered_at"],
            answered_by=answered_by.get(row["ref"]))
    return out


@dataclass(frozen=True)
class OpenAgentState:
    agent_id: int
    state: str
    reason: str
    extension: str
    started_at: datetime
    call_ref: str


async def open_agent_states() -> dict[int, OpenAgentState]:
    """Agents logged in according to the records: their current (open) state row."""
    rows = await AgentState.filter(ended_at=None).order_by("id").values(
        "agent_id", "state", "reason", "extension", "started_at", "call_ref")
    out: dict[int, OpenAgentState] = {}
    for row in rows:  # the latest wins if a crash ever left two open
        out[row["agent_id"]] = OpenAgentState(
            agent_id=row["agent_id"], state=str(row["state"]), reason=row["reason"],
            extension=row["extension"], started_at=row["started_at"], call_ref=row["call_ref"])
    return out


async def agent_memberships(agent_id: int) -> dict[int, int]:
    """{group id: penalty} of an agent's active groups."""
    rows = await GroupMember.filter(user_id=agent_id, group__active=True).values(
        "group_id", "penalty"
    )
    return {row["group_id"]: row["penalty"] for row in rows}
