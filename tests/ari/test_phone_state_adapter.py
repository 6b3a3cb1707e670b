"""The adapter's part of phone state (issue 12): device/endpoint events read as phone
states, the phone's device from the agent dial template, originate failures classified, and
the watcher's subscriptions (R-subscribe: one device per logged-in phone, again after a
reconnect)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stasis_app.acd import inputs as i
from stasis_app.acd.model import PhoneState
from stasis_app.ari import AriError
from stasis_app.ari.errors import AriBadRequest, AriNotFound, AriServerError
from stasis_app.ari.events import parse_event
from stasis_app.ari.models import Endpoint
from stasis_app.executor import endpoint_unreachable, originator_gone
from stasis_app.phones import PhoneWatch
from stasis_app.registry import Registry
from stasis_app.translate import (
    EventTranslator,
    device_extension,
    device_phone_state,
    endpoint_phone_state,
    phone_device,
)

TS = "2026-12-05T08:00:00.000+0000"


@pytest.mark.parametrize(("state", "phone"), [
    ("NOT_INUSE", PhoneState.IDLE), ("INUSE", PhoneState.IN_USE),
    ("BUSY", PhoneState.IN_USE), ("RINGING", PhoneState.IN_USE),
    ("RINGINUSE", PhoneState.IN_USE), ("ONHOLD", PhoneState.IN_USE),
    ("UNAVAILABLE", PhoneState.UNREACHABLE), ("UNKNOWN", PhoneState.UNKNOWN),
    ("INVALID", PhoneState.UNKNOWN),
])
def test_device_states(state: str, phone: PhoneState) -> None:
    assert device_phone_state(state) is phone


def test_endpoint_states() -> None:
    assert endpoint_phone_state("offline", False) is PhoneState.UNREACHABLE
    assert endpoint_phone_state("offline", True) is PhoneState.UNREACHABLE
    assert endpoint_phone_state("online", False) is PhoneState.IDLE
    assert endpoint_phone_state("online", True) is PhoneState.IN_USE
    assert endpoint_phone_state("unknown", False) is PhoneState.UNKNOWN
    assert endpoint_phone_state("unknown", True) is PhoneState.IN_USE


@pytest.mark.parametrize(("template", "extension", "device"), [
    ("PJSIP/{extension}", "2001", "PJSIP/2001"),
    ("SIP/{extension}", "2001", "SIP/2001"),
    ("Local/{extension}@agent-phones", "2001", ""),  # not a phone's device
    ("PJSIP/{extension}/sip:x", "2001", ""),
    ("{extension}", "2001", ""),
    ("PJSIP/{extension}", "", ""),
])
def test_phone_device(template: str, extension: str, device: str) -> None:
    assert phone_device(extension, template) == device
    if device:
        assert device_extension(device, template) == extension
    assert device_extension("PJSIP/2001", "Local/{extension}@x") == ""


def test_device_and_endpoint_events_become_phone_states() -> None:
    t = EventTranslator(Registry(), "PJSIP/{extension}")
    dev = parse_event({"type": "DeviceStateChanged", "application": "a", "timestamp": TS,
                       "device_state": {"name": "PJSIP/2001", "state": "INUSE"}})
    assert t.translate(dev, 5.0) == [
        i.PhoneStateChanged(now=5.0, extension="2001", state=PhoneState.IN_USE)]
    other = parse_event({"type": "DeviceStateChanged", "application": "a", "timestamp": TS,
                         "device_state": {"name": "Queue:x", "state": "INUSE"}})
    assert t.translate(other, 5.0) == []
    end = parse_event({"type": "EndpointStateChange", "application": "a", "timestamp": TS,
                       "endpoint": {"technology": "PJSIP", "resource": "2002",
                                    "state": "offline", "channel_ids": []}})
    assert t.translate(end, 6.0) == [
        i.PhoneStateChanged(now=6.0, extension="2002", state=PhoneState.UNREACHABLE)]


def test_originate_failures_classified() -> None:
    gone = AriBadRequest("Provided originator channel was not found", status=400)
    alloc = AriServerError("Allocation failed", status=500)
    assert originator_gone(gone) and not endpoint_unreachable(gone)
    assert endpoint_unreachable(alloc) and not originator_gone(alloc)
    other = AriError("Endpoint not found", status=404)
    assert not originator_gone(other) and not endpoint_unreachable(other)


class FakeApps:
    def __init__(self) -> None:
        self.subscribed: list[str] = []
        self.unsubscribed: list[str] = []
        self.devices: tuple[str, ...] = ()

    async def get(self) -> Any:
        from stasis_app.ari.models import Application

        return Application("app", (), (), (), self.devices)

    async def subscribe(self, source: str) -> None:
        self.subscribed.append(source)

    async def unsubscribe(self, source: str) -> None:
        self.unsubscribed.append(source)


class FakeEndpoints:
    def __init__(self, states: dict[str, Endpoint]) -> None:
        self.states = states
        self.gate: asyncio.Event | None = None

    async def get(self, technology: str, resource: str) -> Endpoint:
        if self.gate is not None:
            await self.gate.wait()
        found = self.states.get(resource)
        if found is None:
            raise AriNotFound("Endpoint not found", status=404)
        return found


class FakeClient:
    def __init__(self, states: dict[str, Endpoint]) -> None:
        self.applications = FakeApps()
        self.endpoints = FakeEndpoints(states)


async def test_watch_subscribes_reads_and_rewatches() -> None:
    client = FakeClient({
        "2001": Endpoint("PJSIP", "2001", "offline"),
        "2002": Endpoint("PJSIP", "2002", "online", ("x",)),
    })
    got: list[i.Input] = []
    watch = PhoneWatch(client, "PJSIP/{extension}", got.append, lambda: 1.0)  # type: ignore[arg-type]
    watch.watch("2001")
    watch.watch("2001")  # once
    watch.watch("2002")
    watch.watch("2003")  # no such endpoint: nothing said
    await watch.idle()
    assert client.applications.subscribed == [
        "deviceState:PJSIP/2001", "deviceState:PJSIP/2002", "deviceState:PJSIP/2003"]
    assert {(x.extension, x.state) for x in got if isinstance(x, i.PhoneStateChanged)} == {
        ("2001", PhoneState.UNREACHABLE), ("2002", PhoneState.IN_USE)}
    # a reconnect: subscribed again; what an earlier process left for others is dropped
    client.applications.devices = ("PJSIP/2001", "PJSIP/2002", "Custom:x")
    watch.rewatch(["2001"])
    await watch.idle()
    assert client.applications.subscribed[-1] == "deviceState:PJSIP/2001"
    assert client.applications.unsubscribed == ["deviceState:PJSIP/2002"]
    watch.unwatch("2001")
    await watch.idle()
    assert client.applications.unsubscribed[-1] == "deviceState:PJSIP/2001"


async def test_a_read_overtaken_by_an_event_is_dropped() -> None:
    client = FakeClient({"2001": Endpoint("PJSIP", "2001", "online", ("x",))})
    client.endpoints.gate = asyncio.Event()
    got: list[Any] = []
    watch = PhoneWatch(client, "PJSIP/{extension}", got.append, lambda: 1.0)  # type: ignore[arg-type]
    watch.watch("2001")
    await asyncio.sleep(0)
    watch.noted("2001")  # a device state event arrived while the endpoint was being read
    client.endpoints.gate.set()
    await watch.idle()
    assert got == []


async def test_local_templates_watch_nothing() -> None:
    client = FakeClient({})
    watch = PhoneWatch(client, "Local/{extension}@agent-phones", lambda x: None,  # type: ignore[arg-type]
                       lambda: 1.0)
    watch.watch("2001")
    await watch.idle()
    assert client.applications.subscribed == [] and watch.watched == frozenset()


class _Refusing:
    """An ARI client whose originate answers with ``error``."""

    def __init__(self, error: AriError) -> None:
        self.error = error
        self.channels = self

    async def originate(self, endpoint: str, **kwargs: Any) -> None:
        raise self.error


def _originate(error: AriError) -> tuple[list[i.Input], Registry]:
    from stasis_app.acd import outputs as o
    from stasis_app.acd.model import LegPurpose
    from stasis_app.executor import CommandExecutor

    registry = Registry()
    registry.add_caller("caller-1")
    got: list[i.Input] = []
    executor = CommandExecutor(_Refusing(error), registry, got.append, lambda: 7.0,  # type: ignore[arg-type]
                               agent_dial="PJSIP/{extension}",
                               outbound_dial="PJSIP/{number}@trunk")
    command = o.OriginateAgent(offer_id="offer-1", call_id="caller-1", agent_id=3,
                               extension="2001", caller_number="0600", caller_name="",
                               timeout_s=10, purpose=LegPurpose.QUEUE, bridge_id="b-1")
    asyncio.run(executor._OriginateAgent(command))
    return got, registry


def test_unreachable_endpoint_fails_the_offer_as_unreachable() -> None:
    from stasis_app.acd.model import FailReason

    got, _ = _originate(AriServerError("Allocation failed", status=500))
    assert got == [i.OfferFailed(now=7.0, offer_id="offer-1", reason=FailReason.UNREACHABLE)]


def test_originator_gone_ends_the_caller_not_the_offer() -> None:
    got, registry = _originate(AriBadRequest("Provided originator channel was not found",
                                             status=400))
    assert got == [i.CallerHungUp(now=7.0, call_id="caller-1")]
    assert registry.callers["caller-1"].hung_up and registry.legs["offer-1"].ended
