"""``prowebcrm demo`` run as a user runs it: a subprocess, its output read, Ctrl-C to stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DemoProcess:
    """``python -m prowebcrm.cli demo ...`` as a user starts it, output collected."""

    def __init__(self, data_dir: Path, port: int, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROWEBCRM_")}
        env["PROWEBCRM_DATA_DIR"] = str(data_dir)
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.rest = ""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "prowebcrm.cli", "demo", "--port", str(port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            # SIGINT at its default even when pytest runs from a shell's background job
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    @property
    def output(self) -> str:
        return "".join(self.lines) + self.rest

    def wait_ready(self, timeout: float = 180) -> str:
        """Read until the demo says where it runs; the output so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            self.lines.append(line)
            if "Simulated callers ring" in line:
                return self.output
        raise AssertionError("the demo did not start:\n" + self.output[-3000:])

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C, as a user stops it; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.rest, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rest, _ = self.proc.communicate()
            raise AssertionError(f"the demo did not stop within {timeout} s of Ctrl-C:\n"
                                 + self.output[-3000:]) from None
        return int(self.proc.returncode)
