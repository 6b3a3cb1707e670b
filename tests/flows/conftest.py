"""Call-flow scenarios: the whole Stasis application (ARI client, adapter, engine, journal,
hub) against the simulated Asterisk always, and against a real Asterisk when given.

Real Asterisk: set PROWEBCRM_TEST_ARI_URL/_USER/_PASSWORD/_APP and the dial strings
PROWEBCRM_TEST_INBOUND_DIAL (e.g. ``Local/{group}@inbound``, whose dialplan runs
``Stasis(<app>,inbound,${EXTEN})``), PROWEBCRM_TEST_CALLER_CONTEXT (an answering context for
the caller's far end), PROWEBCRM_TEST_AGENT_DIAL (auto-answering phone, e.g.
``Local/{extension}@agent-phones``), PROWEBCRM_TEST_NOANSWER_DIAL (rings, never answers) and
PROWEBCRM_TEST_OUTBOUND_DIAL (answering outside party, e.g. ``Local/{number}@pstn``).
Scenarios that need a phone the test drives by hand (answer on command, reject) run on the
simulator only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from crm import db as crm_db
from crm.hub import SUPERVISION, HubEvent, LocalHub, Subscription, agent_topic
from crm.models import Group, GroupMember, Role, User
from prowebcrm.settings import Settings, load_settings
from stasis_app.acd import Engine
from stasis_app.ari import AriClient, AriError
from stasis_app.runtime import AcdRuntime
from stasis_app.service import AcdService

REAL_ENV = ("PROWEBCRM_TEST_ARI_URL", "PROWEBCRM_TEST_ARI_USER",
            "PROWEBCRM_TEST_ARI_PASSWORD", "PROWEBCRM_TEST_ARI_APP")
REAL_GIVEN = all(os.environ.get(name) for name in REAL_ENV)
SKIP_REAL = "no real Asterisk given (set PROWEBCRM_TEST_ARI_URL/_USER/_PASSWORD/_APP)"
_numbers = itertools.count(1)


class Telephony:
    """The phones and callers of one Asterisk, as a scenario needs them."""

    name: str
    agent_dial: str
    outbound_dial: str
    can_drive_phones: bool
    ari: tuple[str, str, str, str]  # url, user, password, app

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def extension(self, ext: str, behaviour: str = "auto_answer") -> str: raise NotImplementedError
    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        raise NotImplementedError
    async def caller_hangup(self, handle: str) -> None: raise NotImplementedError
    def phone(self, ext: str) -> Any: raise NotImplementedError

    async def clean_up(self, prefixes: tuple[str, ...]) -> None:
        """Hang up and destroy whatever of ours a failed scenario left in Asterisk."""
        url, user, password, app = self.ari
        async with AriClient(url, user, password, app) as client:
            for channel in await client.channels.list():
                if channel.id.startswith(prefixes):
                    with contextlib.suppress(AriError):
                        await client.channels.hangup(channel.id)
            for bridge in await client.bridges.list():
                if bridge.id.startswith(prefixes):
                    with contextlib.suppress(AriError):
                        await client.bridges.destroy(bridge.id)

    async def leftovers(self, prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Channels and bridges of ours still in Asterisk."""
        url, user, password, app = self.ari
        async with AriClient(url, user, password, app) as client:
            channels = [c.id for c in await client.channels.list()]
            bridges = [b.id for b in await client.bridges.list()]
        return (
            [c for c in channels if c.startswith(prefixes)],
            [b for b in bridges if b.startswith(prefixes)],
        )


