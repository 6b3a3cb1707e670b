"""The README's run command path: `prowebcrm demo` as a user runs it, in a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp


async def _logins_seen_by_admin(port: int) -> set[str]:
    # unsafe=True: aiohttp keeps no cookies for bare IP addresses otherwise.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        login = await http.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"login": "admin", "password": "demo-admin"},
        )
        assert login.status == 200, await login.text()
        users = await http.get(f"http://127.0.0.1:{port}/api/v1/users")
        assert users.status == 200
        return {u["login"] for u in (await users.json())["items"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_seeds_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROWEBCRM_")}
    env["PROWEBCRM_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prowebcrm.cli", "demo", "--port", str(port),
         "--calls-per-minute", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180  # seeding hashes passwords: slow on a busy machine
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
            if "Simulated callers ring" in line:
                break
        output = "".join(lines)
        assert f"running on http://127.0.0.1:{port}" in output, output
        assert "seeding clients 300/300" in output
        assert "admin        password demo-admin" in output

        logins = asyncio.run(_logins_seen_by_admin(port))
        assert {"admin", "superviseur", "alice", "bruno", "chloe"} <= logins
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rest, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, _ = proc.communicate()
            message = "demo did not stop within 60 s of Ctrl-C:\n" + rest[-3000:]
            raise AssertionError(message) from None
    assert proc.returncode == 0, rest[-2000:]
    assert "PROWEBCRM demo stopped." in rest
    assert "Traceback" not in "".join(lines) + rest
