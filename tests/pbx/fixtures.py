"""pytest fixtures for the suite's own Asterisk (loaded from tests/conftest.py).

Where the Asterisk sources are present (CI, every machine of the project) a build or start
failure fails the real-Asterisk scenarios; with no sources, no cached build and no
PROWEBCRM_TEST_ARI_*, they are skipped with one line saying how to enable them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import Pbx, PbxBuildFailed, PbxUnavailable


@pytest.fixture(scope="session")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    try:
        instance = Pbx(tmp_path_factory.mktemp("pbx"))
    except PbxUnavailable as exc:
        pytest.skip(str(exc))
    except PbxBuildFailed as exc:
        pytest.fail(f"real Asterisk unavailable although its sources are here: {exc}")
    try:
        instance.start()
    except Exception as exc:
        instance.stop()
        pytest.fail(f"the suite's Asterisk did not start: {exc}")
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def fresh_pbx(pbx: Pbx) -> Iterator[Pbx]:
    """The session's Asterisk, emptied of channels and bridges before and after the test."""
    pbx.reset()
    yield pbx
    pbx.reset()
