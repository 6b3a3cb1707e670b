"""The controller's now form (stasis_app.ari.dispatch): an event is handled in the reading
task unless something in it must wait, and then it says so."""

from __future__ import annotations

from typing import Any

from crm.hub import LocalHub
from stasis_app.acd import Engine
from stasis_app.ari import Event, parse_event
from stasis_app.controller import Controller
from stasis_app.publisher import Publisher
from stasis_app.registry import Registry
from tests.ari.client_fixtures import event_json


class _Spies:
    def __init__(self, channels: set[str]) -> None:
        self.channels = channels
        self.taken: list[str] = []

    def concerns(self, event: Event) -> bool:
        channel = getattr(event, "channel", None)
        return channel is not None and channel.id in self.channels

    async def on_event(self, event: Event) -> bool:
        if not self.concerns(event):
            return False
        self.taken.append(event.type)
        return True


def _controller(spies: _Spies) -> tuple[Controller, list[tuple[str, str]]]:
    strays: list[tuple[str, str]] = []

    async def on_stray(channel_id: str, reason: str) -> None:
        strays.append((channel_id, reason))

    controller = Controller(Engine(), Registry(), Publisher(None, LocalHub()))  # type: ignore[arg-type]
    controller.attach(None, on_stray, spies)  # type: ignore[arg-type]
    return controller, strays


def _start(cid: str, *args: str) -> Event:
    return parse_event(event_json("StasisStart", cid, args=list(args)))


async def test_an_ordinary_event_is_taken_at_once() -> None:
    controller, strays = _controller(_Spies(set()))
    event = parse_event(event_json("ChannelStateChange", "nobody"))
    assert controller.on_ari_event_now(event) is True
    assert strays == []


async def test_a_stray_channel_leaves_its_hang_up_to_await() -> None:
    controller, strays = _controller(_Spies(set()))
    left: Any = controller.on_ari_event_now(_start("odd", "nonsense"))
    assert left is not True and left is not False
    assert strays == []  # not hung up until awaited, in the channel's turn
    await left
    assert strays == [("odd", "unexpected Stasis arguments ['nonsense']")]


async def test_held_events_and_a_spys_channel_go_the_waiting_way() -> None:
    spies = _Spies({"spy-leg"})
    controller, _ = _controller(spies)
    spy_event = parse_event(event_json("StasisEnd", "spy-leg"))
    assert controller.on_ari_event_now(spy_event) is False
    assert spies.taken == []  # declined untouched: on_ari_event gives it to the spies
    await controller.on_ari_event(spy_event)
    assert spies.taken == ["StasisEnd"]
    controller.hold_events()
    assert controller.on_ari_event_now(parse_event(event_json("ChannelStateChange", "x"))) \
        is False
