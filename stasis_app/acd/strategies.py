"""C8 strategies: the sort key of an available agent and the pick from the index.

Every strategy is "a sort key + a way to read the sorted index" (see index.py):

- ringall       every available agent (key: member order, irrelevant)
- longest_idle  smallest ``idle_since`` (time of the last call end, else login)
- fewest_calls  fewest calls taken today, then longest idle
- round_robin   member order, starting after the last agent offered (memory per group)
- random        uniform among available agents, from the engine's seeded ``random.Random``
- linear        member order (``GroupConfig.member_order``, then agent id), always from the top
- penalty       lowest penalty tier first, then longest idle inside the tier
"""

from __future__ import annotations

import random
from collections.abc import Container

from .index import Key
from .model import Agent, Group, Strategy


def member_rank(group: Group, agent_id: int) -> int:
    """Position of the agent in the configured member order; unlisted agents after."""
    return group.ranks.get(agent_id, len(group.ranks))


def agent_key(group: Group, agent: Agent) -> Key:
    """The index key of ``agent`` in ``group`` (the agent id is appended by the index)."""
    strategy = group.config.strategy
    if strategy is Strategy.LONGEST_IDLE:
        return (agent.idle_since,)
    if strategy is Strategy.FEWEST_CALLS:
        return (agent.calls_taken, agent.idle_since)
    if strategy is Strategy.PENALTY:
        return (group.members.get(agent.agent_id, 0), agent.idle_since)
    return (member_rank(group, agent.agent_id),)


def select(group: Group, exclude: Container[int], rng: random.Random) -> list[int]:
    """Agents to ring for one call (several only for ringall); empty when none is eligible."""
    index = group.index
    if not len(index):
        return []
    strategy = group.config.strategy
    if strategy is Strategy.RINGALL:
        # last key first: each agent then leaves the index from its end (no memmove)
        return index.all(exclude)[::-1]
    if strategy is Strategy.ROUND_ROBIN:
        chosen = index.first_after(group.rr_last, exclude)
    elif strategy is Strategy.RANDOM:
        chosen = index.pick_random(rng, exclude)
    else:
        chosen = index.first(exclude)
    return [] if chosen is None else [chosen]
