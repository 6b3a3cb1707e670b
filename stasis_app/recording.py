"""B9: call recording, beside the ACD engine.

The engine knows nothing of recordings. ``RecordingPolicy`` (pure, no I/O) watches the
engine's outputs as the controller dispatches them and decides when a segment starts and
stops:

- a segment records the call's mixing bridge while the caller and its agent are in it
  (``ConnectCall``), for a group in mode ``all``, or in mode ``on_demand`` once the agent
  pressed Record (pressing again stops it);
- hold and consultations take the caller out of the bridge (``HoldCaller``): the segment
  stops; resuming (``ConnectCall`` again) starts a new one; a transfer to another agent
  starts a new one for that agent; the end of the call stops it.

Its decisions are commands (``StartRecording``, ``StopRecording``) that run in the call's
own command worker, after the bridge commands emitted before them (R-order).

``RecordingManager`` does the I/O: ``POST /bridges/{id}/record`` (a name unique per
segment, wav), ``POST /recordings/live/{name}/stop``, Asterisk's RecordingFinished /
RecordingFailed events, and the rows (``crm.recordings.RecordingWriter``: written beside the
call path, retried while the database is away). A recording that fails is logged, written
as failed and shown on the agent's console and in supervision; it never blocks or cuts the
call. ``sweep`` (at start-up, after a reconnect, with the periodic sweep) asks Asterisk
about every segment still open in the records: one still recording is adopted (a process
killed and restarted keeps its calls' recordings), one that ended meanwhile is finished
from its file.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crm import recordings as rec
from crm.clock import from_timestamp
from crm.hub import SUPERVISION, Hub, agent_topic
from crm.models import RecordingStatus
from stasis_app.acd import outputs as o
from stasis_app.ari import AriError
from stasis_app.ari import events as ev
from stasis_app.ari.models import LiveRecording, target_id

log = logging.getLogger("prowebcrm.recording")

MODE_OFF, MODE_ALL, MODE_ON_DEMAND = "off", "all", "on_demand"
NAME_PREFIX = "pwrec-"
# After a stop, how long Asterisk's RecordingFinished may take before the segment is settled
# without it: when the bridge goes at the same moment, Asterisk can end the recording with
# no event this app receives, and the periodic sweep would leave the row open 30 s or more.
END_EVENT_GRACE_S = 3.0
LIVE_STATES = ("queued", "recording", "paused")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


# -- commands (run in the call's worker) ----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRecording(o.Command):
    call_id: str
    bridge_id: str
    name: str
    group_id: int | None
    agent_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRecording(o.Command):
    call_id: str
    name: str


RecordingCommand = StartRecording | StopRecording


# -- the policy (pure) ------------------------------------------------------------------------


@dataclass
class _CallRec:
    call_id: str
    group_id: int | None = None
    agent_id: int | None = None
    bridge_id: str | None = None
    connected: bool = False  # caller and agent in the mixing bridge
    wanted: bool = False  # on demand: the agent pressed Record
    blocked: bool = False  # the last segment failed: no new one until the next connect
    segment: str | None = None
    agent_of_segment: int | None = None


@dataclass(frozen=True, slots=True)
class Toggled:
    ok: bool
    recording: bool = False
    code: str = ""
    message: str = ""
    call_id: str = ""


@dataclass
class RecordingPolicy:
    token: str = field(default_factory=lambda: secrets.token_hex(3))
    modes: dict[int, str] = field(default_factory=dict)
    calls: dict[str, _CallRec] = field(default_factory=dict)
    _seq: int = 0

    def mode_of(self, group_id: int | None) -> str:
        return self.modes.get(group_id, MODE_OFF) if group_id is not None else MODE_OFF

    def observe(self, outputs: list[o.Output]) -> list[RecordingCommand]:
        touched: list[_CallRec] = []
        for out in outputs:
            st = self._apply(out)
            if st is not None and st not in touched:
                touched.append(st)
        commands: list[RecordingCommand] = []
        for st in touched:
            commands += self._converge(st)
        return commands

    def _apply(self, out: o.Output) -> _CallRec | None:
        st: _CallRec | None
        if isinstance(out, o.ConnectCall):
            st = self._call(out.call_id)
            st.bridge_id = out.bridge_id
            st.connected = True
            st.blocked = False
            return st
        if isinstance(out, o.CallAnswered):
            st = self._call(out.call_id)
            if st.agent_id is not None and st.agent_id != out.agent_id:
                st.wanted = False  # another agent: their own choice
            st.agent_id = out.agent_id
            if out.group_id is not None:
                st.group_id = out.group_id
            return st
        if isinstance(out, (o.HoldCaller, o.AnswerAndHold, o.PlayAndHangup,
                            o.ReturnToDialplan, o.HangupCall)):
            st = self.calls.get(out.call_id)
            if st is not None:
                st.connected = False
            return st
        if isinstance(out, o.DestroyBridge):
            for st in self.calls.values():
                if st.bridge_id == out.bridge_id:
                    st.connected = False
                    st.bridge_id = None
                    return st
            return None
        if isinstance(out, (o.CallTransferred, o.CallEnded)):
            st = self.calls.get(out.call_id)
            if st is not None:
                st.connected = False
                st.wanted = False
            return st
        return None

    def _converge(self, st: _CallRec) -> list[RecordingCommand]:
        commands: list[RecordingCommand] = []
        if st.segment is not None and (not self._wants(st)
                                       or st.agent_of_segment != st.agent_id):
            commands.append(StopRecording(call_id=st.call_id, name=st.segment))
            st.segment = None
        if st.segment is None and self._wants(st) and not st.blocked:
            assert st.bridge_id is not None
            self._seq += 1
            safe = _UNSAFE.sub("_", st.call_id)[:60]
            st.segment = f"{NAME_PREFIX}{safe}-{self.token}-{self._seq}"
            st.agent_of_segment = st.agent_id
            commands.append(StartRecording(call_id=st.call_id, bridge_id=st.bridge_id,
                                           name=st.segment, group_id=st.group_id,
                                           agent_id=st.agent_id))
        if not st.connected and st.segment is None and st.bridge_id is None:
            self.calls.pop(st.call_id, None)
        return commands

    def _wants(self, st: _CallRec) -> bool:
        if not st.connected or st.bridge_id is None or st.agent_id is None:
            return False
        mode = self.mode_of(st.group_id)
        return mode == MODE_ALL or (mode == MODE_ON_DEMAND and st.wanted)

    def _call(self, call_id: str) -> _CallRec:
        st = self.calls.get(call_id)
        if st is None:
            st = self.calls[call_id] = _CallRec(call_id)
        return st

    def toggle(self, agent_id: int, on: bool | None = None
               ) -> tuple[Toggled, list[RecordingCommand]]:
        """The agent pressed Record (``on`` None: the other way round from now)."""
        st = next((c for c in self.calls.values()
                   if c.agent_id == agent_id and c.connected), None)
        if st is None:
            return Toggled(False, code="no_call", message="you are not talking on a call"), []
        mode = self.mode_of(st.group_id)
        if mode == MODE_OFF:
            return Toggled(False, code="recording_off",
                           message="this group does not record calls",
                           call_id=st.call_id), []
        if mode == MODE_ALL:
            return Toggled(False, recording=st.segment is not None, code="recording_all",
                           message="every call of this group is recorded",
                           call_id=st.call_id), []
        st.wanted = (not st.wanted) if on is None else on
        st.blocked = False
        commands = self._converge(st)
        return Toggled(True, recording=st.segment is not None, call_id=st.call_id), commands

    def segment_ended(self, name: str, failed: bool) -> _CallRec | None:
        """Asterisk ended the segment by itself (the bridge went, or it failed)."""
        for st in self.calls.values():
            if st.segment == name:
                st.segment = None
                st.blocked = failed or st.blocked
                if not failed and self._wants(st):
                    st.blocked = True  # ended under us while wanted: not in a loop
                return st
        return None

    def adopt(self, call_id: str, name: str, bridge_id: str, group_id: int | None,
              agent_id: int | None) -> None:
        """A segment still recording, left by a previous process: this call's, again."""
        st = self._call(call_id)
        st.bridge_id, st.connected = bridge_id, True
        st.group_id = st.group_id if st.group_id is not None else group_id
        st.agent_id = st.agent_id if st.agent_id is not None else agent_id
        st.segment, st.agent_of_segment = name, st.agent_id
        if self.mode_of(st.group_id) == MODE_ON_DEMAND:
            st.wanted = True

    def recording_now(self, agent_id: int) -> bool:
        return any(c.agent_id == agent_id and c.segment for c in self.calls.values())

    def knows(self, name: str) -> bool:
        return any(c.segment == name for c in self.calls.values())


