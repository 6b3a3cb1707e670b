"""Benchmark of the pure ACD engine.

Decision time = one ``Engine.handle(CallEntered)`` that ends with an ``OriginateAgent``
(admission, queueing, selection, offer, queue snapshot), for groups of 10, 1 000 and
10 000 available agents, per strategy; then full call lifecycles per second
(enter → ringing → answer → caller hang-up → wrap-up 0 → available).

Run: .venv/bin/python bench/bench_acd_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from stasis_app.acd import (
    AgentLogin,
    CallEntered,
    CallerHungUp,
    ConfigureGroup,
    Engine,
    GroupConfig,
    OfferAnswered,
    OfferRinging,
    OriginateAgent,
    Strategy,
)


def build(strategy: Strategy, agents: int, seed: int = 1) -> Engine:
    rng = random.Random(seed)
    engine = Engine(rng=random.Random(seed))
    engine.handle(ConfigureGroup(now=0.0, config=GroupConfig(id=1, name="g", strategy=strategy)))
    for a in range(agents):
        engine.handle(
            AgentLogin(
                now=float(a) / agents,  # distinct idle times
                agent_id=a,
                extension=str(10000 + a),
                groups={1: rng.randint(0, 3)},
            )
        )
    return engine


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def decision_times(strategy: Strategy, agents: int, iterations: int) -> list[float]:
    engine = build(strategy, agents)
    now = 10.0
    times: list[float] = []
    for n in range(iterations):
        now += 0.01
        call_id = f"c{n}"
        t0 = time.perf_counter()
        out = engine.handle(CallEntered(now=now, call_id=call_id, group=1, caller_number="06"))
        times.append(time.perf_counter() - t0)
        assert any(isinstance(o, OriginateAgent) for o in out)
        engine.handle(CallerHungUp(now=now, call_id=call_id))  # agent(s) free again
    return times


def lifecycles_per_second(agents: int, calls: int) -> float:
    engine = build(Strategy.LONGEST_IDLE, agents)
    now = 10.0
    t0 = time.perf_counter()
    for n in range(calls):
        now += 0.01
        call_id = f"c{n}"
        out = engine.handle(CallEntered(now=now, call_id=call_id, group=1, caller_number="06"))
        offer = next(o for o in out if isinstance(o, OriginateAgent))
        engine.handle(OfferRinging(now=now, offer_id=offer.offer_id))
        engine.handle(OfferAnswered(now=now, offer_id=offer.offer_id))
        engine.handle(CallerHungUp(now=now, call_id=call_id))
    return calls / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    print(f"{'strategy':<13} {'agents':>6} {'iters':>6} {'p50 µs':>9} {'p99 µs':>9}")
    for strategy in Strategy:
        for agents in (10, 1_000, 10_000):
            iterations = 2000 if agents < 10_000 else 500
            if strategy is Strategy.RINGALL and agents >= 1_000:
                iterations = 200 if agents == 1_000 else 20  # rings everybody: O(n) by nature
            iterations = max(10, int(iterations * scale))
            times = decision_times(strategy, agents, iterations)
            print(
                f"{strategy.value:<13} {agents:>6} {iterations:>6} "
                f"{pct(times, 0.5) * 1e6:>9.1f} {pct(times, 0.99) * 1e6:>9.1f}"
            )
    calls = max(1000, int(20_000 * scale))
    for agents in (100, 10_000):
        rate = lifecycles_per_second(agents, calls)
        print(f"throughput: {rate:,.0f} full call lifecycles/s ({agents} agents, longest_idle)")
    _ = statistics  # keep the import for ad-hoc analysis


if __name__ == "__main__":
    main()
