"""B3: a supervisor listens to, whispers to, or barges into a live call.

Done beside the engine (it changes no agent or queue state), the way the recorded
snoop-listen-whisper scenario does it on a real Asterisk:
- the supervisor's phone is originated into the app (args ``spy,<id>``);
- once it answers: *listen* snoops the caller's channel (``spy=both``, ``whisper=none``: the
  supervisor hears both sides, nobody hears them); *whisper* snoops the agent's channel with
  ``whisper=out`` (coaching: only the agent hears the supervisor); each goes in a bridge of
  its own with the supervisor; *barge* adds the supervisor to the call's own bridge;
- everything the spy created is hung up / destroyed when the supervisor hangs up, the
  supervisor stops, or the call ends (a snooped channel's hang-up also ends its snoop).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import count
from typing import Any

from stasis_app.acd import Engine
from stasis_app.ari import AriClient, AriError
from stasis_app.ari import events as ev
from stasis_app.registry import Registry

log = logging.getLogger(__name__)

SPY_ARG = "spy"


class SpyMode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


class SpyRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Spy:
    spy_id: str
    call_id: str
    supervisor_id: int
    mode: SpyMode
    target: str  # the channel snooped (listen: caller, whisper: agent) or the bridge joined
    supervisor_leg: str = ""
    snoop_id: str = ""
    bridge_id: str = ""
    answered: bool = False
    connected: bool = False
    ended: bool = False
    channels: set[str] = field(default_factory=set)


class SpyManager:
    def __init__(
        self, client: AriClient, registry: Registry, engine: Engine, *, agent_dial: str,
        id_prefix: str,
    ) -> None:
        self._ari = client
        self._reg = registry
        self._engine = engine
        self._agent_dial = agent_dial
        self._prefix = id_prefix
        self._ids = count(1)
        self.spies: dict[str, Spy] = {}
        self._by_channel: dict[str, Spy] = {}

    async def start(self, call_id: str, supervisor_id: int, extension: str, mode: SpyMode) -> Spy:
        call = self._engine.call(call_id)
        if call is None or call.state.value != "connected" or call.agent_id is None:
            raise SpyRefused("call_not_connected", "this call is not connected to an agent")
        agent = self._engine.agent(call.agent_id)
        bridges = self._reg.bridges_of(call_id)
        if agent is None or agent.leg_id is None or not bridges:
            raise SpyRefused("call_not_connected", "this call is not connected to an agent")
        if not extension.strip():
            raise SpyRefused("no_extension", "give the extension of the phone to listen on")
        target = {SpyMode.LISTEN: call_id, SpyMode.WHISPER: agent.leg_id,
                  SpyMode.BARGE: bridges[0]}[mode]
        spy_id = f"{self._prefix}spy-{next(self._ids):09d}"  # prefix-free: see Engine._new_id
        spy = Spy(spy_id, call_id, supervisor_id, mode, target,
                  supervisor_leg=spy_id + "-sup")
        self._track(spy, spy.supervisor_leg)
        self.spies[spy_id] = spy
        try:
            await self._ari.channels.originate(
                self._agent_dial.format(extension=extension.strip()),
                channel_id=spy.supervisor_leg,
                other_channel_id=spy.supervisor_leg + "-2",
                app_args=f"{SPY_ARG},{spy_id}",
                caller_id=f'"Supervision" <{call.caller_number}>',
                timeout=30,
            )
        except AriError as exc:
            await self.stop(spy_id)
            raise SpyRefused("supervisor_phone_failed",
                             f"the supervisor's phone could not be rung: {exc.message}") from None
        return spy

    def owns(self, channel_id: str | None) -> bool:
        return channel_id is not None and channel_id in self._by_channel

    def call_of(self, channel_id: str | None) -> str | None:
        spy = self._by_channel.get(channel_id or "")
        return spy.call_id if spy else None

    async def on_event(self, event: ev.Event) -> bool:
        """Handle an event of a spy's channel; False when it is none of ours."""
        channel = getattr(event, "channel", None)
        channel_id = channel.id if channel is not None else None
        if isinstance(event, ev.StasisStart) and event.args[:1] == (SPY_ARG,):
            spy = self.spies.get(event.args[1] if len(event.args) > 1 else "")
            if spy is None:
                return False
            if channel_id == spy.supervisor_leg and not spy.answered:
                spy.answered = True
                await self._connect(spy)
            elif channel_id == spy.snoop_id and not spy.connected:
                await self._join_snoop(spy)
            return True
        spy = self._by_channel.get(channel_id or "")
        if spy is None:
            return False
        if isinstance(event, (ev.StasisEnd, ev.ChannelDestroyed)):
            await self.stop(spy.spy_id)
        return True

    async def call_ended(self, call_id: str) -> None:
        for spy in [s for s in self.spies.values() if s.call_id == call_id]:
            await self.stop(spy.spy_id)

    async def stop(self, spy_id: str) -> bool:
        spy = self.spies.pop(spy_id, None)
        if spy is None or spy.ended:
            return False
        spy.ended = True
        await self._teardown(spy)
        log.info("spy %s (%s on %s) ended", spy_id, spy.mode, spy.call_id)
        return True

    async def _teardown(self, spy: Spy) -> None:
        """Hang up and destroy what the spy has created so far; safe to run twice (a stop
        may come while the snoop is still being set up)."""
        for channel_id in (spy.snoop_id, spy.supervisor_leg):
            if channel_id:
                await self._quietly(self._ari.channels.hangup(channel_id))
        if spy.bridge_id:
            await self._quietly(self._ari.bridges.destroy(spy.bridge_id))
        for channel_id in spy.channels:
            self._by_channel.pop(channel_id, None)

    def live_channels(self) -> set[str]:
        return set(self._by_channel)

    async def _connect(self, spy: Spy) -> None:
        """The supervisor answered: barge straight into the call's bridge, or put the phone
        in a bridge of its own and ask for the snoop channel, which joins it once it has
        entered the app (its StasisStart comes after the snoop request returns: bridging it
        before then is refused)."""
        try:
            if spy.mode is SpyMode.BARGE:
                await self._ari.bridges.add_channel(spy.target, spy.supervisor_leg)
                spy.connected = True
                return
            spy.bridge_id = spy.spy_id + "-bridge"
            await self._ari.bridges.create(spy.bridge_id, type="mixing", name="supervision")
            await self._ari.bridges.add_channel(spy.bridge_id, spy.supervisor_leg)
            spy.snoop_id = spy.spy_id + "-snoop"
            self._track(spy, spy.snoop_id)
            await self._ari.channels.snoop(
                spy.target,
                snoop_id=spy.snoop_id,
                spy="both",
                whisper="out" if spy.mode is SpyMode.WHISPER else "none",
                app_args=f"{SPY_ARG},{spy.spy_id}",
            )
        except AriError as exc:
            log.warning("spy %s could not connect: %s", spy.spy_id, exc)
            await self.stop(spy.spy_id)
            return
        if spy.ended:  # stopped while connecting: undo what was created meanwhile
            await self._teardown(spy)

    async def _join_snoop(self, spy: Spy) -> None:
        if spy.ended or not spy.bridge_id:
            return
        try:
            await self._ari.bridges.add_channel(spy.bridge_id, spy.snoop_id)
        except AriError as exc:
            log.warning("spy %s could not join its snoop channel: %s", spy.spy_id, exc)
            await self.stop(spy.spy_id)
            return
        spy.connected = True

    def _track(self, spy: Spy, channel_id: str) -> None:
        spy.channels.add(channel_id)
        self._by_channel[channel_id] = spy

    @staticmethod
    async def _quietly(request: Awaitable[Any]) -> None:
        try:
            await request
        except AriError:
            pass
