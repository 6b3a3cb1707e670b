"""Call generator: Poisson arrivals at the asked rate (seeded, clock-free checks)."""

from __future__ import annotations

import random

from asterisk_sim import Simulator
from asterisk_sim.generator import GeneratorConfig, arrival_times
from asterisk_sim.testing import AriTestClient


def test_arrival_rate_matches_configuration_deterministically() -> None:
    rng = random.Random(42)
    hour = 3600.0
    arrivals = arrival_times({"1000": 10.0, "2000": 2.0, "3000": 0.0}, hour, rng)
    per_group = {g: sum(1 for _, x in arrivals if x == g) for g in ("1000", "2000", "3000")}
    # 600 and 120 expected; a Poisson count's std-dev is sqrt(n): allow ~3 sigma.
    assert abs(per_group["1000"] - 600) < 75
    assert abs(per_group["2000"] - 120) < 33
    assert per_group["3000"] == 0
    assert arrivals == sorted(arrivals)
    assert arrival_times({"1000": 10.0}, hour, random.Random(42)) == arrival_times(
        {"1000": 10.0}, hour, random.Random(42)
    )


def test_config_parsing() -> None:
    cfg = GeneratorConfig.from_json(
        {"rate_per_minute": 5, "group": "7000", "mean_talk_time": 20, "abandon_patience": None}
    )
    assert cfg.rates == {"7000": 5.0} and cfg.mean_talk_time == 20 and cfg.mean_patience is None


async def test_running_generator_places_calls_that_talk_and_hang_up(simulator: Simulator) -> None:
    # 1200 calls/min on a 20x clock: one call every ~2.5 ms of real time.
    simulator.configure_generator(rates={"1000": 1200}, mean_talk_time=1, abandon_patience=2)
    async with AriTestClient(simulator.url, simulator.auth_header, "prowebcrm") as ari:
        simulator.generator.start()
        await ari.wait_for("StasisStart")
        while len([e for e in ari.events if e["type"] == "StasisStart"]) < 5:
            await ari.wait_for("StasisStart", start=len(ari.events))
        simulator.generator.pause()
        placed = simulator.generator.placed
        assert placed >= 5
        # Unanswered, unbridged callers give up after their patience (abandon).
        await ari.wait_for("StasisEnd", timeout=3)
        assert any(c.end_reason == "abandon" for c in simulator.callers.calls.values())
        assert simulator.generator.placed == placed  # paused: nothing new
