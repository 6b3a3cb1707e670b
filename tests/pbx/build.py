"""Where the suite's own Asterisk comes from: a build cached outside the repository.

``asterisk_prefix()`` returns the install prefix of Asterisk 22 with PJSIP, building it from
the public sources in ``../shared/asterisk`` (or ``$PROWEBCRM_ASTERISK_SOURCES``) the first
time (tests/asterisk/build_asterisk.sh does the work and the caching). Without sources, a
cached build is reused; without either, :class:`PbxUnavailable` says how to enable the
real-Asterisk scenarios. A build that fails raises :class:`PbxBuildFailed`: where the
sources are present the real scenarios must run, so that is an error, never a skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "tests" / "asterisk" / "build_asterisk.sh"
SOURCES_ENV = "PROWEBCRM_ASTERISK_SOURCES"
PREFIX_ENV = "PROWEBCRM_TEST_ASTERISK_PREFIX"
CACHE_ENV = "PROWEBCRM_ASTERISK_CACHE"
TARBALL = "asterisk-22.10.1.tar.gz"

HOW_TO_ENABLE = (
    "no Asterisk for the real-Asterisk scenarios: put asterisk-22.10.1.tar.gz and "
    "pjproject-2.17.tar.bz2 in ../shared/asterisk (or set PROWEBCRM_ASTERISK_SOURCES=DIR), "
    "or point the suite at a running Asterisk with PROWEBCRM_TEST_ARI_URL/_USER/_PASSWORD/_APP"
)


class PbxUnavailable(Exception):
    """No Asterisk can be had on this machine (the scenarios are skipped, saying how)."""


class PbxBuildFailed(Exception):
    """The sources are here but Asterisk did not build: a failure of the run."""


def sources_dir() -> Path | None:
    given = os.environ.get(SOURCES_ENV)
    candidates = [Path(given)] if given else [REPO.parent / "shared" / "asterisk"]
    for folder in candidates:
        if (folder / TARBALL).is_file():
            return folder
    return None


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "prowebcrm")


def cached_build() -> Path | None:
    root = cache_root()
    if not root.is_dir():
        return None
    builds = sorted(p for p in root.glob("asterisk-22.*") if (p / ".complete").is_file())
    return builds[-1] if builds else None


def asterisk_prefix() -> Path:
    given = os.environ.get(PREFIX_ENV)
    if given:
        prefix = Path(given)
        if not (prefix / "sbin" / "asterisk").is_file():
            raise PbxBuildFailed(f"{PREFIX_ENV}={given} has no sbin/asterisk")
        return prefix
    sources = sources_dir()
    if sources is None:
        cached = cached_build()
        if cached is None:
            raise PbxUnavailable(HOW_TO_ENABLE)
        return cached
    # Progress goes to the terminal as it happens (a first build takes minutes).
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT), str(sources)],
        stdout=subprocess.PIPE, stderr=sys.stderr, text=True, check=False,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise PbxBuildFailed(f"building Asterisk from {sources} failed (exit {proc.returncode})")
    prefix = Path(lines[-1])
    if not (prefix / "sbin" / "asterisk").is_file():
        raise PbxBuildFailed(f"the build reported {prefix}, which has no sbin/asterisk")
    return prefix
