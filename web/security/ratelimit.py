"""Login throttling: sliding-window failure counters, in memory.

:class:`RateLimiter` is the interface; :class:`MemoryRateLimiter` suits one process. With
several web processes, a Redis implementation of the same three methods replaces it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    async def hit(self, key: str) -> None: ...

    async def retry_after(self, key: str) -> float:
        """Seconds to wait before ``key`` is allowed again; 0 when allowed now."""
        ...

    async def reset(self, key: str) -> None: ...


class MemoryRateLimiter:
    """At most ``limit`` hits per ``window_s`` for each key (sliding window of timestamps)."""

    # Beyond this many keys, the oldest are dropped so a flood of distinct keys cannot grow
    # memory without bound (an attacker gains nothing: dropped keys had old hits only).
    MAX_KEYS = 100_000

    def __init__(self, limit: int, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        horizon = self._clock() - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    async def hit(self, key: str) -> None:
        hits = self._recent(key)
        if hits is None:
            if len(self._hits) >= self.MAX_KEYS:
                self._prune()
            hits = self._hits.setdefault(key, deque())
        hits.append(self._clock())
        while len(hits) > self.limit:
            hits.popleft()

    async def retry_after(self, key: str) -> float:
        hits = self._recent(key)
        if hits is None or len(hits) < self.limit:
            return 0.0
        return max(0.0, hits[0] + self.window_s - self._clock())

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def _prune(self) -> None:
        for key in list(self._hits):
            self._recent(key)
        overflow = len(self._hits) - self.MAX_KEYS // 2
        if overflow > 0:
            oldest = sorted(self._hits, key=lambda k: self._hits[k][-1])[:overflow]
            for key in oldest:
                del self._hits[key]


class LoginThrottle:
    """Failed logins per (login, IP) and per IP.

    The per-IP budget is ``per_ip_factor`` times the per-login one: a call-centre floor often
    sits behind one NAT address, and a few typos by different agents must not lock everyone
    out, while one address trying many logins is still stopped.
    """

    def __init__(self, attempts_per_minute: int, *, per_ip_factor: int = 4,
                 pair_limiter: RateLimiter | None = None,
                 ip_limiter: RateLimiter | None = None) -> None:
        self.pair = pair_limiter or MemoryRateLimiter(attempts_per_minute)
        self.ip = ip_limiter or MemoryRateLimiter(attempts_per_minute * per_ip_factor)

    @staticmethod
    def _pair_key(login: str, ip: str) -> str:
        return f"{login.strip().lower()}|{ip}"

    async def retry_after(self, login: str, ip: str) -> int:
        """Whole seconds to wait (0 = go ahead)."""
        wait = max(await self.pair.retry_after(self._pair_key(login, ip)),
                   await self.ip.retry_after(ip))
        return math.ceil(wait) if wait > 0 else 0

    async def failed(self, login: str, ip: str) -> None:
        await self.pair.hit(self._pair_key(login, ip))
        await self.ip.hit(ip)

    async def succeeded(self, login: str, ip: str) -> None:
        await self.pair.reset(self._pair_key(login, ip))
