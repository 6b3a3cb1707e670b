"""A call-centre floor for fault drills on the suite's own Asterisk: a database with a group
and agents, ``prowebcrm serve`` processes started as an operator would, SIP agents (SIPp
phones that answer), SIP callers (a SIPp carrier), and what the drills check afterwards."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm import db as crm_db
from crm.models import Group, GroupMember, Role, User
from crm.passwords import hash_password
from tests.faults.serve import PASSWORD, Browser, ServeProcess
from tests.pbx import Pbx
from tests.pbx.rtp import Flow, RtpCounter, channel_ports, measure

GROUP_NUMBER = "1700"


@dataclass
class Floor:
    pbx: Pbx
    folder: Path
    database_url: str
    agents: list[User] = field(default_factory=list)
    extensions: dict[int, str] = field(default_factory=dict)
    group: Group | None = None
    processes: list[ServeProcess] = field(default_factory=list)
    browsers: list[Browser] = field(default_factory=list)
    runs: list[Any] = field(default_factory=list)
    rtp: RtpCounter | None = None

    async def seed(self, agents: int, phones: str = "answer", **group: Any) -> None:
        """``phones``: how the agents' SIPp phones behave (tests.pbx.config.PHONE_RANGES)."""
        await crm_db.migrate(self.database_url)
        await crm_db.init_db(self.database_url)
        hashed = await hash_password(PASSWORD)
        settings = {"ring_timeout_s": 10, "wrapup_s": 0, "autopause_after": 0,
                    "strategy": "longest_idle", **group}
        self.group = await Group.create(name="Drill", number=GROUP_NUMBER, **settings)
        for n in range(agents):
            user = await User.create(login=f"agent{n}", name=f"Agent {n}",
                                     password_hash=hashed, role=Role.AGENT)
            await GroupMember.create(user=user, group=self.group, penalty=0, position=n)
            self.agents.append(user)
            self.extensions[user.id] = self.pbx.phone(phones, key=f"drill-{n}")
        await User.create(login="boss", name="Boss", password_hash=hashed,
                          role=Role.SUPERVISOR)

    def env(self, ari_url: str | None = None) -> dict[str, str]:
        ast = self.pbx.asterisk
        user, password = ast.ari_auth
        return {
            "PROWEBCRM_DATA_DIR": str(self.folder / "data"),
            "PROWEBCRM_DATABASE_URL": self.database_url,
            "PROWEBCRM_ARI_URL": ari_url or ast.ari_url,
            "PROWEBCRM_ARI_USER": user,
            "PROWEBCRM_ARI_PASSWORD": password,
            "PROWEBCRM_ARI_APP": self.pbx.app,
            "PROWEBCRM_AGENT_DIAL": "PJSIP/{extension}",
            "PROWEBCRM_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
            "PROWEBCRM_TIMEZONE": "UTC",
        }

    def serve(self, name: str, ari_url: str | None = None,
              extra_env: dict[str, str] | None = None) -> ServeProcess:
        process = ServeProcess(name, self.folder, {**self.env(ari_url), **(extra_env or {})})
        process.start()
        self.processes.append(process)
        return process

    async def log_agents_in(self, process: ServeProcess) -> None:
        for agent in self.agents:
            browser = Browser(process.base)
            await browser.login(agent.login)
            status, body = await browser.post("/api/v1/agent/login",
                                              {"extension": self.extensions[agent.id]})
            assert status == 200, body
            self.browsers.append(browser)

    async def log_agents_out(self, process: ServeProcess) -> None:
        for agent in self.agents:
            browser = Browser(process.base)
            try:
                await browser.login(agent.login)
                status, body = await browser.post("/api/v1/agent/logout")
                assert status == 200, body
            finally:
                await browser.close()

    async def snapshot(self, process: ServeProcess) -> dict[str, Any]:
        boss = Browser(process.base)
        try:
            await boss.login("boss")
            status, body = await boss.get("/api/v1/supervision/snapshot")
            assert status == 200, body
            return body
        finally:
            await boss.close()

    def place(self, callers: list[tuple[str, str]], hold_s: float = 300,
              rate: float = 50) -> None:
        """The carrier calls the group: ``rate`` calls a second, 0 for all at once."""
        self.runs.append(self.pbx.carrier.start(GROUP_NUMBER, callers, hold_s=hold_s,
                                                rate=rate))

    def channels(self) -> list[dict[str, Any]]:
        return self.pbx.asterisk.channels()

    def caller_channels(self) -> dict[str, dict[str, Any]]:
        """Callers (trunk channels) by caller number."""
        return {c["caller"]["number"]: c for c in self.channels()
                if c["name"].startswith("PJSIP/trunk-")}

    def hang_up_caller(self, number: str) -> float:
        """The caller's side ends the call; returns when (epoch)."""
        channel = self.caller_channels()[number]
        at = time.time()
        self.pbx.asterisk.ari("DELETE", f"/channels/{channel['id']}")
        return at

    async def audio(self, channel_ids: list[str], seconds: float = 1.0) -> dict[str, Flow]:
        """RTP packets each way on these channels over ``seconds``, counted on the wire."""
        if self.rtp is None:
            self.rtp = RtpCounter()
        ports = {cid: channel_ports(self.pbx.asterisk.ari, cid) for cid in channel_ids}
        return await measure(self.rtp, ports, seconds)

    async def until(self, check: Any, timeout: float = 15, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self.rtp is not None:
            self.rtp.close()
        for browser in self.browsers:
            await browser.close()
        for run in self.runs:
            run.kill()
        for process in self.processes:
            process.stop()
        self.pbx.reset()
        await crm_db.close_db()
