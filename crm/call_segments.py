"""A transferred call's rows: one per agent or group that handled it.

The ACD keeps one id for a call across transfers, while the call records keep one row per
segment (the transferred row ends with the outcome "transferred" and the next row points
back to it), so that talk time, answers and transfers count for the agent and group that
really had the call. The first row carries the ACD's id; the later ones ``<id>/t<n>``.
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from crm.models import Call

_MARK = "/t"
REF_MAX = 64


def segment_ref(call_ref: str, n: int) -> str:
    """The row reference of the n-th transfer segment (n >= 1) of an ACD call."""
    suffix = f"{_MARK}{n}"
    return call_ref[: REF_MAX - len(suffix)] + suffix


def segment_base(row_ref: str) -> str:
    """The ACD call id a row belongs to (its own ref for a first row)."""
    head, mark, tail = row_ref.rpartition(_MARK)
    return head if mark and tail.isdigit() else row_ref


def _rows(call_ref: str) -> QuerySet[Call]:
    """Every row of this ACD call: the first one and its transfer segments."""
    return Call.filter(Q(ref=call_ref) | Q(ref__startswith=call_ref + _MARK))


async def call_row_for(call_ref: str, agent_id: int | None = None) -> Call | None:
    """The row of this ACD call that this agent handled (the latest such), or its latest row."""
    if agent_id is not None:
        mine = await _rows(call_ref).filter(agent_id=agent_id).order_by("-id").first()
        if mine is not None:
            return mine
    return await _rows(call_ref).order_by("-id").first()


async def involves_agent(call_ref: str, agent_id: int) -> bool:
    """The ACD call was offered to, answered or placed by this agent, in any segment."""
    return await _rows(call_ref).filter(
        Q(agent_id=agent_id) | Q(offers__agent_id=agent_id)).exists()
