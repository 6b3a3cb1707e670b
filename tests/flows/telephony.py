"""The phones and callers of one Asterisk, as the call-flow scenarios use them: the simulated
Asterisk, a real Asterisk given by PROWEBCRM_TEST_ARI_* (Local channels), or the suite's own
Asterisk with SIP phones and a SIP carrier (SIPp; see tests/pbx)."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from typing import Any

import pytest

from stasis_app.ari import AriClient, AriError

REAL_ENV = ("PROWEBCRM_TEST_ARI_URL", "PROWEBCRM_TEST_ARI_USER",
            "PROWEBCRM_TEST_ARI_PASSWORD", "PROWEBCRM_TEST_ARI_APP")
REAL_GIVEN = all(os.environ.get(name) for name in REAL_ENV)
_numbers = itertools.count(1)


class Telephony:
    """The phones and callers of one Asterisk, as a scenario needs them."""

    name: str
    agent_dial: str
    outbound_dial: str
    can_drive_phones: bool
    ari: tuple[str, str, str, str]  # url, user, password, app

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def extension(self, ext: str, behaviour: str = "auto_answer") -> str: raise NotImplementedError
    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        raise NotImplementedError
    async def caller_hangup(self, handle: str) -> None: raise NotImplementedError
    def phone(self, ext: str) -> Any: raise NotImplementedError
    async def hangup_phone(self, ext: str) -> None: self.phone(ext).hangup()
    async def answer_phone(self, ext: str) -> None: await self.phone(ext).answer_when_ringing()
    async def decline_phone(self, ext: str) -> None: self.phone(ext).reject()

    async def clean_up(self, prefixes: tuple[str, ...]) -> None:
        """Hang up and destroy whatever of ours a failed scenario left in Asterisk."""
        url, user, password, app = self.ari
        async with AriClient(url, user, password, app) as client:
            for channel in await client.channels.list():
                if channel.id.startswith(prefixes):
                    with contextlib.suppress(AriError):
                        await client.channels.hangup(channel.id)
            for bridge in await client.bridges.list():
                if bridge.id.startswith(prefixes):
                    with contextlib.suppress(AriError):
                        await client.bridges.destroy(bridge.id)

    async def leftovers(self, prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Channels and bridges of ours still in Asterisk."""
        url, user, password, app = self.ari
        async with AriClient(url, user, password, app) as client:
            channels = [c.id for c in await client.channels.list()]
            bridges = [b.id for b in await client.bridges.list()]
        return (
            [c for c in channels if c.startswith(prefixes)],
            [b for b in bridges if b.startswith(prefixes)],
        )


