"""The Stasis application inside the web process: start, reconcile, sweep, stop.

Start-up order: start the call journal (it closes nothing: rows continue), load the groups into
the engine, connect to ARI (refusing to steal the app name from another live process:
R-single), then serve. After a WebSocket drop Asterisk replays nothing (R-reconnect), so on
every reconnect the runtime compares what it believes with ``GET /channels`` and
``GET /bridges``, tells the engine about calls that ended meanwhile, and hangs up — gently,
one at a time — channels of the app that no call owns. A periodic sweep does the same for
anything a race left behind (R-teardown).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiohttp import web

from crm.hub import Hub
from crm.journal import CallJournal, database_key
from crm.routing import GroupRouting, active_groups
from prowebcrm.settings import Settings
from stasis_app.acd import Engine
from stasis_app.acd import inputs as i
from stasis_app.acd.core import EngineSettings
from stasis_app.acd.model import GroupConfig, OverflowKind, Strategy
from stasis_app.ari import AriClient, AriError, LinkState
from stasis_app.ari import events as ev
from stasis_app.controller import CallerDirectory, Controller
from stasis_app.executor import CommandExecutor
from stasis_app.publisher import Publisher
from stasis_app.registry import Registry
from stasis_app.service import AcdService
from stasis_app.spy import SpyManager

log = logging.getLogger("prowebcrm.acd")

SWEEP_INTERVAL_S = 60.0
ORPHAN_HANGUP_SPACING_S = 0.05  # "gently": no teardown storm on a busy Asterisk
ID_PREFIX = "pw"


@dataclass
class AcdRuntime:
    settings: Settings
    hub: Hub
    directory: CallerDirectory | None = None
    registry: Registry = field(default_factory=Registry)
    client: AriClient | None = None
    controller: Controller | None = None
    journal: CallJournal | None = None
    service: AcdService | None = None
    spies: SpyManager | None = None
    _sweeper: asyncio.Task[None] | None = None
    _reconciler: asyncio.Task[None] | None = None
    _group_ids: set[int] = field(default_factory=set)

    async def start(self, *, takeover: bool = False) -> None:
        s = self.settings
        boot = secrets.token_hex(3)
        engine = Engine(settings=EngineSettings(id_prefix=f"{ID_PREFIX}{boot}-"))
        self.journal = CallJournal(s.tz, s.data_dir / "journal",
                                   spool_max_mb=s.journal_spool_max_mb,
                                   database_key=database_key(s.database_url))
        self.journal.start()
        publisher = Publisher(self.journal, self.hub)
        self.controller = Controller(engine, self.registry, publisher, directory=self.directory)
        self.client = AriClient(
            s.ari_url, s.ari_user, s.ari_password, s.ari_app, key_of=self._event_key
        )
        executor = CommandExecutor(
            self.client,
            self.registry,
            self.controller.submit,
            self.controller.clock,
            agent_dial=s.agent_dial,
            outbound_dial=s.outbound_dial,
            outbound_caller_id=s.outbound_caller_id,
        )
        self.spies = SpyManager(
            self.client, self.registry, engine, agent_dial=s.agent_dial,
            id_prefix=f"{ID_PREFIX}{boot}-",
        )
        self.controller.attach(executor, self._hang_up_stray, self.spies)
        self.controller.start()
        self.service = AcdService(self.controller, self.spies)
        await self.reload_groups()
        self.client.on_event(self.controller.on_ari_event)
        self.client.on_connection_change(self._on_link)
        self.client.on_replaced(self._on_replaced)
        await self.client.start(takeover=takeover)
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="acd-sweep")
        log.info("Stasis application %r connected to %s", s.ari_app, s.ari_url)

    async def stop(self) -> None:
        for task in (self._sweeper, self._reconciler):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.client is not None:
            await self.client.drain()
        if self.controller is not None:
            await self.controller.stop()
        if self.client is not None:
            await self.client.close()
        if self.journal is not None:
            await self.journal.stop(close_open=False)

    # -- groups --------------------------------------------------------------------------

    async def reload_groups(self) -> None:
        """(Re)load every active group into the engine; removed/deactivated ones go away."""
        assert self.controller is not None
        groups = await active_groups()
        now = self.controller.clock
        for group in groups:
            config = group_config(group)
            problems = config.problems()
            if problems:
                log.warning("group %s not loaded: %s", group.name, "; ".join(problems))
                continue
            await self.controller.ask(i.ConfigureGroup(now=now(), config=config))
        for gone in self._group_ids - {g.id for g in groups}:
            await self.controller.ask(i.RemoveGroup(now=now(), group_id=gone))
        self._group_ids = {g.id for g in groups}

    # -- ARI link ------------------------------------------------------------------------

    def _event_key(self, event: ev.Event) -> str | None:
        channel_id = event.channel_id
        call = self.registry.call_of(channel_id) or self.registry.call_of(event.bridge_id)
        if call is None and self.spies is not None:
            call = self.spies.call_of(channel_id)
        return call or channel_id or event.bridge_id

    async def _on_link(self, state: LinkState, first: bool, reason: str | None) -> None:
        if state is LinkState.CONNECTED and not first:
            log.warning("ARI link back: reconciling with Asterisk")
            # Not awaited here: the hook runs in the socket's reader, which must keep reading.
            self._reconciler = asyncio.create_task(self.reconcile(), name="acd-reconcile")
        elif state is LinkState.DISCONNECTED:
            log.error("ARI link lost (%s): reconnecting", reason or "no reason given")

    async def _on_replaced(self) -> None:
        log.critical(
            "another process took the Stasis application %r (ApplicationReplaced): this "
            "process no longer handles calls",
            self.settings.ari_app,
        )

    async def reconcile(self) -> None:
        """Make the app's picture match Asterisk's after events may have been missed."""
        assert self.client is not None and self.controller is not None
        try:
            await self.client.drain()
            present = {c.id for c in await self.client.channels.list()}
            bridges = {b.id for b in await self.client.bridges.list()}
        except AriError as exc:
            log.error("reconcile failed: %s", exc)
            return
        vanished = 0
        for channel_id in self.registry.live_channel_ids() - present:
            vanished += await self._vanished(channel_id)
        for bridge_id in set(self.registry.bridges) - bridges:
            self.registry.bridges.pop(bridge_id, None)
        orphans = await self._orphans(present, bridges)
        # Runs every minute as a sweep too: only say something when something was found.
        level = logging.INFO if vanished or orphans else logging.DEBUG
        log.log(level, "reconciled: %d call leg(s) ended while disconnected, %d orphan(s)",
                vanished, orphans)

    async def _vanished(self, channel_id: str) -> int:
        """Feed the engine the hang-up Asterisk could not tell us about."""
        assert self.controller is not None
        fake = ev.parse_event({"type": "StasisEnd", "channel": _minimal_channel(channel_id)})
        await self.controller.on_ari_event(fake)
        leg = self.registry.legs.get(channel_id)
        if leg is not None and not leg.ended:
            destroyed = ev.parse_event(
                {"type": "ChannelDestroyed", "cause": 16, "cause_txt": "Normal Clearing",
                 "channel": _minimal_channel(channel_id)}
            )
            await self.controller.on_ari_event(destroyed)
        return 1

    async def _orphans(self, present: set[str], bridges: set[str]) -> int:
        """Hang up the app's channels no call owns, destroy its stray bridges, gently."""
        assert self.client is not None
        try:
            app = await self.client.applications.get()
        except AriError as exc:
            log.error("cannot list the app's channels: %s", exc)
            return 0
        count = 0
        spying = self.spies.live_channels() if self.spies is not None else set()
        for channel_id in app.channel_ids:
            if channel_id in present and not self.registry.owns_channel(channel_id) and (
                channel_id not in spying
            ):
                await self._hang_up_stray(channel_id, "orphan after reconnect")
                count += 1
                await asyncio.sleep(ORPHAN_HANGUP_SPACING_S)
        spy_bridges = {sp.bridge_id for sp in self.spies.spies.values()} if self.spies else set()
        for bridge_id in app.bridge_ids:
            if bridge_id in bridges and bridge_id not in self.registry.bridges and (
                bridge_id.startswith(ID_PREFIX) and bridge_id not in spy_bridges
            ):
                try:
                    await self.client.bridges.destroy(bridge_id)
                    count += 1
                except AriError as exc:
                    log.debug("stray bridge %s: %s", bridge_id, exc)
                await asyncio.sleep(ORPHAN_HANGUP_SPACING_S)
        return count

    async def _hang_up_stray(self, channel_id: str, reason: str) -> None:
        assert self.client is not None
        log.warning("hanging up channel %s: %s", channel_id, reason)
        try:
            await self.client.channels.hangup(channel_id, reason="normal")
        except AriError as exc:
            log.debug("stray %s already gone: %s", channel_id, exc)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            if self.client is not None and self.client.state is LinkState.CONNECTED:
                await self.reconcile()


