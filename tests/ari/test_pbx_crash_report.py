"""The suite's own Asterisk crashing says so (signal and last log lines) instead of a bare
"connection refused", and the next scenarios get a live Asterisk again."""

from __future__ import annotations

import os
import signal

import pytest

from tests.pbx import AsteriskDied, Pbx

pytestmark = pytest.mark.real_asterisk


def test_a_crashed_asterisk_is_reported_then_started_again(pbx: Pbx) -> None:
    proc = pbx.asterisk.proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGSEGV)
    proc.wait(20)
    with pytest.raises(AsteriskDied, match="signal SIGSEGV"):
        pbx.asterisk.channels()
    with pytest.raises(AsteriskDied, match="signal SIGSEGV"):
        pbx.reset()  # what every scenario's clean-up runs
    assert pbx.asterisk.died() is None
    assert pbx.asterisk.channels() == []
    online = [e for e in pbx.asterisk.ari("GET", "/endpoints/PJSIP")  # type: ignore[union-attr]
              if e.get("state") == "online"]
    assert online, "the phones are back after the restart"
