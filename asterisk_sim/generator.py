"""A Poisson call generator: per-group arrival rates, random talk times and patience."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .scheduler import Scheduler, Timer


@dataclass
class GeneratorConfig:
    rates: dict[str, float] = field(default_factory=dict)  # calls per minute, per group
    mean_talk_time: float = 60.0  # seconds, exponential
    mean_patience: float | None = 120.0  # seconds, exponential; None = never abandon
    number_prefix: str = "06"
    # Callers the CRM knows (so screen pops show real records), used for this share of calls.
    known_numbers: list[str] = field(default_factory=list)
    known_share: float = 0.5

    @classmethod
    def from_json(
        cls, data: dict[str, Any], base: GeneratorConfig | None = None
    ) -> GeneratorConfig:
        cfg = base or cls()
        rates = data.get("rates", data.get("rate_per_minute"))
        if isinstance(rates, dict):
            cfg.rates = {str(k): float(v) for k, v in rates.items()}
        elif rates is not None:
            group = str(data.get("group", "1000"))
            cfg.rates = {group: float(rates)}
        if "mean_talk_time" in data:
            cfg.mean_talk_time = float(data["mean_talk_time"])
        if "abandon_patience" in data or "mean_patience" in data:
            raw = data.get("abandon_patience", data.get("mean_patience"))
            cfg.mean_patience = None if raw is None else float(raw)
        if "known_numbers" in data:
            cfg.known_numbers = [str(n) for n in data["known_numbers"]]
        if "known_share" in data:
            cfg.known_share = min(1.0, max(0.0, float(data["known_share"])))
        if any(r < 0 for r in cfg.rates.values()) or cfg.mean_talk_time <= 0:
            raise ValueError("rates must be >= 0 and mean_talk_time > 0")
        return cfg

    def to_json(self) -> dict[str, Any]:
        return {
            "rates": dict(self.rates),
            "mean_talk_time": self.mean_talk_time,
            "abandon_patience": self.mean_patience,
        }


def arrival_times(
    rates: dict[str, float], duration: float, rng: random.Random
) -> list[tuple[float, str]]:
    """Arrivals of a Poisson process per group over `duration` seconds, time-sorted.

    Pure (no clock): the running generator draws its gaps the same way, so tests
    can check the rate deterministically with a seeded RNG.
    """
    out: list[tuple[float, str]] = []
    for group in sorted(rates):
        rate = rates[group] / 60.0
        if rate <= 0:
            continue
        t = rng.expovariate(rate)
        while t < duration:
            out.append((t, group))
            t += rng.expovariate(rate)
    return sorted(out)


PlaceCall = Callable[[str, str, float | None, float | None], Any]


class CallGenerator:
    def __init__(
        self, scheduler: Scheduler, place_call: PlaceCall, seed: int | None = None
    ) -> None:
        self.scheduler = scheduler
        self._place_call = place_call
        self.rng = random.Random(seed)
        self.config = GeneratorConfig()
        self.state = "stopped"  # stopped | running | paused
        self.placed = 0
        self._timers: dict[str, Timer] = {}

    def configure(self, config: GeneratorConfig) -> None:
        self.config = config
        if self.state == "running":
            self._cancel()
            self._arm_all()

    def start(self) -> None:
        self._cancel()
        self.state = "running"
        self._arm_all()

    def pause(self) -> None:
        if self.state == "running":
            self._cancel()
            self.state = "paused"

    def resume(self) -> None:
        if self.state == "paused":
            self.start()

    def stop(self) -> None:
        self._cancel()
        self.state = "stopped"

    def burst(self, count: int, group: str | None = None) -> int:
        """Place `count` calls at once (spread over the configured groups if none given)."""
        groups = [group] if group else (sorted(self.config.rates) or ["1000"])
        for i in range(count):
            self._place(groups[i % len(groups)])
        return count

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "placed": self.placed, **self.config.to_json()}

    # --- internals ------------------------------------------------------------
    def _arm_all(self) -> None:
        for group, rate in self.config.rates.items():
            if rate > 0:
                self._arm(group)

    def _arm(self, group: str) -> None:
        rate = self.config.rates.get(group, 0.0) / 60.0
        if rate <= 0 or self.state != "running":
            return
        self._timers[group] = self.scheduler.call_later(
            self.rng.expovariate(rate), self._fire, group
        )

    def _fire(self, group: str) -> None:
        self._timers.pop(group, None)
        if self.state != "running":
            return
        self._place(group)
        self._arm(group)

    def _place(self, group: str) -> None:
        talk = self.rng.expovariate(1.0 / self.config.mean_talk_time)
        patience = (
            None
            if self.config.mean_patience is None
            else self.rng.expovariate(1.0 / self.config.mean_patience)
        )
        self.placed += 1
        known = self.config.known_numbers
        if known and self.rng.random() < self.config.known_share:
            number = self.rng.choice(known)
        else:
            number = f"{self.config.number_prefix}{self.rng.randrange(10**8):08d}"
        self._place_call(group, number, talk, patience)

    def _cancel(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
