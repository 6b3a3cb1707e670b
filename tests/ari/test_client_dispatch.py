"""R-order: same key strictly ordered, different keys concurrent, failures contained."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

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


async def test_now_form_handles_at_once_and_keeps_each_keys_order() -> None:
    """The now form runs in submit() itself for a key with nothing pending; an event it
    declines (False) goes to the handler in a worker, and every later event of that key
    waits behind it, now form or not; an awaitable it leaves is finished before the key's
    next event."""
    seen: list[str] = []
    gate = asyncio.Event()

    async def finish(label: str) -> None:
        await gate.wait()
        seen.append(label)

    def now(e: Event) -> bool | Awaitable[None]:
        if e.value == "slow":
            return False
        if e.value == "leave":
            seen.append(f"{e.channel_id}:leave(now)")
            return finish(f"{e.channel_id}:leave(finished)")
        seen.append(f"{e.channel_id}:{e.value}(now)")
        return True

    async def handler(e: Event) -> None:
        await gate.wait()
        seen.append(f"{e.channel_id}:{e.value}(worker)")

    d = KeyedDispatcher([handler], now={handler: now})
    d.submit(ev_value("a", "1"))
    assert seen == ["a:1(now)"] and not d._tasks  # no worker task for it
    d.submit(ev_value("a", "slow"))
    d.submit(ev_value("a", "2"))  # behind the slow one: not at once
    d.submit(ev_value("b", "leave"))
    d.submit(ev_value("b", "3"))  # behind what "leave" left
    d.submit(ev_value("c", "4"))
    assert seen == ["a:1(now)", "b:leave(now)", "c:4(now)"]
    gate.set()
    await asyncio.wait_for(d.drain(), 5)
    assert [x for x in seen if x.startswith("a:")] == ["a:1(now)", "a:slow(worker)",
                                                      "a:2(worker)"]
    assert [x for x in seen if x.startswith("b:")] == ["b:leave(now)", "b:leave(finished)",
                                                      "b:3(worker)"]
    assert d.pending == 0 and not d._tasks


async def test_now_form_failure_is_logged_and_the_key_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    def now(e: Event) -> bool:
        if e.value == "1":
            raise RuntimeError("boom now")
        seen.append(e.value)
        return True

    async def handler(e: Event) -> None:  # not used: the now form takes every event
        raise AssertionError("the worker path ran")

    d = KeyedDispatcher([handler], now={handler: now})
    for n in range(3):
        d.submit(ev_value("a", str(n)))
    await d.drain()
    assert seen == ["0", "2"]
    assert "boom now" in caplog.text


async def test_now_form_unused_beside_another_handler() -> None:
    """With two handlers the now form of one would run ahead of the other's handler."""
    seen: list[str] = []

    def now(e: Event) -> bool:
        seen.append("now")
        return True

    async def first(e: Event) -> None:
        seen.append("first")

    async def second(e: Event) -> None:
        seen.append("second")

    d = KeyedDispatcher([first, second], now={first: now})
    d.submit(ev_value("a", "1"))
    await d.drain()
    assert seen == ["first", "second"]


def ev_value(cid: str, value: str) -> Event:
    return parse_event(event_json("ChannelVarset", cid, variable="N", value=value))
