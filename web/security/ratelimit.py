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
    """Failed logins per (login, IP), per IP, and per account whatever the address.

    The per-IP budget is ``per_ip_factor`` times the per-login one: a call-centre floor often
    sits behind one NAT address, and a few typos by different agents must not lock everyone
    out, while one address trying many logins is still stopped.

    The per-account budget (``account_limit`` failures per ``ACCOUNT_WINDOW_S``) stops many
    addresses sharing out the guesses at one account. So that a guesser cannot lock a user
    out of their own desk with it, an address this account logged in from recently
    (``TRUSTED_S``) is exempt from that budget (it keeps the per-address ones).
    """

    ACCOUNT_WINDOW_S = 15 * 60.0
    TRUSTED_S = 7 * 86400.0
    MAX_TRUSTED = 100_000

    def __init__(self, attempts_per_minute: int, *, per_ip_factor: int = 4,
                 account_limit: int = 10,
                 pair_limiter: RateLimiter | None = None,
                 ip_limiter: RateLimiter | None = None,
                 account_limiter: RateLimiter | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.pair = pair_limiter or MemoryRateLimiter(attempts_per_minute, clock=clock)
        self.ip = ip_limiter or MemoryRateLimiter(attempts_per_minute * per_ip_factor,
                                                  clock=clock)
        self.account = account_limiter or MemoryRateLimiter(
            account_limit, self.ACCOUNT_WINDOW_S, clock=clock)
        self._clock = clock
        # (login|ip) -> when that pair last logged in successfully
        self._trusted: dict[str, float] = {}

    @staticmethod
    def _login_key(login: str) -> str:
        return login.strip().lower()

    @classmethod
    def _pair_key(cls, login: str, ip: str) -> str:
        return f"{cls._login_key(login)}|{ip}"

    def _is_trusted(self, login: str, ip: str) -> bool:
        since = self._trusted.get(self._pair_key(login, ip))
        return since is not None and self._clock() - since < self.TRUSTED_S

    async def retry_after(self, login: str, ip: str) -> int:
        """Whole seconds to wait (0 = go ahead)."""
        wait = max(await self.pair.retry_after(self._pair_key(login, ip)),
                   await self.ip.retry_after(ip))
        if not self._is_trusted(login, ip):
            wait = max(wait, await self.account.retry_after(self._login_key(login)))
        return math.ceil(wait) if wait > 0 else 0

    async def failed(self, login: str, ip: str) -> None:
        await self.pair.hit(self._pair_key(login, ip))
        await self.ip.hit(ip)
        if not self._is_trusted(login, ip):
            await self.account.hit(self._login_key(login))

    async def succeeded(self, login: str, ip: str) -> None:
        await self.pair.reset(self._pair_key(login, ip))
        if len(self._trusted) >= self.MAX_TRUSTED:
            horizon = self._clock() - self.TRUSTED_S
            self._trusted = {k: t for k, t in self._trusted.items() if t > horizon}
            if len(self._trusted) >= self.MAX_TRUSTED:
                self._trusted.clear()  # at worst some users meet the account budget again
        self._trusted[self._pair_key(login, ip)] = self._clock()


class AuditBudget:
    """Decides which anonymous events deserve an audit row, so that callers who are not
    logged in cannot grow the audit table without bound: at most one row per key per
    window, and at most ``global_limit`` rows per window in all. A row that is written
    after others were skipped says how many it stands for."""

    MAX_KEYS = 100_000

    def __init__(self, window_s: float, global_limit: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self.global_limit = global_limit
        self._clock = clock
        # key -> (when its last row was written, rows skipped since)
        self._keys: dict[str, tuple[float, int]] = {}
        self._window_start = clock()
        self._written = 0
        self._skipped = 0

    def allow(self, key: str | None = None) -> tuple[bool, int]:
        """(write a row now?, how many were skipped since the last row written for this key,
        or, without a key, since the last row the global cap let through)."""
        now = self._clock()
        if now - self._window_start >= self.window_s:
            self._window_start, self._written = now, 0
        if key is None:
            if self._written >= self.global_limit:
                self._skipped += 1
                return False, 0
            self._written += 1
            skipped, self._skipped = self._skipped, 0
            return True, skipped
        last = self._keys.get(key)
        if last is not None and now - last[0] < self.window_s:
            self._keys[key] = (last[0], last[1] + 1)
            return False, 0
        if self._written >= self.global_limit:
            # Remembered as "never written", so its next row comes as soon as allowed.
            self._keys[key] = (-math.inf, (last[1] if last else 0) + 1)
            return False, 0
        if len(self._keys) >= self.MAX_KEYS:
            horizon = now - self.window_s
            self._keys = {k: v for k, v in self._keys.items() if v[0] > horizon}
        self._written += 1
        self._keys[key] = (now, 0)
        return True, last[1] if last is not None else 0
