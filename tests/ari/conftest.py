"""Fixtures for the simulated-Asterisk tests (owned by the asterisk_sim work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from asterisk_sim import Simulator

SIM_USER = "u"
SIM_PASSWORD = "p"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TRACES_DIR = SHARED / "ari-traces"
API_DOCS_DIR = SHARED / "ari-api-docs"


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """A Simulator on a free loopback port, 20x faster than real time, stopped after."""
    sim = Simulator(user=SIM_USER, password=SIM_PASSWORD, time_scale=0.05, seed=1234)
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
def traces_dir() -> Path:
    if not TRACES_DIR.is_dir():
        pytest.skip(f"recorded traces not available at {TRACES_DIR}")
    return TRACES_DIR


@pytest.fixture
def api_docs_dir() -> Path:
    if not API_DOCS_DIR.is_dir():
        pytest.skip(f"ARI Swagger docs not available at {API_DOCS_DIR}")
    return API_DOCS_DIR
