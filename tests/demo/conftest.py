"""Demo tests: the traffic controls on a web app in demo mode (a real call generator whose
calls are recorded instead of placed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from asterisk_sim.generator import CallGenerator, GeneratorConfig
from asterisk_sim.scheduler import Scheduler
from prowebcrm.demo import DemoWorld, attach_world, mark_demo_pages, split_rate
from prowebcrm.settings import Settings
from tests.web.conftest import (  # noqa: F401  (fixtures re-exported for this folder)
    admin,
    admin_client,
    client,
    fast_hasher,
    new_client,
)
from web.app import create_app

GROUP_NAMES = {"100": "Ventes", "200": "Support", "300": "VIP"}


class FakeSimulator:
    """What DemoWorld drives of asterisk_sim.Simulator: the real call generator, with the
    calls it places recorded (no Asterisk, no ACD)."""

    def __init__(self) -> None:
        self.scheduler = Scheduler()
        self.placed: list[tuple[str, str]] = []
        self.generator = CallGenerator(self.scheduler, self._place, seed=1)
        self.callers = SimpleNamespace(active=lambda: [])

    def configure_generator(self, **config: Any) -> None:
        self.generator.configure(GeneratorConfig.from_json(config))

    def _place(self, group: str, number: str, talk: float | None, patience: float | None
               ) -> None:
        self.placed.append((group, number))


@pytest.fixture
def fake_sim() -> Iterator[FakeSimulator]:
    sim = FakeSimulator()
    yield sim
    sim.scheduler.cancel_all()


@pytest.fixture
async def world(fake_sim: FakeSimulator) -> DemoWorld:
    world = DemoWorld(fake_sim, split_rate(4.0), traffic=False, group_names=dict(GROUP_NAMES))
    world.set_traffic()  # paused: nothing fires during a test unless it resumes
    return world


@pytest.fixture
async def app(settings: Settings, world: DemoWorld) -> AsyncIterator[web.Application]:
    """The web app as ``prowebcrm demo`` sets it up (demo mode, the world attached)."""
    app = create_app(settings.with_(demo=True))
    attach_world(app, world)
    mark_demo_pages(app)
    yield app
