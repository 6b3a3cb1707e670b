"""Sorted index of the available agents of one group.

Why a sorted index: with 10 000 agents a decision must not scan and sort every
member.  Each group keeps its *available* agents in a list sorted by the
strategy's key (bisect insert/remove: O(log n) search + a memmove), so that
longest-idle, fewest-calls, linear and penalty are "take the first entry",
round-robin is "first entry after the remembered one", random is one random
index, and ring-all is the whole list.  Keys of an available agent never
change while it stays available (idle time, call count and penalty only move
while the agent is busy or logged out), so entries are removed and re-added
on state changes only; a strategy or member-order change rebuilds the index.
"""

from __future__ import annotations

import random
from bisect import bisect_right, insort
from collections.abc import Container, Iterator

Key = tuple[float, ...]


class AvailabilityIndex:
    """Available agents of one group, sorted by ``key + (agent_id,)``."""

    __slots__ = ("_by_agent", "_keys")

    def __init__(self) -> None:
        self._keys: list[Key] = []
        self._by_agent: dict[int, Key] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._by_agent

    def add(self, agent_id: int, key: Key) -> None:
        if agent_id in self._by_agent:
            self.remove(agent_id)
        full = (*key, agent_id)
        self._by_agent[agent_id] = full
        insort(self._keys, full)

    def remove(self, agent_id: int) -> None:
        full = self._by_agent.pop(agent_id, None)
        if full is None:
            return
        i = bisect_right(self._keys, full) - 1
        del self._keys[i]

    def key_of(self, agent_id: int) -> Key | None:
        return self._by_agent.get(agent_id)

    def clear(self) -> None:
        self._keys.clear()
        self._by_agent.clear()

    def agents(self) -> Iterator[int]:
        """Agent ids in key order."""
        return (int(k[-1]) for k in self._keys)

    # -- selections -------------------------------------------------------------------------

    def first(self, exclude: Container[int]) -> int | None:
        for k in self._keys:
            agent_id = int(k[-1])
            if agent_id not in exclude:
                return agent_id
        return None

    def first_after(self, last: Key | None, exclude: Container[int]) -> int | None:
        """First agent whose key is strictly after ``last``, wrapping around (round-robin)."""
        keys = self._keys
        start = 0 if last is None else bisect_right(keys, last)
        n = len(keys)
        for step in range(n):
            agent_id = int(keys[(start + step) % n][-1])
            if agent_id not in exclude:
                return agent_id
        return None

    def pick_random(self, rng: random.Random, exclude: Container[int]) -> int | None:
        keys = self._keys
        if not keys:
            return None
        for _ in range(4):  # cheap tries first: exclusions are usually few
            agent_id = int(keys[rng.randrange(len(keys))][-1])
            if agent_id not in exclude:
                return agent_id
        pool = [int(k[-1]) for k in keys if int(k[-1]) not in exclude]
        return rng.choice(pool) if pool else None

    def all(self, exclude: Container[int]) -> list[int]:
        return [int(k[-1]) for k in self._keys if int(k[-1]) not in exclude]
