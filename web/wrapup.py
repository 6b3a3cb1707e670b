"""How a wrap-up works (issue 14, item 1): the console's side of the ACD's wrap-up timer.

The rules, as the agent lives them:

1. After a call the agent handled, the console opens the wrap-up card for that call
   (outcome and note). The card belongs to that call: a later call never clears it.
2. When the call's group has a wrap-up time, the agent is in wrap-up for that time and is
   offered no call; the card counts it down. "Extend" adds the group's extension step
   (``Group.wrapup_extend_s``) to what is left, on the ACD's own timer.
3. While the card holds unsaved work (a note typed, an outcome chosen), or the group
   requires an outcome that is not chosen yet, the console extends the wrap-up by itself
   shortly before it runs out: the next call waits for the agent, not the other way round.
4. No wrap-up lasts more than ``MAX_WRAPUP_S`` in all: then it ends, the console first
   saving what the card holds (the outcome if chosen, the note as an intervention), so
   nothing typed is lost.
5. "Save and finish" ends the wrap-up at once. A group that requires an outcome refuses to
   finish without one (the button says so, and so does the API).
6. A group without a wrap-up time makes the agent available at once; the card still
   opens for the outcome and note, and stays until saved if something was typed in it.

The ACD engine only runs timers: it knows the wrap-up's length when it starts it and is
told (``AgentWrapupExtend``) when the end moves. This module remembers, per agent, which
call the wrap-up follows and where its end was moved, so a page that (re)connects is told
the same countdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.models import AgentState as AgentStateRow
from crm.models import AgentStateName, Call, Group

MAX_WRAPUP_S = 600.0


@dataclass(frozen=True, slots=True)
class Wrapup:
    call_id: str
    group_id: int | None
    started_at: float  # the ACD's clock
    ends_at: float
    limit_at: float  # started_at + MAX_WRAPUP_S: no extension goes past it
    extend_s: int
    requires_outcome: bool


@dataclass(frozen=True, slots=True)
class Policy:
    wrapup_s: float
    extend_s: int
    requires_outcome: bool


NO_GROUP = Policy(0.0, 30, False)


async def group_policy(group_id: int | None) -> Policy:
    if group_id is None:
        return NO_GROUP
    row = await Group.filter(id=group_id).values(
        "wrapup_s", "wrapup_extend_s", "wrapup_requires_outcome")
    if not row:
        return NO_GROUP
    return Policy(float(row[0]["wrapup_s"]), int(row[0]["wrapup_extend_s"]),
                  bool(row[0]["wrapup_requires_outcome"]))


class WrapupBook:
    """Per agent: the call a wrap-up follows, and the end it was moved to."""

    def __init__(self) -> None:
        self._calls: dict[int, tuple[str, int | None]] = {}
        self._ends: dict[int, tuple[float, float]] = {}  # agent -> (started_at, ends_at)

    def saw_call(self, agent_id: int, call_id: str, group_id: int | None) -> None:
        """The agent is (or was) on this call: its wrap-up, if any, follows it."""
        self._calls[agent_id] = (call_id, group_id)

    def moved(self, agent_id: int, started_at: float, ends_at: float) -> None:
        self._ends[agent_id] = (started_at, ends_at)

    async def current(self, agent_id: int, view: Any) -> Wrapup | None:
        """The agent's running wrap-up (``view``: the ACD's AgentView), or None."""
        if view is None or view.state.value != "wrapup":
            return None
        call_id, group_id = self._calls.get(agent_id) or await _last_call(agent_id)
        policy = await group_policy(group_id)
        started = float(view.state_since)
        ends = started + policy.wrapup_s
        moved = self._ends.get(agent_id)
        if moved is not None and moved[0] == started:
            ends = moved[1]
        return Wrapup(call_id=call_id, group_id=group_id, started_at=started, ends_at=ends,
                      limit_at=started + MAX_WRAPUP_S, extend_s=policy.extend_s,
                      requires_outcome=policy.requires_outcome)

    async def requires_outcome(self, agent_id: int, call_id: str) -> bool:
        """Whether finishing this call's wrap-up needs an outcome (its group's rule)."""
        known = self._calls.get(agent_id)
        if known is not None and known[0] == call_id:
            group_id = known[1]
        else:
            row = await Call.filter(ref=call_id).values("group_id")
            group_id = row[0]["group_id"] if row else None
        return (await group_policy(group_id)).requires_outcome


async def _last_call(agent_id: int) -> tuple[str, int | None]:
    """After a restart of the web side the book is empty: the journal says which call the
    wrap-up follows (its agent-state row names it) and that call's group."""
    state = await AgentStateRow.filter(agent_id=agent_id, state=AgentStateName.WRAPUP
                                       ).order_by("-started_at").first()
    ref = state.call_ref if state is not None else ""
    row = await Call.filter(ref=ref).values("group_id") if ref else []
    if not row:
        row = await Call.filter(agent_id=agent_id).order_by("-started_at").limit(1).values(
            "ref", "group_id")
        ref = row[0]["ref"] if row else ref
    return ref, (row[0]["group_id"] if row else None)