class SimTelephony(Telephony):
    name = "simulator"
    agent_dial = "PJSIP/{extension}"
    outbound_dial = "PJSIP/{number}@trunk"
    can_drive_phones = True

    def __init__(self) -> None:
        from asterisk_sim import Simulator

        self.sim = Simulator(user="acd", password="acd-secret", app_for_inbound="acd-test")
        self.ari = ("", "acd", "acd-secret", "acd-test")

    async def start(self) -> None:
        await self.sim.start()
        self.ari = (self.sim.url, *self.ari[1:])

    async def stop(self) -> None:
        await self.sim.stop()

    def extension(self, ext: str, behaviour: str = "auto_answer") -> str:
        self.sim.phones.add(ext, behaviour=behaviour, answer_delay=0.05)
        return ext

    def phone(self, ext: str) -> Any:
        return self.sim.phone(ext)

    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        return self.sim.place_inbound_call(group, number, name)

    async def caller_hangup(self, handle: str) -> None:
        self.sim.hangup_call(handle)

    async def leftovers(self, prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
        channels, bridges = await super().leftovers(prefixes)
        # Simulated callers get ids the simulator picks: every live one is a leftover.
        snap = self.sim.snapshot()
        live_callers = [c["id"] for c in snap["calls"] if c.get("state") not in ("ended", "failed")]
        return channels + live_callers, bridges


class RealTelephony(Telephony):
    name = "real"
    can_drive_phones = False

    def __init__(self) -> None:
        env = os.environ
        self.ari = tuple(env[name] for name in REAL_ENV)  # type: ignore[assignment]
        # The extension an agent logs in with *is* the whole dial string on a real Asterisk,
        # so one template serves auto-answering and never-answering phones.
        self.agent_dial = "{extension}"
        self.outbound_dial = env.get("PROWEBCRM_TEST_OUTBOUND_DIAL", "Local/{number}@pstn")
        self._inbound = env.get("PROWEBCRM_TEST_INBOUND_DIAL", "Local/{group}@inbound")
        self._caller_context = env.get("PROWEBCRM_TEST_CALLER_CONTEXT", "caller")
        self._answer = env.get("PROWEBCRM_TEST_AGENT_DIAL", "Local/{extension}@agent-phones")
        self._noanswer = env.get(
            "PROWEBCRM_TEST_NOANSWER_DIAL", "Local/{extension}@agent-phones-noanswer"
        )
        self._driver: AriClient | None = None

    async def start(self) -> None:
        url, user, password, _ = self.ari
        # The callers are placed through the dialplan, from a client with no app of its own.
        self._driver = AriClient(url, user, password, self.ari[3] + "-driver")

    async def stop(self) -> None:
        if self._driver is not None:
            await self._driver.close()

    def extension(self, ext: str, behaviour: str = "auto_answer") -> str:
        if behaviour == "auto_answer":
            return self._answer.format(extension=ext)
        if behaviour == "never_answer":
            return self._noanswer.format(extension=ext)
        pytest.skip(f"a real Asterisk has no phone that behaves as {behaviour!r}")

    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        assert self._driver is not None
        handle = f"pwtest-caller-{next(_numbers)}-{int(time.time())}"
        await self._driver.channels.originate(
            self._inbound.format(group=group),
            channel_id=handle,
            other_channel_id=handle + "-in",
            context=self._caller_context,
            extension=group,
            priority=1,
            caller_id=f'"{name or number}" <{number}>',
        )
        return handle

    async def caller_hangup(self, handle: str) -> None:
        assert self._driver is not None
        try:
            await self._driver.channels.hangup(handle)
        except AriError:
            pass


class PbxTelephony(Telephony):
    """The suite's own Asterisk: SIP phones (SIPp farms, and looped-back phones the test
    drives), SIP callers from a SIPp carrier through the sample trunk and dialplan."""

    name = "real"
    can_drive_phones = True
    agent_dial = "PJSIP/{extension}"
    outbound_dial = "PJSIP/{number}@trunk"
    _KINDS = {"auto_answer": "answer", "never_answer": "noanswer", "busy": "busy",
              "reject": "decline", "manual": "driven", "hangup": "hangup"}

    def __init__(self, pbx: Any) -> None:
        from tests.pbx.driver import DrivenPhones

        self.pbx = pbx
        ast = pbx.asterisk
        user, password = ast.ari_auth
        self.ari = (ast.ari_url, user, password, pbx.app)
        self.driver = DrivenPhones(ast.ari_url, user, password, pbx.app + "-driver")
        self._runs: list[Any] = []
        self._kind_of: dict[str, str] = {}

    async def start(self) -> None:
        self.pbx.reset()
        await self.driver.start()

    async def stop(self) -> None:
        await self.driver.stop()
        for run in self._runs:
            run.kill()
        self.pbx.reset()

    def extension(self, ext: str, behaviour: str = "auto_answer") -> str:
        kind = self._KINDS.get(behaviour)
        if kind is None:
            raise ValueError(f"no phone behaves as {behaviour!r}")
        real = self.pbx.phone(kind, key=ext)
        self._kind_of[ext] = kind
        self._kind_of[real] = kind
        return real

    async def place_inbound(self, group: str, number: str, name: str = "") -> str:
        self._runs.append(self.pbx.carrier.start(group, [(number, name or number)],
                                                 hold_s=300))
        return number

    def _channel_of(self, predicate: Any) -> str | None:
        for channel in self.pbx.asterisk.channels():
            if predicate(channel):
                return str(channel["id"])
        return None

    async def caller_hangup(self, handle: str) -> None:
        channel_id = self._channel_of(
            lambda c: c["name"].startswith("PJSIP/trunk-") and c["caller"]["number"] == handle)
        if channel_id is not None:
            with contextlib.suppress(Exception):
                self.pbx.asterisk.ari("DELETE", f"/channels/{channel_id}")

    async def hangup_phone(self, ext: str) -> None:
        real = self.pbx.phone(self._kind_of.get(ext, "answer"), key=ext)
        if self._kind_of.get(ext) == "driven":
            await self.driver.hangup(real)
            return
        channel_id = self._channel_of(lambda c: c["name"].startswith(f"PJSIP/{real}-"))
        assert channel_id is not None, f"phone {real} has no call"
        self.pbx.asterisk.ari("DELETE", f"/channels/{channel_id}")

    async def answer_phone(self, ext: str) -> None:
        await self.driver.answer(self.pbx.phone("driven", key=ext))

    async def decline_phone(self, ext: str) -> None:
        await self.driver.decline(self.pbx.phone("driven", key=ext))

    async def leftovers(self, prefixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
        # Every call of a scenario is ours here: callers and phones have Asterisk's own ids.
        channels = [c["id"] for c in self.pbx.asterisk.channels()
                    if not c["name"].startswith("PJSIP/loop-")]
        bridges = [b["id"] for b in self.pbx.asterisk.bridges()]
        return channels, bridges
