"""R-order: same key strictly ordered, different keys concurrent, failures contained."""

from __future__ import annotations

import asyncio

import pytest

from stasis_app.ari import Event, KeyedDispatcher, default_key, parse_event
from tests.ari.client_fixtures import event_json


def ev(cid: str, n: int) -> Event:
    return parse_event(event_json("ChannelVarset", cid, variable="N", value=str(n)))


async def test_same_key_in_order_other_keys_concurrent() -> None:
    seen: dict[str, list[int]] = {"a": [], "b": []}
    running: set[str] = set()
    overlap = asyncio.Event()

    async def handler(e: Event) -> None:
        cid = e.channel_id
        assert cid not in running  # never two events of one key at once
        running.add(cid)
        if len(running) == 2:
            overlap.set()
        await asyncio.sleep(0.001 if int(e.value) % 3 else 0)  # uneven handler times
        seen[cid].append(int(e.value))
        running.discard(cid)

    d = KeyedDispatcher([handler])
    for n in range(50):
        d.submit(ev("a", n))
        d.submit(ev("b", n))
    await asyncio.wait_for(d.drain(), 5)
    assert seen == {"a": list(range(50)), "b": list(range(50))}
    assert overlap.is_set()  # a and b were handled in parallel
    assert d.pending == 0 and not d._tasks  # workers end when idle


async def test_slow_key_does_not_block_others() -> None:
    gate = asyncio.Event()
    done: list[str] = []

    async def handler(e: Event) -> None:
        if e.channel_id == "slow":
            await gate.wait()
        done.append(e.channel_id)

    d = KeyedDispatcher([handler])
    d.submit(ev("slow", 1))
    d.submit(ev("fast", 1))
    for _ in range(10):
        await asyncio.sleep(0)
    assert done == ["fast"]
    gate.set()
    await d.drain()
    assert done == ["fast", "slow"]


async def test_handler_exception_does_not_stop_the_key(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    async def handler(e: Event) -> None:
        if e.value == "1":
            raise RuntimeError("boom")
        seen.append(int(e.value))

    async def second(e: Event) -> None:  # later handlers still run for the failed event
        seen.append(100 + int(e.value))

    d = KeyedDispatcher([handler, second])
    for n in range(3):
        d.submit(ev("a", n))
    await d.drain()
    assert seen == [0, 100, 101, 2, 102]
    assert "boom" in caplog.text


async def test_pluggable_key_and_global_queue() -> None:
    calls = {"c1": "call-1", "c2": "call-1", "c3": "call-2"}
    order: list[str] = []

    async def handler(e: Event) -> None:
        await asyncio.sleep(0 if e.channel_id == "c2" else 0.002)
        order.append(f"{e.channel_id}:{e.value}")

    d = KeyedDispatcher([handler], key_of=lambda e: calls.get(e.channel_id or ""))
    d.submit(ev("c1", 1))
    d.submit(ev("c2", 2))  # same call as c1: must wait although its handler is faster
    d.submit(parse_event({"type": "ApplicationReplaced", "application": "crm"}))
    await d.drain()
    assert order.index("c1:1") < order.index("c2:2")
    assert default_key(ev("x", 1)) == "x"
    assert default_key(parse_event(event_json("BridgeDestroyed", bridge={"id": "b9"}))) == "b9"


async def test_key_function_failure_goes_global() -> None:
    seen: list[str] = []

    async def handler(e: Event) -> None:
        seen.append(e.channel_id or "")

    def bad_key(e: Event) -> str:
        raise KeyError("nope")

    d = KeyedDispatcher([handler], key_of=bad_key)
    d.submit(ev("a", 1))
    await d.drain()
    assert seen == ["a"]


async def test_close_cancels_workers() -> None:
    async def handler(e: Event) -> None:
        await asyncio.sleep(3600)

    d = KeyedDispatcher([handler])
    d.submit(ev("a", 1))
    d.submit(ev("b", 1))
    await asyncio.sleep(0)
    tasks = list(d._tasks)
    await d.close()
    assert all(t.done() for t in tasks) and not d._tasks
    await asyncio.wait_for(d.drain(), 1)