# -- the I/O ----------------------------------------------------------------------------------


class RecordingManager:
    def __init__(
        self,
        client: object,
        writer: rec.RecordingWriter,
        hub: Hub | None,
        recordings_dir: str | Path,
        *,
        call_of: Callable[[str | None], str | None] = lambda _b: None,
        clock: Callable[[], float] = time.time,
        policy: RecordingPolicy | None = None,
    ) -> None:
        self._ari = client
        self.writer = writer
        self._hub = hub
        self._dir = Path(recordings_dir)
        self._call_of = call_of
        self._clock = clock
        self.policy = policy or RecordingPolicy()
        self._meta: dict[str, tuple[str, int | None, int | None]] = {}  # name -> call, grp, agt
        self._settling: set[asyncio.Task[None]] = set()
        self.failed = 0

    # -- from the controller ---------------------------------------------------------------

    def set_modes(self, modes: dict[int, str]) -> None:
        self.policy.modes = dict(modes)

    def observe(self, outputs: list[o.Output]) -> list[RecordingCommand]:
        try:
            return self.policy.observe(outputs)
        except Exception:  # recording must never stop the call path
            log.exception("recording policy failed on %d output(s)", len(outputs))
            return []

    def toggle(self, agent_id: int, on: bool | None = None
               ) -> tuple[Toggled, list[RecordingCommand]]:
        return self.policy.toggle(agent_id, on)

    async def execute(self, command: RecordingCommand) -> None:
        try:
            if isinstance(command, StartRecording):
                await self._start(command)
            else:
                await self._stop(command)
        except Exception:
            log.exception("recording command %r failed", command)

    async def _start(self, cmd: StartRecording) -> None:
        now = self._clock()
        path = rec.file_path(self._dir, cmd.name)
        self._meta[cmd.name] = (cmd.call_id, cmd.group_id, cmd.agent_id)
        self.writer.put(rec.SegmentStarted(cmd.name, cmd.call_id, cmd.group_id, cmd.agent_id,
                                            str(path), from_timestamp(now)))
        try:
            await self._ari.bridges.record(  # type: ignore[attr-defined]
                cmd.bridge_id, name=cmd.name, format="wav", if_exists="fail")
        except AriError as exc:
            self._failed(cmd.name, f"Asterisk refused to record: {exc}")
            return
        self._push(cmd.agent_id, cmd.call_id, recording=self.policy.knows(cmd.name))

    async def _stop(self, cmd: StopRecording) -> None:
        try:
            await self._ari.recordings.stop(cmd.name)  # type: ignore[attr-defined]
        except AriError as exc:
            if exc.status != 404:
                log.warning("recording %s: stop refused (%s)", cmd.name, exc)
            # 404: already over (the bridge went first); its event or the sweep finishes it
        meta = self._meta.get(cmd.name)
        if meta is not None:
            self._push(meta[2], meta[0], recording=self.policy.recording_now(meta[2] or 0))
            task = asyncio.get_running_loop().create_task(self._settle_if_no_event(cmd.name))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)

    async def _settle_if_no_event(self, name: str) -> None:
        """A stopped segment whose RecordingFinished has not come: finished from its file once
        Asterisk says it no longer records it (a late event then changes nothing: the row is
        written once)."""
        await asyncio.sleep(END_EVENT_GRACE_S)
        if name not in self._meta:
            return  # the event came
        known, live = await self._live(name)
        if not known or (live is not None and live.state in LIVE_STATES):
            return  # still recording, or Asterisk cannot say: its event or the sweep
        if name in self._meta:
            log.info("recording %s: no end event from Asterisk; finished from its file", name)
            self._finish_from_file(name, rec.file_path(self._dir, name))

    # -- Asterisk's events -----------------------------------------------------------------

    def on_event(self, event: ev.Event) -> bool:
        """Recording events are this module's (True: consumed)."""
        if isinstance(event, ev.RecordingFinished):
            self._finished(event.recording.name, event.recording.duration)
            return True
        if isinstance(event, ev.RecordingFailed):
            self._failed(event.recording.name,
                         f"recording failed: {event.recording.cause or 'no cause given'}")
            return True
        return isinstance(event, ev.RecordingStarted)

    def _finished(self, name: str, duration: int | None) -> None:
        if not name.startswith(NAME_PREFIX):
            return
        size: int | None = None
        try:
            size = rec.file_path(self._dir, name).stat().st_size
        except (OSError, ValueError):
            pass  # Asterisk on another machine: the size is unknown here
        if duration is None and size is not None:
            seconds: float | None = rec.wav_seconds(size)
        else:
            seconds = float(duration) if duration is not None else None
        self.writer.put(rec.SegmentEnded(name, from_timestamp(self._clock()),
                                          RecordingStatus.OK, duration_s=seconds,
                                          size_bytes=size))
        st = self.policy.segment_ended(name, failed=False)
        meta = self._meta.pop(name, None)
        if st is not None or meta is not None:
            agent = st.agent_id if st is not None else (meta[2] if meta else None)
            call = st.call_id if st is not None else (meta[0] if meta else "")
            self._push(agent, call, recording=self.policy.recording_now(agent or 0))

    def _failed(self, name: str, error: str) -> None:
        if not name.startswith(NAME_PREFIX):
            return
        self.failed += 1
        log.error("call recording %s: %s (the call goes on)", name, error)
        self.writer.put(rec.SegmentEnded(name, from_timestamp(self._clock()),
                                          RecordingStatus.FAILED, error=error))
        st = self.policy.segment_ended(name, failed=True)
        meta = self._meta.pop(name, None)
        agent = st.agent_id if st is not None else (meta[2] if meta else None)
        call = st.call_id if st is not None else (meta[0] if meta else "")
        self._push(agent, call, recording=False, error=error)

    def _push(self, agent_id: int | None, call_id: str, *, recording: bool,
              error: str = "") -> None:
        if self._hub is None or agent_id is None:
            return
        if self._hub.wants([SUPERVISION, agent_topic(agent_id)]):
            self._hub.publish("recording.changed", {
                "call_id": call_id, "agent_id": agent_id, "recording": recording,
                "error": error, "at": self._clock()}, [SUPERVISION, agent_topic(agent_id)])

    async def stop(self) -> None:
        """Stop settling stopped segments (an open row is the next process's sweep's) and
        let the writer finish."""
        for task in self._settling:
            task.cancel()
        await asyncio.gather(*self._settling, return_exceptions=True)
        await self.writer.stop()

    # -- converging with Asterisk and the records ---------------------------------------------

    async def sweep(self) -> int:
        """Every segment the records say is recording: adopted if Asterisk still records it,
        finished (from its file) if not. Returns how many rows were settled or adopted."""
        try:
            await self.writer.idle()
            rows = await rec.open_segments()
        except Exception as exc:  # the database away: the next sweep
            log.warning("recordings sweep skipped: %s", exc)
            return 0
        settled = 0
        for row in rows:
            if self.policy.knows(row.name):
                continue
            known, live = await self._live(row.name)
            if not known:
                continue  # Asterisk unreachable: ask again next time
            ours = row.name in self._meta  # started here, its end event still awaited
            if live is not None and live.state in LIVE_STATES:
                if ours:
                    continue  # being stopped: its RecordingFinished finishes the row
                bridge_id = target_id(live.target_uri, "bridge") if live.target_uri else None
                call_id = self._call_of(bridge_id) if bridge_id else None
                if bridge_id and call_id:
                    self.policy.adopt(call_id, row.name, bridge_id, row.group_id, row.agent_id)
                    self._meta[row.name] = (call_id, row.group_id, row.agent_id)
                    log.info("recording %s of call %s adopted", row.name, call_id)
                else:  # its call is gone from this process: stop it, the event finishes it
                    try:
                        await self._ari.recordings.stop(row.name)  # type: ignore[attr-defined]
                    except AriError:
                        pass
                settled += 1
                continue
            self._finish_from_file(row.name,
                                   Path(row.path) if row.path else rec.file_path(self._dir,
                                                                                 row.name))
            settled += 1
        return settled

    async def _live(self, name: str) -> tuple[bool, LiveRecording | None]:
        """What Asterisk records under ``name`` (None: nothing, it said 404); False first when
        it could not be asked."""
        try:
            return True, await self._ari.recordings.get_live(name)  # type: ignore[attr-defined]
        except AriError as exc:
            if exc.status == 404:
                return True, None
        except Exception as exc:  # the sweep and the settling task never raise
            log.warning("recording %s: cannot ask Asterisk whether it still records: %s",
                        name, exc)
        return False, None

    def _finish_from_file(self, name: str, path: Path) -> None:
        """End a segment Asterisk no longer records, without its event: its file says how
        long it is (or that there is none)."""
        try:
            size: int | None = path.stat().st_size
        except OSError:
            size = None
        if size is not None and size > rec.WAV_HEADER_BYTES:
            fact = rec.SegmentEnded(name, from_timestamp(self._clock()),
                                    RecordingStatus.OK, duration_s=rec.wav_seconds(size),
                                    size_bytes=size)
        else:
            fact = rec.SegmentEnded(name, from_timestamp(self._clock()),
                                    RecordingStatus.FAILED,
                                    error="no file: the recording ended without its end "
                                          "event reaching this app")
        self.writer.put(fact)
        self._meta.pop(name, None)
