"""Call-flow scenarios: the whole Stasis application (ARI client, adapter, engine, journal,
hub) against the simulated Asterisk always, and against a real Asterisk when given.

The real Asterisk is the suite's own (tests/pbx: built from ../shared/asterisk, configured
from asterisk-config/, SIPp phones and carrier), or another one given by
PROWEBCRM_TEST_ARI_URL/_USER/_PASSWORD/_APP with the dial strings of tests/flows/telephony.py.
"""

from __future__ import annotations

import asyncio
import itertools
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
from stasis_app.runtime import AcdRuntime
from stasis_app.service import AcdService

from .telephony import REAL_GIVEN, PbxTelephony, RealTelephony, SimTelephony, Telephony

__all__ = ["Acd", "Telephony", "make_agent", "make_group"]

_numbers = itertools.count(1)


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


@pytest.fixture(params=["simulator", pytest.param("real", marks=pytest.mark.real_asterisk)])
async def telephony(request: pytest.FixtureRequest) -> AsyncIterator[Telephony]:
    tel: Telephony
    if request.param == "simulator":
        tel = SimTelephony()
    elif REAL_GIVEN:
        tel = RealTelephony()
    else:
        tel = PbxTelephony(request.getfixturevalue("pbx"))
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
