"""The Stasis application inside the web process: become active, take back, converge, stop.

Start-up: stand by until this process holds the ACD lease (stasis_app.leadership: one active
process per app name, R-single), load the groups, connect to ARI holding the events back,
then take back what Asterisk still has (stasis_app.adoption: waiting callers keep their
place, conversations go on, agents stay logged in) and close the records of calls that
ended meanwhile at their real end time. Nothing is closed because the process started.

While active: a keeper renews the lease every second and reloads the groups when the
records say they changed (in this process or another one); after a reconnect, and every
``SWEEP_INTERVAL_S``, the engine is compared with Asterisk's channels and bridges and both
are repaired (R-reconnect, R-teardown): hang-ups missed are fed with their real time, a caller
the engine forgot is queued again, and only what belongs to no live call is ended — gently.
A stop keeps calls up in Asterisk and records open: the next process takes them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from crm import revisions
from crm.hub import Hub
from crm.journal import CallJournal, database_key
from crm.models import CallOutcome
from crm.recordings import RecordingWriter
from crm.routing import (
    GroupRouting,
    OpenCall,
    active_groups,
    agent_memberships,
    memberships_of_agents,
    open_agent_states,
    open_calls,
)
from crm.settings import Settings
from stasis_app import adoption
from stasis_app.acd import Engine
from stasis_app.acd import inputs as i
from stasis_app.acd.core import EngineSettings
from stasis_app.acd.model import (
    CallDirection,
    CallState,
    GroupConfig,
    OverflowKind,
    Strategy,
)
from stasis_app.ari import AriClient, AriError, Bridge, Channel, LinkState
from stasis_app.ari import events as ev
from stasis_app.census import census
from stasis_app.controller import CallerDirectory, Controller
from stasis_app.executor import LEG_ENDS, CommandExecutor
from stasis_app.leadership import BEAT_S, Leadership
from stasis_app.phones import PhoneWatch
from stasis_app.publisher import Publisher
from stasis_app.recording import RecordingManager
from stasis_app.registry import LegKind, Registry
from stasis_app.service import AcdService
from stasis_app.spy import SpyManager
from stasis_app.translate import INBOUND_ARG

log = logging.getLogger("prowebcrm.acd")

SWEEP_INTERVAL_S = 30.0
# Events Asterisk sends for the app's channels and bridges that nothing here acts on; the
# reconcile asks Asterisk for bridges and channels directly when it needs them. Asterisk is
# told not to send them (eventFilter): under load they were most of the socket's traffic.
# ChannelHangupRequest: four a call (soft and hard, each side); the cause it carried is on
# ChannelDestroyed too, and a busy phone's on Dial BUSY.
UNUSED_EVENT_TYPES = frozenset({
    "ChannelHangupRequest", "ChannelVarset", "ChannelDialplan", "ChannelConnectedLine",
    "ChannelCallerId", "ChannelEnteredBridge", "ChannelLeftBridge", "BridgeCreated",
    "BridgeDestroyed", "BridgeMerged", "ChannelTalkingStarted", "ChannelTalkingFinished",
    "ChannelCreated", "PlaybackStarted", "ChannelHold", "ChannelUnhold", "ChannelDtmfReceived",
})
KEEP_INTERVAL_S = 0.5
STRAY_HANGUP_SPACING_S = 0.02  # "gently": no teardown storm on a busy Asterisk
GONE_SETTLE_S = 0.5  # a hang-up event still on its way after the channel list came back
# Globals the sample dialplan's hang-up handler fills: callers' ends, and the agent legs'
# (stasis_app.executor pushes the handler on them with the second name).
END_STAMPS = ("PROWEBCRM_ENDS", LEG_ENDS)


@dataclass
class AcdRuntime:
    settings: Settings
    hub: Hub
    directory: CallerDirectory | None = None
    registry: Registry = field(default_factory=Registry)
    client: AriClient | None = None
    controller: Controller | None = None
    executor: CommandExecutor | None = None
    journal: CallJournal | None = None
    service: AcdService | None = None
    spies: SpyManager | None = None
    recorder: RecordingManager | None = None
    phones: PhoneWatch | None = None
    leadership: Leadership | None = None
    on_lost: Callable[[], None] | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _group_ids: set[int] = field(default_factory=set)
    _aliases: dict[str, int] = field(default_factory=dict)  # group number / name -> id
    _wrapups: dict[int, float] = field(default_factory=dict)
    _revision: int = -1
    _reconciling: asyncio.Lock = field(default_factory=asyncio.Lock)
    _last_seen: float = 0.0  # the last moment Asterisk's picture was known complete
    _link_down_at: float = 0.0  # when the ARI link last dropped
    _suspects: set[str] = field(default_factory=set)  # strays seen by the last sweep
    _apart: set[str] = field(default_factory=set)  # connected calls seen outside their bridge
    _moh: dict[int, str] = field(default_factory=dict)  # group -> its music class
    active: bool = False

    # -- life ------------------------------------------------------------------------------

    async def start(self, *, takeover: bool = False) -> None:
        """Become the active ACD (standing by while another process is), then take back what
        is live. ``takeover`` is kept for callers of old; the lease decides now."""
        del takeover
        self.leadership = self.leadership or Leadership(self.settings.ari_app)
        if not self.leadership.held:
            await self.leadership.acquire()
        try:
            await self._activate()
        except BaseException:
            await self.stop()
            raise
        self._tasks = [asyncio.create_task(self._keep(), name="acd-keeper"),
                       asyncio.create_task(self._sweep_forever(), name="acd-sweep")]

    async def _activate(self) -> None:
        s = self.settings
        prefix = f"{adoption.id_root(s.ari_app)}{secrets.token_hex(3)}-"
        engine = Engine(settings=EngineSettings(id_prefix=prefix))
        log.info("channels and bridges this process makes have ids starting %r", prefix)
        self.journal = CallJournal(s.tz, s.data_dir / "journal",
                                   spool_max_mb=s.journal_spool_max_mb,
                                   database_key=database_key(s.database_url))
        self.journal.start()
        publisher = Publisher(self.journal, self.hub)
        self.controller = Controller(engine, self.registry, publisher, directory=self.directory,
                                     agent_dial=s.agent_dial)
        self.client = AriClient(
            s.ari_url, s.ari_user, s.ari_password, s.ari_app, key_of=self._event_key,
            backoff_initial=0.1, backoff_max=2.0, ignore_types=UNUSED_EVENT_TYPES,
        )
        self.executor = CommandExecutor(
            self.client,
            self.registry,
            self.controller.submit,
            self.controller.clock,
            agent_dial=s.agent_dial,
            outbound_dial=s.outbound_dial,
            outbound_caller_id=s.outbound_caller_id,
        )
        self.spies = SpyManager(self.client, self.registry, engine, agent_dial=s.agent_dial,
                                id_prefix=prefix)
        self.controller.attach(self.executor, self._hang_up_stray, self.spies)
        writer = RecordingWriter()
        writer.start()
        self.recorder = RecordingManager(self.client, writer, self.hub, s.recordings_dir,
                                         call_of=self.registry.call_of,
                                         clock=self.controller.clock)
        self.controller.attach_recorder(self.recorder)
        self.phones = self.controller.phones = PhoneWatch(
            self.client, s.agent_dial, self.controller.submit, self.controller.clock)
        self.controller.start()
        self.service = AcdService(self.controller, self.spies)
        self._revision = await self._config_revision()
        await self.reload_groups()
        self.controller.hold_events()
        self.client.on_event(self.controller.on_ari_event)
        self.client.on_connection_change(self._on_link)
        self.client.on_replaced(self._on_replaced)
        await self.client.start(takeover=True)  # the lease is ours: Asterisk's app is too
        try:
            await self._take_back()
        finally:
            self.controller.release_events()
        await self._sweep_recordings()
        # The phones of the agents taken back (later logins are watched as they come).
        self.phones.rewatch(self.controller.logged_in_extensions())
        self.active = True
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, self._log_census)
        log.info("Stasis application %r active on %s", s.ari_app, s.ari_url)

    def _log_census(self) -> None:
        sizes = self.census()
        log.warning("census (kill -USR2): %s",
                    " ".join(f"{name}={size}" for name, size in sizes.items() if size))

    async def stop(self) -> None:
        """Stop acting; calls stay up in Asterisk and records open for the next process."""
        self.active = False
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR2)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.phones is not None:
            await self.phones.close()
        if self.client is not None:
            await self.client.drain()
        if self.controller is not None:
            await self.controller.stop()
        if self.client is not None:
            await self.client.close()
        if self.journal is not None:
            await self.journal.stop(close_open=False)
        if self.recorder is not None:
            await self.recorder.stop()
        if self.leadership is not None:
            await self.leadership.release()

    def census(self) -> dict[str, int]:
        """Sizes of everything the ACD keeps in memory (stasis_app.census)."""
        controller = self.controller
        return census({
            "engine": controller.engine if controller is not None else None,
            "controller": controller, "registry": self.registry, "executor": self.executor,
            "publisher": getattr(controller, "_publisher", None),
            "journal": self.journal, "spies": self.spies, "ari": self.client,
            "recorder": self.recorder,
            "recording": self.recorder.policy if self.recorder is not None else None,
            "dispatcher": getattr(self.client, "_dispatcher", None),
        })

    def queue_bridges(self) -> list[str]:
        """The holding bridges of the groups (their queues), kept while the groups exist."""
        return [CommandExecutor.holding_bridge_id(gid) for gid in sorted(self._group_ids)]

    # -- groups ----------------------------------------------------------------------------

    async def reload_groups(self) -> None:
        """(Re)load every active group into the engine; removed/deactivated ones close."""
        assert self.controller is not None and self.executor is not None
        groups = await active_groups()
        now = self.controller.clock
        loaded: set[int] = set()
        aliases: dict[str, int] = {}
        modes: dict[int, str] = {}
        for group in groups:
            config = group_config(group)
            problems = config.problems()
            if problems:
                log.warning("group %s not loaded: %s", group.name, "; ".join(problems))
                continue
            await self.controller.ask(i.ConfigureGroup(now=now(), config=config))
            loaded.add(group.id)
            aliases[config.name.casefold()] = group.id
            if config.number:
                aliases[config.number] = group.id
            self._wrapups[group.id] = float(group.wrapup_s)
            modes[group.id] = group.recording
            self._moh[group.id] = config.moh_class
            # Its queue in Asterisk: made now, so the first caller does not wait for it.
            self.executor.holding_bridge(group.id, config.moh_class)
        for gone in self._group_ids - loaded:
            await self.controller.ask(i.RemoveGroup(now=now(), group_id=gone))
        self._group_ids = loaded
        self._aliases = aliases
        if self.recorder is not None:
            self.recorder.set_modes(modes)

    async def _refresh_agents(self) -> None:
        """Memberships may have changed: every logged-in agent gets its current groups."""
        assert self.controller is not None
        views = [a for a in self.controller.engine.agents() if a.state.value != "logged_out"]
        if not views:
            return
        memberships = await memberships_of_agents([a.agent_id for a in views])
        for view in views:
            groups = memberships.get(view.agent_id, {})
            if dict(view.groups) != groups:
                await self.controller.ask(i.UpdateAgentGroups(
                    now=self.controller.clock(), agent_id=view.agent_id, groups=groups))

    async def _config_revision(self) -> int:
        return await revisions.current(revisions.ACD_CONFIG)

    # -- taking back what is live -----------------------------------------------------------

    async def _take_back(self) -> None:
        assert self.client is not None and self.controller is not None
        channels = await self.client.channels.list()
        bridges = await self.client.bridges.list()
        now = self.controller.clock()
        records = await self._records()
        ends = await self._end_stamps() if records.calls else {}
        plan = adoption.plan(self.settings.ari_app, channels, bridges, records, now, ends)
        self._adopt_registry(plan)
        refused = 0
        for inp in plan.inputs:
            outputs = await self.controller.ask(inp)
            refused += sum(1 for o in outputs if type(o).__name__ == "Refused")
        for channel_id in plan.hangups:
            await self._hang_up_stray(channel_id, "left by the previous process, no live call")
            await asyncio.sleep(STRAY_HANGUP_SPACING_S)
        for bridge_id in plan.destroy:
            with contextlib.suppress(AriError):
                await self.client.bridges.destroy(bridge_id)
        closed = await self._close_vanished(plan.vanished, now, ends)
        self._last_seen = now
        adopted = [x for x in plan.inputs if isinstance(x, i.AdoptCall)]
        log.info(
            "took back %d live call(s) (%d waiting), %d agent(s); ended %d stray channel(s) "
            "and %d bridge(s); closed %d record(s) of calls that ended meanwhile%s",
            len(adopted), sum(1 for a in adopted if not a.agent_id and not a.external_leg_id),
            sum(1 for x in plan.inputs if isinstance(x, i.RestoreAgent)), len(plan.hangups),
            len(plan.destroy), closed, f"; {refused} refused" if refused else "")

    async def _records(self) -> adoption.Records:
        groups = self._group_ids
        try:
            agents = await open_agent_states()
            calls = await open_calls()
            members = await memberships_of_agents(sorted(agents))
        except Exception as exc:  # the database down: Asterisk alone says what is live
            log.error("records unreadable while taking back live calls (%s): adopting from "
                      "Asterisk alone", exc)
            return adoption.Records({}, {}, {}, dict(self._wrapups), set(groups),
                                    dict(self._aliases))
        for agent_id in {s.agent_id for s in agents.values()} - set(members):
            members[agent_id] = await agent_memberships(agent_id)
        return adoption.Records(calls, agents, members, dict(self._wrapups), set(groups),
                                dict(self._aliases))

    def _adopt_registry(self, plan: adoption.Plan) -> None:
        assert self.executor is not None
        for caller, group_id in plan.callers.items():
            self.registry.add_caller(caller)
            if group_id is not None:
                self.executor.adopt_waiting(caller, group_id)
        for caller in plan.held:
            self.executor.adopt_held(caller)
        for leg_id, (call_id, kind) in plan.legs.items():
            leg = self.registry.add_leg(
                leg_id, call_id, LegKind.AGENT if kind == "agent" else LegKind.OUTBOUND)
            leg.answered = leg.ringing = True
        for bridge_id, call_id in plan.bridges.items():
            self.executor.adopt_bridge(bridge_id, call_id)

    async def _close_vanished(self, rows: list[OpenCall], now: float,
                              ends: dict[str, float]) -> int:
        """Records of calls Asterisk no longer has: closed at their real end. ``ends`` were
        read before the lone callers were hung up: those hang-ups are no end of a call."""
        assert self.journal is not None
        for row in rows:
            at = adoption.conversation_end(row, ends) or now
            if row.answered_at is not None:
                outcome = CallOutcome.ANSWERED
            elif row.entered_queue_at is not None:
                outcome = CallOutcome.ABANDONED
            else:
                outcome = CallOutcome.FAILED
            self.journal.close_call(row.call_id, outcome, at)
        return len(rows)

    async def _end_stamps(self) -> dict[str, float]:
        """When channels really ended, as the dialplan's hang-up handler noted it (a channel
        missing: no handler in this dialplan, or Asterisk itself restarted)."""
        assert self.client is not None
        ends: dict[str, float] = {}
        for name in END_STAMPS:
            try:
                value = await self.client.asterisk.get_variable(name)
            except AriError:
                continue  # never set (no such handler, or nothing ended yet)
            for entry in value.split():
                channel_id, _, when = entry.partition("=")
                try:
                    ends.setdefault(channel_id, float(when))  # newest first: keep the first
                except ValueError:
                    continue  # the list's cut end
        return ends

    # -- ARI link --------------------------------------------------------------------------

    def _event_key(self, event: ev.Event) -> str | None:
        channel_id = event.channel_id
        call = self.registry.call_of(channel_id) or self.registry.call_of(event.bridge_id)
        if call is None and self.spies is not None:
            call = self.spies.call_of(channel_id)
        return call or channel_id or event.bridge_id

    async def _on_link(self, state: LinkState, first: bool, reason: str | None) -> None:
        if state is LinkState.CONNECTED:
            self._tell_engine_link(up=True)
            if first:
                return
            log.warning("ARI link back: reconciling with Asterisk")
            if self.phones is not None and self.controller is not None:
                # Asterisk may have restarted and forgotten the subscriptions, and the
                # phones changed unseen meanwhile: subscribe and read them again.
                self.phones.rewatch(self.controller.logged_in_extensions())
            # Not awaited here: the hook runs in the socket's reader, which must keep reading.
            self._tasks.append(asyncio.create_task(self.reconcile(), name="acd-reconcile"))
        elif state is LinkState.DISCONNECTED:
            self._link_down_at = time.time()
            self._tell_engine_link(up=False)
            log.error("ARI link lost (%s): reconnecting", reason or "no reason given")

    def _tell_engine_link(self, *, up: bool) -> None:
        if self.controller is not None:
            self.controller.submit(i.LinkChanged(now=self.controller.clock(), up=up))

    async def _on_replaced(self) -> None:
        log.critical(
            "another process took the Stasis application %r (ApplicationReplaced): this "
            "process no longer handles calls",
            self.settings.ari_app,
        )
        self._lost()

    def _lost(self) -> None:
        self.active = False
        if self.on_lost is not None:
            self.on_lost()

    # -- keeping the lease and the configuration ------------------------------------------

    async def _keep(self) -> None:
        assert self.leadership is not None
        next_beat = 0.0
        complained = False
        while True:
            await asyncio.sleep(KEEP_INTERVAL_S)
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + BEAT_S
                    if not await self.leadership.renew():
                        log.critical("the ACD lease of %r was taken by another process: this "
                                     "one stops handling calls", self.settings.ari_app)
                        self._lost()
                        return
                revision = await self._config_revision()
                if revision != self._revision:
                    self._revision = revision
                    await self.reload_groups()
                    await self._refresh_agents()
                    log.info("groups or memberships changed: reloaded")
                complained = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database down: keep every call, try again
                if not complained:
                    log.error("ACD keeper: database unavailable (%s); calls go on", exc)
                    complained = True

    # -- converging with Asterisk -----------------------------------------------------------

    async def reconcile(self) -> None:
        """Make the engine's picture and Asterisk's agree after events may have been missed."""
        if self.client is None or self.controller is None:
            return
        async with self._reconciling:
            try:
                await self.client.drain()
                # What the ACD knew BEFORE asking Asterisk: a caller whose StasisStart is
                # handled while the list is on its way is absent from it, and is no hang-up.
                known = self.registry.live_channel_ids()
                channels = await self.client.channels.list()
                bridges = await self.client.bridges.list()
            except AriError as exc:
                log.error("reconcile failed: %s", exc)
                return
            seen_at = self.controller.clock()
            present = {c.id for c in channels}
            vanished = 0
            gone = await self._really_gone(sorted(known - present))
            ends = await self._end_stamps() if gone else {}
            # Without the dialplan's stamp, the end lies after the last complete picture and
            # after the link dropped (an Asterisk restart ends every call as it goes down).
            unknown_end = max(self._last_seen, self._link_down_at) or seen_at
            for channel_id in gone:
                at = ends.get(channel_id) or unknown_end
                self.controller.channel_gone(channel_id, at)
                vanished += 1
            await self._remake_queues({b.id for b in bridges})
            forgotten = await self._requeue_forgotten(channels)
            await self.controller.idle()
            strays = await self._end_strays(channels, bridges)
            strays += self._connect_apart(channels, bridges)
            self._last_seen = seen_at
            await self._sweep_recordings()
            level = logging.INFO if vanished or forgotten or strays else logging.DEBUG
            log.log(level, "reconciled: %d hang-up(s) missed, %d caller(s) taken back, %d "
                    "stray(s) ended", vanished, forgotten, strays)

    async def _sweep_recordings(self) -> None:
        """B9: segments still open in the records are adopted or finished (never raises)."""
        if self.recorder is None:
            return
        try:
            settled = await self.recorder.sweep()
        except Exception:
            log.exception("recordings sweep failed")
            return
        if settled:
            log.info("recordings: %d open segment(s) adopted or finished", settled)

    async def _really_gone(self, missing: list[str]) -> list[str]:
        """Of the channels the list missed, those that are really gone: not a hang-up whose
        event was on its way (it then tells the real end), nor a leg whose creation was (a
        second list shows it)."""
        assert self.client is not None
        if not missing:
            return []
        await asyncio.sleep(GONE_SETTLE_S)
        await self.client.drain()
        live = self.registry.live_channel_ids()
        missing = [c for c in missing if c in live]
        if not missing:
            return []
        try:
            again = {c.id for c in await self.client.channels.list()}
        except AriError as exc:
            log.warning("second channel list failed (%s): the next sweep decides", exc)
            return []
        return [c for c in missing if c not in again]

    async def _remake_queues(self, present: set[str]) -> None:
        """Asterisk restarted: the groups' holding bridges are gone; make them again."""
        assert self.executor is not None
        for group_id in sorted(self._group_ids):
            if CommandExecutor.holding_bridge_id(group_id) not in present:
                log.warning("the holding bridge of group %s is gone (Asterisk restarted?): "
                            "making it again", group_id)
                self.executor.holding_bridge(group_id, self._moh.get(group_id, "default"),
                                             again=True)

    async def _requeue_forgotten(self, channels: list[Channel]) -> int:
        """A caller in the app that the engine does not know (its StasisStart lost) waits
        again as a new arrival, from its first try."""
        assert self.controller is not None
        count = 0
        for channel in channels:
            args = adoption.stasis_args(channel, self.settings.ari_app)
            if args is None or args.kind != INBOUND_ARG or channel.id in self.registry.callers:
                continue
            start = ev.parse_event({"type": "StasisStart", "args": [INBOUND_ARG, *args.values],
                                    "channel": channel_json(channel)})
            await self.controller.on_ari_event(start)
            count += 1
        return count

    async def _end_strays(self, channels: list[Channel], bridges: list[Bridge]) -> int:
        """End, gently, what is ours and belongs to no live call."""
        assert self.client is not None
        spying = self.spies.live_channels() if self.spies is not None else set()
        spy_bridges = {sp.bridge_id for sp in self.spies.spies.values()} if self.spies else set()
        owned = self.registry.live_channel_ids() | spying
        root = adoption.id_root(self.settings.ari_app)
        count = 0
        strays: set[str] = set()
        for channel in channels:
            cid = channel.id
            half_of = cid[:-2] if cid.endswith("-2") else None
            if cid in owned or (half_of is not None and (half_of in owned or half_of in spying)):
                continue
            ours = cid.startswith(root) and half_of is None
            in_app = adoption.stasis_args(channel, self.settings.ari_app) is not None
            if (ours or in_app) and not self.registry.owns_channel(cid):
                # Only a stray seen by two sweeps in a row: one seen once may be a call
                # whose StasisStart was still on its way (a phone dialling, a new leg).
                strays.add(cid)
                if cid not in self._suspects:
                    continue
                await self._hang_up_stray(cid, "belongs to no live call")
                count += 1
                await asyncio.sleep(STRAY_HANGUP_SPACING_S)
        kept = set(self.queue_bridges()) | spy_bridges | set(self.registry.bridges)
        for bridge in bridges:
            # Only this app's own (another app's bridge is empty while its phone rings, and
            # a holding bridge between callers: both are that app's to end).
            if bridge.id.startswith(root) and bridge.id not in kept and not bridge.channels:
                with contextlib.suppress(AriError):
                    await self.client.bridges.destroy(bridge.id)
                    count += 1
        self._suspects = strays
        return count

    def _connect_apart(self, channels: list[Channel], bridges: list[Bridge]) -> int:
        """A call the engine holds connected whose caller Asterisk shows outside its bridge
        (a bridge command lost on the way) at two sweeps in a row: the connection failed,
        and the engine gives the caller its place back and frees the agent."""
        assert self.controller is not None
        present = {c.id for c in channels}
        members = {b.id: set(b.channels) for b in bridges}
        apart: set[str] = set()
        repaired = 0
        for call in self.controller.engine.calls():
            if (call.direction is not CallDirection.INBOUND or call.state is not CallState.CONNECTED
                    or call.on_hold or call.bridge_id is None or len(call.legs) != 1
                    or call.call_id not in present
                    or call.call_id in members.get(call.bridge_id, set())):
                continue
            apart.add(call.call_id)
            if call.call_id in self._apart:
                log.warning("call %s: connected for the ACD but its caller is not in bridge %s;"
                            " it goes back to the queue", call.call_id, call.bridge_id)
                self.controller.submit(i.ConnectFailed(
                    now=self.controller.clock(), call_id=call.call_id, leg_id=call.legs[0]))
                repaired += 1
        self._apart = apart
        return repaired

    async def _hang_up_stray(self, channel_id: str, reason: str) -> None:
        assert self.client is not None
        log.warning("hanging up channel %s: %s", channel_id, reason)
        try:
            await self.client.channels.hangup(channel_id, reason="normal")
        except AriError as exc:
            log.debug("stray %s already gone: %s", channel_id, exc)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval_s or SWEEP_INTERVAL_S)
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
        outbound_caller_id=group.outbound_caller_id,
        retry_s=float(group.retry_s),
    )


