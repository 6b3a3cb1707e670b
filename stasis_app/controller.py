"""Runs the ACD engine: every input through one queue, every command in its call's order.

- Inputs (ARI events already translated, timer expiries, agents' and supervisors' requests)
  are applied by ONE task, so the engine needs no locks and claims are atomic (R-claim).
- ARI events reach this module through the ARI client's per-call ordered dispatcher
  (R-order); the slow part of a new call — looking the caller up in the CRM — runs there,
  in parallel across calls, before the call is queued.
- Commands run in a serial worker per call: a call's bridge is created before its channels
  are added, while different calls proceed in parallel.
- Timers are the engine's own (R-timers): ``loop.call_later`` feeding ``TimerFired`` back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from stasis_app.acd import Engine
from stasis_app.acd import inputs as i
from stasis_app.acd import outputs as o
from stasis_app.acd.model import AgentState
from stasis_app.ari import events as ev
from stasis_app.executor import CommandExecutor
from stasis_app.phones import PhoneWatch
from stasis_app.publisher import Publisher
from stasis_app.recording import RecordingManager, StartRecording, StopRecording, Toggled
from stasis_app.registry import Registry
from stasis_app.spy import SpyManager
from stasis_app.translate import EventTranslator, NewCaller, PlaybackDone, StrayChannel

log = logging.getLogger(__name__)

FORGET_AFTER_S = 30.0


class CallerDirectory(Protocol):
    async def lookup(self, caller_number: str) -> tuple[int | None, int | None]:
        """(client id, preferred agent id) for a caller number; (None, None) if unknown."""
        ...


class NoDirectory:
    async def lookup(self, caller_number: str) -> tuple[int | None, int | None]:
        return None, None


class Controller:
    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        publisher: Publisher,
        *,
        directory: CallerDirectory | None = None,
        clock: Callable[[], float] = time.time,
        agent_dial: str = "PJSIP/{extension}",
    ) -> None:
        self.engine = engine
        self.registry = registry
        self._publisher = publisher
        self._directory = directory or NoDirectory()
        self.clock = clock
        self._translator = EventTranslator(registry, agent_dial)
        self._executor: CommandExecutor | None = None
        self._stray: Callable[[str, str], Awaitable[None]] | None = None
        self._spies: SpyManager | None = None
        self._recorder: RecordingManager | None = None
        self.phones: PhoneWatch | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._inputs: asyncio.Queue[tuple[i.Input, asyncio.Future[Any] | None] | None] = (
            asyncio.Queue()
        )
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._ended: deque[tuple[float, str]] = deque()  # (when to forget, call id)
        self._forget_timer: asyncio.TimerHandle | None = None
        self._workers: dict[str, _CallWorker] = {}
        self._task: asyncio.Task[None] | None = None
        self.inputs_handled = 0
        # Closed while a restarted process takes back what is live: events received
        # meanwhile wait (in order, per call) until the adoption is done.
        self._events_open = asyncio.Event()
        self._events_open.set()

    def attach(
        self,
        executor: CommandExecutor,
        on_stray: Callable[[str, str], Awaitable[None]],
        spies: SpyManager | None = None,
    ) -> None:
        self._executor = executor
        self._stray = on_stray
        self._spies = spies

    def attach_recorder(self, recorder: RecordingManager) -> None:
        """B9: recordings follow the engine's outputs (stasis_app.recording)."""
        self._recorder = recorder

    @property
    def recorder(self) -> RecordingManager | None:
        return self._recorder

    def toggle_recording(self, agent_id: int, on: bool | None = None) -> Toggled:
        """The agent pressed Record (on demand): the segment starts or stops in the call's
        command order."""
        if self._recorder is None:
            return Toggled(False, code="recording_off", message="recording is not available")
        result, commands = self._recorder.toggle(agent_id, on)
        for command in commands:
            self._enqueue(command)
        return result

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="acd-engine")

    async def stop(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self._forget_timer is not None:
            self._forget_timer.cancel()
            self._forget_timer = None
        if self._task is not None:
            self._inputs.put_nowait(None)
            await self._task
            self._task = None
        if self._executor is not None:
            self._executor.stop_waiting()
        await self.idle()

    async def idle(self) -> None:
        """Every queued input applied and every command sent (tests, shutdown)."""
        while True:
            await self._inputs.join()
            if self._executor is not None:
                await self._executor.idle()
            if self._background:
                await asyncio.gather(*self._background, return_exceptions=True)
            workers = [w.task for w in self._workers.values() if w.task is not None]
            if not workers and self._inputs.empty():
                return
            await asyncio.gather(*workers, return_exceptions=True)

    # -- inputs --------------------------------------------------------------------------

    def submit(self, inp: i.Input) -> None:
        """Fire and forget (ARI events, timers)."""
        self._inputs.put_nowait((inp, None))

    async def ask(self, inp: i.Input) -> list[o.Output]:
        """Apply a request (from the web) and return what it caused, refusals included."""
        future: asyncio.Future[list[o.Output]] = asyncio.get_running_loop().create_future()
        self._inputs.put_nowait((inp, future))
        return await future

    def hold_events(self) -> None:
        self._events_open.clear()

    def release_events(self) -> None:
        self._events_open.set()

    def channel_gone(self, channel_id: str, at: float | None = None) -> None:
        """A hang-up Asterisk could not tell (missed while disconnected): at ``at``."""
        for item in self._translator.gone(channel_id, self.clock(), at):
            if not isinstance(item, (NewCaller, StrayChannel, PlaybackDone)):
                self.submit(item)

    async def on_ari_event(self, event: ev.Event) -> None:
        """Called by the ARI client, in order for each call."""
        if not self._events_open.is_set():
            await self._events_open.wait()
        if self._recorder is not None and self._recorder.on_event(event):
            return
        if self._spies is not None and await self._spies.on_event(event):
            return
        for item in self._translator.translate(event, self.clock()):
            if isinstance(item, NewCaller):
                await self._new_caller(item)
            elif isinstance(item, StrayChannel):
                if self._stray is not None:
                    await self._stray(item.channel_id, item.reason)
            elif isinstance(item, PlaybackDone):
                self._enqueue_ari(item.channel_id, "hangup after message")
            else:
                if isinstance(item, i.PhoneStateChanged) and self.phones is not None:
                    self.phones.noted(item.extension)
                self.submit(item)

    async def _new_caller(self, caller: NewCaller) -> None:
        # Queued at once; who the caller is comes beside (a slow or absent database never
        # delays an offer): CallerIdentified follows.
        self.submit(
            i.CallEntered(
                now=self.clock(),
                call_id=caller.call_id,
                group=caller.group,
                caller_number=caller.caller_number,
                caller_name=caller.caller_name,
                arrived_at=caller.arrived_at,
                identified=False,
            )
        )
        self._in_background(self._identify(caller))

    async def _identify(self, caller: NewCaller) -> None:
        try:
            client_id, preferred = await self._directory.lookup(caller.caller_number)
        except Exception as exc:  # the CRM being down must not keep a caller out of the queue
            log.warning("caller lookup failed for %s: %s", caller.caller_number, exc)
            client_id, preferred = None, None
        self.submit(i.CallerIdentified(now=self.clock(), call_id=caller.call_id,
                                       client_id=client_id, preferred_agent_id=preferred))

    async def _run(self) -> None:
        while True:
            item = await self._inputs.get()
            try:
                if item is None:
                    return
                inp, future = item
                try:
                    outputs = self.engine.handle(inp)
                except Exception as exc:  # an engine bug must not stop every other call
                    log.exception("engine failed on %r", inp)
                    if future is not None and not future.done():
                        future.set_exception(exc)
                    continue
                self.inputs_handled += 1
                self._dispatch(outputs, inp)
                if future is not None and not future.done():
                    future.set_result(outputs)
            finally:
                self._inputs.task_done()

    # -- outputs -------------------------------------------------------------------------

    def _dispatch(self, outputs: list[o.Output], cause: i.Input) -> None:
        for out in outputs:
            if isinstance(out, o.StartTimer):
                self._start_timer(out)
            elif isinstance(out, o.CancelTimer):
                handle = self._timers.pop(out.timer_id, None)
                if handle is not None:
                    handle.cancel()
            elif isinstance(out, o.Command):
                self._enqueue(out)
            elif isinstance(out, o.Event):
                try:
                    self._publisher.publish(out)
                except Exception:
                    log.exception("publishing %r failed", out)
                if isinstance(out, o.AgentStateChanged):
                    self._watch_phone(out)
                if isinstance(out, o.CallEnded):
                    self._forget_later(out.call_id)
                    if self._spies is not None:
                        self._in_background(self._spies.call_ended(out.call_id))
            elif isinstance(out, o.Refused):
                log.info("refused %s: %s", type(cause).__name__, out.message)
        if self._recorder is not None and outputs:
            # after the call's own commands: a segment starts once the bridge holds both
            for command in self._recorder.observe(outputs):
                self._enqueue(command)

    def _watch_phone(self, change: o.AgentStateChanged) -> None:
        """A logged-in agent's phone is watched (stasis_app.phones), until they log out."""
        if self.phones is None or (change.old is change.new):
            return
        if change.old is AgentState.LOGGED_OUT and change.extension:
            self.phones.watch(change.extension)
        elif change.new is AgentState.LOGGED_OUT:
            agent = self.engine.agent(change.agent_id)
            extension = agent.extension if agent is not None else ""
            if extension and not any(
                    a.extension == extension and a.state is not AgentState.LOGGED_OUT
                    for a in self.engine.agents()):
                self.phones.unwatch(extension)

    def logged_in_extensions(self) -> list[str]:
        return [a.extension for a in self.engine.agents()
                if a.state is not AgentState.LOGGED_OUT and a.extension]

    def _start_timer(self, cmd: o.StartTimer) -> None:
        old = self._timers.pop(cmd.timer_id, None)
        if old is not None:
            old.cancel()

        def fire() -> None:
            self._timers.pop(cmd.timer_id, None)
            self.submit(i.TimerFired(now=self.clock(), timer_id=cmd.timer_id))

        self._timers[cmd.timer_id] = asyncio.get_running_loop().call_later(
            max(0.0, cmd.delay_s), fire
        )

    def _enqueue(self, command: o.Command) -> None:
        if isinstance(command, (o.OriginateAgent, o.DialOutbound)) and self._executor:
            # A new leg is another channel: it need not wait behind its caller's answer and
            # music on hold. The executor orders later commands on the leg after it.
            self._executor.originate_now(command)
            return
        if isinstance(command, (o.ConnectCall, o.ConnectLegs)):
            # Map the bridge to its call now, not when it is created: a DestroyBridge issued
            # meanwhile then queues behind its creation instead of overtaking it.
            call_id = getattr(command, "call_id", None) or self.registry.call_of(
                command.leg_ids[0] if isinstance(command, o.ConnectLegs) else None
            )
            if call_id and command.bridge_id not in self.registry.bridges:
                self.registry.add_bridge(command.bridge_id, call_id)
        key = _command_key(command, self.registry)
        worker = self._workers.get(key)
        if worker is None:
            worker = self._workers[key] = _CallWorker(key, self._execute, self._workers)
        worker.push(command)

    async def _execute(self, command: o.Command) -> None:
        if isinstance(command, (StartRecording, StopRecording)):
            if self._recorder is not None:
                await self._recorder.execute(command)
            return
        if self._executor is None:
            log.error("no ARI executor attached: dropping %r", command)
            return
        await self._executor.execute(command)

    def _enqueue_ari(self, channel_id: str, why: str) -> None:
        self._enqueue(o.HangupCall(call_id=channel_id))
        log.debug("hanging up %s: %s", channel_id, why)

    def _in_background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _forget_later(self, call_id: str) -> None:
        # Late events of the call (ChannelDestroyed after StasisEnd...) must still find it, so
        # the registry keeps it a little while after the end. One timer for all the calls
        # ended (in order, all with the same delay), not one per call: a timer each was a
        # visible share of the CPU under a burst.
        loop = asyncio.get_running_loop()
        self._ended.append((loop.time() + FORGET_AFTER_S, call_id))
        if self._forget_timer is None:
            self._forget_timer = loop.call_later(FORGET_AFTER_S, self._forget_due)

    def _forget_due(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._ended and self._ended[0][0] <= now:
            self._forget(self._ended.popleft()[1])
        self._forget_timer = (loop.call_later(self._ended[0][0] - now, self._forget_due)
                              if self._ended else None)

    def _forget(self, call_id: str) -> None:
        self.registry.forget_call(call_id)
        if self._executor is not None:
            self._executor.forget(call_id)

    @property
    def publisher(self) -> Publisher:
        return self._publisher

    def pending_timers(self) -> int:
        return len(self._timers)


def _command_key(command: o.Command, registry: Registry) -> str:
    """The serial worker a command runs in: its call's, else its first leg's or bridge's own."""
    call_id = registry.call_of_command(command)
    if call_id:
        return call_id
    leg_ids: tuple[str, ...] = getattr(command, "leg_ids", ())
    for own in (getattr(command, "offer_id", None), getattr(command, "leg_id", None),
                getattr(command, "channel_id", None), leg_ids[0] if leg_ids else None,
                getattr(command, "bridge_id", None)):
        if own:
            return str(own)
    return "global"


class _CallWorker:
    """Runs one call's commands one after the other, then goes away when idle."""

    def __init__(
        self,
        key: str,
        execute: Callable[[o.Command], Awaitable[None]],
        owner: dict[str, _CallWorker],
    ) -> None:
        self.key = key
        self._execute = execute
        self._owner = owner
        self._pending: list[o.Command] = []
        self.task: asyncio.Task[None] | None = None

    def push(self, command: o.Command) -> None:
        self._pending.append(command)
        if self.task is None:
            self.task = asyncio.create_task(self._run(), name=f"acd-call-{self.key}")

    async def _run(self) -> None:
        try:
            while self._pending:
                command = self._pending.pop(0)
                try:
                    await self._execute(command)
                except Exception:
                    log.exception("command %r failed", command)
        finally:
            self.task = None
            if self._owner.get(self.key) is self and not self._pending:
                del self._owner[self.key]
