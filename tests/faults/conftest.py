"""Fixtures the fault drills share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.faults.proxy import CuttableProxy
from tests.pbx import Pbx


@pytest.fixture
async def proxy(pbx: Pbx) -> AsyncIterator[CuttableProxy]:
    """A proxy between the app and Asterisk's HTTP/ARI port that a drill can cut."""
    proxy = CuttableProxy("127.0.0.1", pbx.asterisk.ports.http)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
