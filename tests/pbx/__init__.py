"""The suite's own real Asterisk 22 (built from ../shared/asterisk, cached outside the
repository), configured from the project's asterisk-config/ samples, with SIPp as carrier and
as the agents' phones. Used by the tests (fixture ``pbx``) and by bench/."""

from __future__ import annotations

import atexit
import contextlib
import shutil
import time
from pathlib import Path

from . import config
from .build import PbxBuildFailed, PbxUnavailable, asterisk_prefix, sources_dir
from .instance import AsteriskDied, AsteriskInstance
from .sipp import Carrier, Farm, sipp_available

__all__ = ["AsteriskDied", "Pbx", "PbxBuildFailed", "PbxUnavailable", "asterisk_prefix",
           "sources_dir"]


class Pbx:
    """One Asterisk with its phone farms and a carrier, for a whole test session or bench."""

    def __init__(self, root: Path, *, app: str = config.APP,
                 bench: config.BenchOptions | None = None, shipped: bool = False) -> None:
        """``shipped``: the asterisk-config samples as shipped (see config.render); start it
        with ``farms=False``, its phones are the sample's own (sipp.RegisteredPhone)."""
        if not sipp_available():
            raise PbxUnavailable("SIPp is not installed (Debian package sip-tester)")
        self.root = root
        self.asterisk = AsteriskInstance(asterisk_prefix(), root / "asterisk", app=app,
                                         bench=bench, shipped=shipped)
        self.farms = {name: Farm(self.asterisk, name, root / "sipp")
                      for name in config.FARMS}
        self.carrier = Carrier(self.asterisk, root / "sipp")
        self._allocated: dict[tuple[str, str], str] = {}
        self._next: dict[str, int] = {}

    @property
    def app(self) -> str:
        return self.asterisk.app

    def start(self, *, farms: bool = True) -> None:
        # A crashed test process or bench must not leave Asterisk and SIPp running.
        atexit.register(self.stop)
        # The phones answer before Asterisk first qualifies them (at load): a phone that
        # misses that OPTIONS is unreachable for a whole qualify period, and the call
        # distribution, which follows the phones' device state (issue 12), skips it meanwhile.
        if farms:
            self.asterisk.write_config()  # the media the farms play
            for farm in self.farms.values():
                farm.start()
        self.asterisk.start()
        if farms:
            self.wait_phones_online()

    def wait_phones_online(self, timeout: float = 30.0) -> None:
        """Asterisk says a qualified phone is offline until it answered its first OPTIONS,
        and the call distribution skips offline phones (issue 12): wait for them all (but
        the unreachable ones) to be online, as a deployment's phones are once qualified."""
        expected = {str(ext) for kind, numbers in config.PHONE_RANGES.items()
                    if kind != "unreachable" for ext in numbers}
        deadline = time.monotonic() + timeout
        offline: set[str] = expected
        while time.monotonic() < deadline:
            endpoints = self.asterisk.ari("GET", "/endpoints/PJSIP")
            online = {e["resource"] for e in endpoints  # type: ignore[union-attr]
                      if e.get("state") == "online"}
            offline = expected - online
            if not offline:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{len(offline)} test phone(s) still offline after {timeout} s "
                           f"(e.g. {sorted(offline)[:5]})")

    def stop(self) -> None:
        for farm in self.farms.values():
            farm.stop()
        self.asterisk.stop()

    def reset(self) -> None:
        """Between scenarios: no channel and no bridge of an earlier one is left. An
        Asterisk that crashed is started again for the next scenarios, and the crash raised
        (with its signal and last log lines) for the one that saw it."""
        crash = self.asterisk.died()
        if crash:
            self.asterisk.start()
            if any(farm.proc is not None for farm in self.farms.values()):
                self.wait_phones_online()
            raise AsteriskDied(crash)
        self.asterisk.hangup_all()
        for bridge in self.asterisk.bridges():
            with contextlib.suppress(Exception):
                self.asterisk.ari("DELETE", f"/bridges/{bridge['id']}")

    def phone(self, behaviour: str, key: str | None = None) -> str:
        """An extension whose phone behaves as asked; the same key gives the same one."""
        if key is not None and (behaviour, key) in self._allocated:
            return self._allocated[(behaviour, key)]
        numbers = config.PHONE_RANGES[behaviour]
        index = self._next.get(behaviour, 0)
        self._next[behaviour] = index + 1
        ext = str(numbers[index % len(numbers)])
        if key is not None:
            self._allocated[(behaviour, key)] = ext
        return ext

    def cleanup_files(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