def channel_json(channel: Channel) -> dict[str, object]:
    """The event form of a listed channel (to replay a StasisStart that was missed)."""
    return {
        "id": channel.id,
        "name": channel.name,
        "state": channel.state,
        "caller": {"name": channel.caller.name, "number": channel.caller.number},
        "connected": {"name": "", "number": ""},
        "dialplan": {"context": "", "exten": "", "priority": 0},
        "creationtime": channel.creationtime,
    }


class AcdSupervisor:
    """The ACD of a serving process: active when this process holds the lease, standing by
    otherwise (the web keeps serving pages either way), active again after a loss."""

    def __init__(self, settings: Settings, hub: Hub, directory: CallerDirectory | None,
                 on_change: Callable[[AcdRuntime | None], None]) -> None:
        self._settings, self._hub, self._directory = settings, hub, directory
        self._on_change = on_change
        self._leadership = Leadership(settings.ari_app)
        self.runtime: AcdRuntime | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    async def start(self) -> None:
        """Active at once when the lease is free (errors then stop start-up with one line),
        else standing by in the background."""
        if await self._leadership.try_now():
            await self._activate()
        else:
            log.info("another process runs the ACD of %r: standing by",
                     self._settings.ari_app)
        self._task = asyncio.create_task(self._run(), name="acd-supervisor")

    async def _activate(self) -> None:
        runtime = AcdRuntime(self._settings, self._hub, self._directory,
                             leadership=self._leadership, on_lost=self._lost.set)
        await runtime.start()
        self.runtime = runtime
        self._on_change(runtime)

    async def _run(self) -> None:
        while True:
            if self.runtime is None:
                await self._leadership.acquire()
                try:
                    await self._activate()
                except Exception:
                    log.exception("the ACD could not become active; standing by again")
                    await self._leadership.release()
                    await asyncio.sleep(2.0)
                    continue
            await self._lost.wait()
            self._lost.clear()
            runtime, self.runtime = self.runtime, None
            self._on_change(None)
            if runtime is not None:
                await runtime.stop()
            self._leadership = Leadership(self._settings.ari_app)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None
        else:
            await self._leadership.release()