def group_config(group: GroupRouting) -> GroupConfig:
    return GroupConfig(
        id=group.id,
        name=group.name,
        number=group.number,
        strategy=Strategy(group.strategy),
        ring_timeout_s=float(group.ring_timeout_s),
        wrapup_s=float(group.wrapup_s),
        autopause_after=group.autopause_after,
        max_wait_s=float(group.max_wait_s),
        max_callers=group.max_callers,
        overflow_kind=OverflowKind(group.overflow_kind),
        overflow_target=group.overflow_target,
        moh_class=group.moh_class,
        join_empty=group.join_empty,
        leave_when_empty=group.leave_when_empty,
        sticky_s=float(group.sticky_s),
        member_order=group.member_order,
    )


def _minimal_channel(channel_id: str) -> dict:
    return {
        "id": channel_id,
        "name": channel_id,
        "state": "Down",
        "caller": {"name": "", "number": ""},
        "connected": {"name": "", "number": ""},
        "dialplan": {"context": "", "exten": "", "priority": 0},
        "creationtime": "",
    }


def acd_context(
    settings: Settings,
    hub: Hub,
    directory: CallerDirectory | None = None,
    *,
    takeover: bool = False,
    on_ready: Callable[[web.Application, AcdRuntime], None] | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context running the ACD; registered after the ORM's.
    ``on_ready`` lets the composition root publish the runtime to the web layer."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        runtime = AcdRuntime(settings, hub, directory)
        try:
            await runtime.start(takeover=takeover)
        except BaseException:
            await runtime.stop()
            raise
        if on_ready is not None:
            on_ready(app, runtime)
        try:
            yield
        finally:
            await runtime.stop()

    return context

