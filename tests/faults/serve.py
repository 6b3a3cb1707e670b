"""``prowebcrm serve`` as an operator runs it: a separate process, killed or stopped by the
fault tests, with the JSON API to log agents in and the health route to see who is active."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.pbx.instance import free_port

PROWEBCRM = str(Path(sys.executable).parent / "prowebcrm")
PASSWORD = "fault-test-password-1"


@dataclass
class ServeProcess:
    name: str
    folder: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, "PROWEBCRM_PORT": str(self.port)}
        with open(self.log, "ab") as sink:
            self.proc = subprocess.Popen([PROWEBCRM, "serve"], env=env, stdout=sink,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def health(self) -> tuple[int, dict]:
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    self.base + "/api/v1/health", timeout=aiohttp.ClientTimeout(total=2)) as r:
                return r.status, await r.json()
        except (aiohttp.ClientError, TimeoutError):
            return 0, {}

    async def wait_state(self, acd: str, timeout: float = 20) -> float:
        """Seconds until /api/v1/health says ``acd`` (active / standby)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        while loop.time() - began < timeout:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.tail()}")
            _, body = await self.health()
            if body.get("acd") == acd:
                return loop.time() - began
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} not {acd} after {timeout} s: {self.tail()}")

    def tail(self, lines: int = 25) -> str:
        if not self.log.is_file():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()


class Browser:
    """One person's JSON session on a serving process (cookie + CSRF token)."""

    def __init__(self, base: str) -> None:
        self.session = aiohttp.ClientSession(base_url=base,
                                             cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.token = ""

    async def login(self, login: str) -> None:
        async with self.session.post("/api/v1/auth/login",
                                     json={"login": login, "password": PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            self.token = (await resp.json())["csrf_token"]

    async def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        async with self.session.post(path, json=body or {},
                                     headers={"X-CSRF-Token": self.token}) as resp:
            return resp.status, await resp.json(content_type=None)

    async def get(self, path: str) -> tuple[int, dict]:
        async with self.session.get(path) as resp:
            return resp.status, await resp.json(content_type=None)

    async def close(self) -> None:
        await self.session.close()
