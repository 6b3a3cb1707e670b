"""Timers for the simulated world, all cancellable at once and all time-scalable.

Every delay in the simulator (phone answer delay, ring timeouts, talk times,
call generator arrivals) goes through one Scheduler so that ``stop()`` can
cancel everything and tests can run the world faster with ``time_scale``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class Timer:
    """A handle on one scheduled callback."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._handle: asyncio.TimerHandle | None = None
        self.fired = False

    @property
    def active(self) -> bool:
        return self._handle is not None and not self.fired

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._scheduler._timers.discard(self)
            self._handle = None


class Scheduler:
    """Runs callbacks after simulated seconds (real seconds x ``time_scale``)."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._timers: set[Timer] = set()
        self._errors: list[BaseException] = []

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(self)

        def run() -> None:
            timer.fired = True
            self._timers.discard(timer)
            try:
                fn(*args)
            except Exception as exc:  # keep the loop alive; surface via .errors
                self._errors.append(exc)

        loop = asyncio.get_running_loop()
        timer._handle = loop.call_later(max(0.0, delay) * self.time_scale, run)
        self._timers.add(timer)
        return timer

    @property
    def pending(self) -> int:
        return len(self._timers)

    @property
    def errors(self) -> list[BaseException]:
        return list(self._errors)

    def cancel_all(self) -> None:
        for timer in list(self._timers):
            timer.cancel()
        self._timers.clear()
