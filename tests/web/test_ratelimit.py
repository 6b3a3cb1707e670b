"""The sliding-window limiter and the login throttle, on a fake clock."""

from __future__ import annotations

from web.security.ratelimit import LoginThrottle, MemoryRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_sliding_window() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert await limiter.retry_after("k") == 0
        await limiter.hit("k")
        clock.now += 10
    assert await limiter.retry_after("k") == 30  # first hit at 1000, now 1030
    clock.now += 30.5
    assert await limiter.retry_after("k") == 0  # the oldest hit slid out
    await limiter.reset("k")
    assert await limiter.retry_after("k") == 0


async def test_throttle_per_login_and_per_ip() -> None:
    clock = Clock()
    throttle = LoginThrottle(2, per_ip_factor=2,
                             pair_limiter=MemoryRateLimiter(2, clock=clock),
                             ip_limiter=MemoryRateLimiter(4, clock=clock))
    await throttle.failed("bob", "1.2.3.4")
    await throttle.failed("BOB", "1.2.3.4")
    assert await throttle.retry_after("bob", "1.2.3.4") == 60
    assert await throttle.retry_after("bob", "5.6.7.8") == 0  # other address
    assert await throttle.retry_after("eve", "1.2.3.4") == 0
    await throttle.failed("eve", "1.2.3.4")
    await throttle.failed("mallory", "1.2.3.4")
    assert await throttle.retry_after("zoe", "1.2.3.4") == 60  # the address is spent
    await throttle.succeeded("bob", "5.6.7.8")


async def test_memory_is_bounded() -> None:
    limiter = MemoryRateLimiter(1)
    limiter.MAX_KEYS = 10
    for i in range(50):
        await limiter.hit(f"k{i}")
    assert len(limiter._hits) <= 10
