import asyncio

import pytest

from crm.hub import SUPERVISION, LocalHub, agent_topic


async def test_events_reach_only_subscribers_of_their_topics() -> None:
    hub = LocalHub()
    agent1 = hub.subscribe([agent_topic(1)])
    agent2 = hub.subscribe([agent_topic(2)])
    supervisor = hub.subscribe([SUPERVISION])
    hub.publish("call.offered", {"call": "c1", "agent": 1}, [agent_topic(1), SUPERVISION])
    got = await agent1.get(timeout=1)
    assert got.to_json() == {"type": "call.offered", "data": {"call": "c1", "agent": 1}}
    assert (await supervisor.get(timeout=1)).type == "call.offered"
    with pytest.raises(TimeoutError):
        await agent2.get(timeout=0.05)


async def test_event_on_two_topics_of_one_subscriber_arrives_once() -> None:
    hub = LocalHub()
    sub = hub.subscribe([agent_topic(1), SUPERVISION])
    hub.publish("x", {}, [agent_topic(1), SUPERVISION])
    await sub.get(timeout=1)
    assert sub.queue.empty()


async def test_order_is_kept_and_iteration_ends_on_close() -> None:
    hub = LocalHub()
    sub = hub.subscribe([SUPERVISION])
    for i in range(5):
        hub.publish("n", {"i": i}, [SUPERVISION])
    received: list[int] = []

    async def read() -> None:
        async for event in sub:
            received.append(event.data["i"])

    reader = asyncio.create_task(read())
    await asyncio.sleep(0)
    sub.close()
    await asyncio.wait_for(reader, 1)
    assert received == [0, 1, 2, 3, 4]
    assert hub.subscriber_count() == 0


async def test_a_slow_subscriber_is_dropped_not_waited_for() -> None:
    hub = LocalHub()
    slow = hub.subscribe([SUPERVISION], max_pending=3)
    fast = hub.subscribe([SUPERVISION], max_pending=100)
    for i in range(10):
        hub.publish("n", {"i": i}, [SUPERVISION])
    assert slow.dropped and slow.closed
    assert hub.subscriber_count(SUPERVISION) == 1
    assert [(await fast.get(timeout=1)).data["i"] for _ in range(10)] == list(range(10))
    # The dropped reader drains what it had, then sees the end of the stream.
    seen = [event.data["i"] async for event in slow]
    assert seen == sorted(seen) and len(seen) <= 3