class SimTelephony(Telephony):
    name = "simulator"
    agent_dial = "PJSIP/{extension}"
    outbound_dial = "PJSIP/{number}@trunk"
    can_drive_phones = True

    def __init__(self) -> None:
        from asterisk_sim import Simulator

        self.sim = Simulator(user="acd", password="acd-secret", app_for_inbound="acd-test")
        self.ari = ("", "acd", "acd-secret", "acd-test")

    async def start(self) -> None:
        await self.sim.start()
        self.ari = (self.sim.url, *self.ari[1:])

    async def stop(self) -> None:
        await self.sim.stop()

    def extension(self, ext: str, behaviour: str = "auto_answer") -> str:
        self.sim.phones.add(ext, behaviour=behaviour, answer_delay=0.05)
        return ext

    def phone(self, ext: str) -> Any:
        return self.sim.phone(ext)

    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        return self.sim.place_inbound_call(group, number, name)

    async def caller_hangup(self, handle: str) -> None:
        self.sim.hangup_call(handle)

    async def leftovers(self, prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
        channels, bridges = await super().leftovers(prefixes)
        # Simulated callers get ids the simulator picks: every live one is a leftover.
        snap = self.sim.snapshot()
        live_callers = [c["id"] for c in snap["calls"] if c.get("state") not in ("ended", "failed")]
        return channels + live_callers, bridges


class RealTelephony(Telephony):
    name = "real"
    can_drive_phones = False

    def __init__(self) -> None:
        env = os.environ
        self.ari = tuple(env[name] for name in REAL_ENV)  # type: ignore[assignment]
        # The extension an agent logs in with *is* the whole dial string on a real Asterisk,
        # so one template serves auto-answering and never-answering phones.
        self.agent_dial = "{extension}"
        self.outbound_dial = env.get("PROWEBCRM_TEST_OUTBOUND_DIAL", "Local/{number}@pstn")
        self._inbound = env.get("PROWEBCRM_TEST_INBOUND_DIAL", "Local/{group}@inbound")
        self._caller_context = env.get("PROWEBCRM_TEST_CALLER_CONTEXT", "caller")
        self._answer = env.get("PROWEBCRM_TEST_AGENT_DIAL", "Local/{extension}@agent-phones")
        self._noanswer = env.get(
            "PROWEBCRM_TEST_NOANSWER_DIAL", "Local/{extension}@agent-phones-noanswer"
        )
        self._driver: AriClient | None = None

    async def start(self) -> None:
        url, user, password, _ = self.ari
        # The callers are placed through the dialplan, from a client with no app of its own.
        self._driver = AriClient(url, user, password, self.ari[3] + "-driver")

    async def stop(self) -> None:
        if self._driver is not None:
            await self._driver.close()

    def extension(self, ext: str, behaviour: str = "auto_answer") -> str:
        if behaviour == "auto_answer":
            return self._answer.format(extension=ext)
        if behaviour == "never_answer":
            return self._noanswer.format(extension=ext)
        pytest.skip(f"a real Asterisk has no phone that behaves as {behaviour!r}")

    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        assert self._driver is not None
        handle = f"pwtest-caller-{next(_numbers)}-{int(time.time())}"
        await self._driver.channels.originate(
            self._inbound.format(group=group),
            channel_id=handle,
            other_channel_id=handle + "-in",
            context=self._caller_context,
            extension=group,
            priority=1,
            caller_id=f'"{name or number}" <{number}>',
        )
        return handle

    async def caller_hangup(self, handle: str) -> None:
        assert self._driver is not None
        try:
            await self._driver.channels.hangup(handle)
        except AriError:
            pass


@dataclass
class Acd:
    """One running Stasis application and what the scenario needs to drive and watch it."""

    tel: Telephony
    runtime: AcdRuntime
    hub: LocalHub
    events: Subscription
    seen: list[HubEvent] = field(default_factory=list)

    @property
    def service(self) -> AcdService:
        assert self.runtime.service is not None
        return self.runtime.service

    @property
    def engine(self) -> Engine:
        assert self.runtime.controller is not None
        return self.runtime.controller.engine

    async def until(self, check: Callable[[], Any], timeout: float = 8.0, what: str = "") -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            self._drain_events()
            result = check()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.02)

    def _drain_events(self) -> None:
        while not self.events.queue.empty():
            event = self.events.queue.get_nowait()
            if event is not None:
                self.seen.append(event)

    def event_types(self) -> list[str]:
        self._drain_events()
        return [e.type for e in self.seen]

    def events_of(self, type_: str) -> list[dict]:
        self._drain_events()
        return [e.data for e in self.seen if e.type == type_]

    async def settle(self) -> None:
        assert self.runtime.controller is not None and self.runtime.journal is not None
        await self.runtime.controller.idle()
        await self.runtime.journal.flush()

    def agent_state(self, agent_id: int) -> str | None:
        view = self.service.agent(agent_id)
        return view.state.value if view else None


def _telephony_params() -> list:
    return [
        "simulator",
        pytest.param("real", marks=pytest.mark.skipif(not REAL_GIVEN, reason=SKIP_REAL)),
    ]


@pytest.fixture(params=_telephony_params())
async def telephony(request: pytest.FixtureRequest) -> AsyncIterator[Telephony]:
    tel: Telephony = SimTelephony() if request.param == "simulator" else RealTelephony()
    await tel.start()
    try:
        yield tel
    finally:
        await tel.stop()


@pytest.fixture
def flow_settings(tmp_path: Path, telephony: Telephony, sqlite_template: Path) -> Settings:
    import shutil

    db_file = tmp_path / "flows.sqlite3"
    shutil.copy(sqlite_template, db_file)
    url, user, password, app = telephony.ari
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=f"sqlite://{db_file}",
        ari_url=url,
        ari_user=user,
        ari_password=password,
        ari_app=app,
        agent_dial=telephony.agent_dial,
        outbound_dial=telephony.outbound_dial,
        timezone="UTC",
    )


@pytest.fixture
async def acd(flow_settings: Settings, telephony: Telephony) -> AsyncIterator[Acd]:
    EXECUTOR_CACHE.clear()
    await crm_db.init_db(flow_settings.database_url)
    hub = LocalHub()
    runtime = AcdRuntime(flow_settings, hub)
    # Screen pops go to the agent's own topic only: watch those of the first agents too.
    topics = [SUPERVISION, *(agent_topic(n) for n in range(1, 200))]
    subscription = hub.subscribe(topics, max_pending=100_000)
    try:
        # A dedicated test app name: taking it over never steals a real deployment's calls.
        await runtime.start(takeover=True)
        yield Acd(telephony, runtime, hub, subscription)
    finally:
        await runtime.stop()
        await crm_db.close_db()
        # A failed scenario must not leave its calls in a shared Asterisk for the next one.
        await telephony.clean_up(("pw",))


async def make_agent(login: str) -> User:
    return await User.create(login=login, name=login.title(), password_hash="-", role=Role.AGENT)


async def make_group(name: str, agents: list[User], **settings: Any) -> Group:
    defaults: dict[str, Any] = {"ring_timeout_s": 3, "wrapup_s": 0, "autopause_after": 0}
    defaults.update(settings)
    group = await Group.create(name=name, number=str(1000 + next(_numbers)), **defaults)
    for position, agent in enumerate(agents):
        await GroupMember.create(user=agent, group=group, penalty=0, position=position)
    return group
