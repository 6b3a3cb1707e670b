"""B9: call recordings — the rows of recorded segments, who may hear which, and retention.

Asterisk writes the files (a bridge recording per segment, ``<name>.wav`` in
PROWEBCRM_RECORDINGS_DIR); the ACD writes one row per segment through ``RecordingWriter``,
beside the call path; the web lists them on a client's record and in the call history and
streams them to those allowed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crm.clock import utcnow
from crm.models import Call, Recording, RecordingStatus, Role, User

log = logging.getLogger("prowebcrm.recordings")

NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
WAV_HEADER_BYTES = 44
WAV_BYTES_PER_S = 16000  # Asterisk's wav: 8 kHz, 16-bit, mono


def file_path(recordings_dir: str | Path, name: str) -> Path:
    """Where Asterisk writes the recording ``name`` (format wav)."""
    if not NAME_PATTERN.fullmatch(name) or name.startswith("."):
        raise ValueError(f"not a recording name: {name!r}")
    return Path(recordings_dir) / f"{name}.wav"


def wav_seconds(size: int) -> float:
    return round(max(0, size - WAV_HEADER_BYTES) / WAV_BYTES_PER_S, 2)


# -- writing (the ACD's side) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentStarted:
    name: str
    call_ref: str
    group_id: int | None
    agent_id: int | None
    path: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SegmentEnded:
    name: str
    at: datetime
    status: RecordingStatus
    error: str = ""
    duration_s: float | None = None
    size_bytes: int | None = None


Fact = SegmentStarted | SegmentEnded


async def apply(fact: Fact) -> None:
    """Write one fact; idempotent (a retry after a lost reply writes nothing twice)."""
    if isinstance(fact, SegmentStarted):
        if await Recording.filter(name=fact.name).exists():
            return
        await Recording.create(name=fact.name, call_ref=fact.call_ref, group_id=fact.group_id,
                               agent_id=fact.agent_id, path=fact.path, started_at=fact.at)
        return
    updates: dict[str, Any] = {"ended_at": fact.at, "status": fact.status,
                               "error": fact.error[:255]}
    if fact.duration_s is not None:
        updates["duration_s"] = fact.duration_s
    if fact.size_bytes is not None:
        updates["size_bytes"] = fact.size_bytes
    # Only a segment not ended yet: a late duplicate (a sweep, then Asterisk's event)
    # must not turn an ok row into a failed one.
    await Recording.filter(name=fact.name, status=RecordingStatus.RECORDING).update(**updates)


class RecordingWriter:
    """Writes the facts in order in its own task; while the database is away they wait and
    are retried, so a slow or absent database never delays a call."""

    RETRY_S = (0.5, 1.0, 2.0, 5.0)

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Fact] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="recording-writer")

    def put(self, fact: Fact) -> None:
        self._queue.put_nowait(fact)

    def pending(self) -> int:
        return self._queue.qsize()

    async def idle(self) -> None:
        await self._queue.join()

    async def stop(self, timeout: float = 5.0) -> None:
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
        except TimeoutError:
            log.error("recordings: %d row(s) not written at stop (database away)",
                      self._queue.qsize())
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        while True:
            fact = await self._queue.get()
            attempt = 0
            while True:
                try:
                    await apply(fact)
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.failures += 1
                    delay = self.RETRY_S[min(attempt, len(self.RETRY_S) - 1)]
                    if attempt == 0:
                        log.error("recording row %s not written (%s): retrying", fact.name, exc)
                    attempt += 1
                    await asyncio.sleep(delay)
            self._queue.task_done()


async def open_segments() -> list[Recording]:
    """Rows still "recording": after a restart, the sweep asks Asterisk about each."""
    return await Recording.filter(status=RecordingStatus.RECORDING).order_by("id")


# -- reading (the web's side) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordingView:
    id: int
    call_ref: str
    call_id: int | None
    agent_id: int | None
    group_id: int | None
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    size_bytes: int | None
    status: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "call_ref": self.call_ref, "call_id": self.call_id,
                "agent_id": self.agent_id, "group_id": self.group_id,
                "started_at": self.started_at.isoformat(),
                "ended_at": self.ended_at.isoformat() if self.ended_at else None,
                "duration_s": self.duration_s, "size_bytes": self.size_bytes,
                "status": self.status, "error": self.error,
                "url": f"/recordings/{self.id}" if self.status == "ok" else None}


def _view(row: Recording, call_ids: dict[str, int]) -> RecordingView:
    return RecordingView(row.id, row.call_ref, call_ids.get(row.call_ref), row.agent_id,
                         row.group_id, row.started_at, row.ended_at, row.duration_s,
                         row.size_bytes, row.status.value, row.error)


def may_hear(user: User, row: Recording, call_agent_ids: Iterable[int | None] = ()) -> bool:
    """Supervisors and administrators hear every recording; an agent those of their calls."""
    if Role(user.role).at_least(Role.SUPERVISOR):
        return True
    return row.agent_id == user.id or user.id in set(call_agent_ids)


async def get_for(user: User, recording_id: int) -> Recording | None:
    """The row if it exists and ``user`` may hear it (else None: a 404 either way, so an
    agent cannot learn which recordings exist)."""
    row = await Recording.get_or_none(id=recording_id)
    if row is None:
        return None
    agents = await Call.filter(ref=row.call_ref).values_list("agent_id", flat=True)
    return row if may_hear(user, row, agents) else None  # type: ignore[arg-type]


async def for_calls(user: User, call_refs: Iterable[str]) -> dict[str, list[RecordingView]]:
    """The segments of these calls (journal keys) that ``user`` may hear, oldest first."""
    refs = sorted(set(call_refs))
    if not refs:
        return {}
    rows = await Recording.filter(call_ref__in=refs).order_by("started_at", "id")
    calls = await Call.filter(ref__in=refs).values("id", "ref", "agent_id")
    call_ids = {c["ref"]: c["id"] for c in calls}
    agents: dict[str, list[int | None]] = {}
    for c in calls:
        agents.setdefault(c["ref"], []).append(c["agent_id"])
    out: dict[str, list[RecordingView]] = {}
    for row in rows:
        if may_hear(user, row, agents.get(row.call_ref, ())):
            out.setdefault(row.call_ref, []).append(_view(row, call_ids))
    return out


async def for_call_ids(user: User, call_ids: Iterable[int]) -> dict[int, list[RecordingView]]:
    """The same keyed by the calls' row ids (pages list call rows)."""
    ids = sorted(set(call_ids))
    if not ids:
        return {}
    refs = dict(await Call.filter(id__in=ids).values_list("ref", "id"))
    by_ref = await for_calls(user, refs)
    return {refs[ref]: views for ref, views in by_ref.items()}


# -- retention ------------------------------------------------------------------------------


async def purge(recordings_dir: str | Path, retention_days: int,
                now: datetime | None = None) -> int:
    """Delete the files and rows of recordings older than ``retention_days`` (0: keep all);
    returns how many segments went."""
    if retention_days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    rows = await Recording.filter(started_at__lt=cutoff).exclude(
        status=RecordingStatus.RECORDING)
    count = 0
    for row in rows:
        try:
            path = file_path(recordings_dir, row.name)
            path.unlink(missing_ok=True)
        except ValueError:
            pass
        except OSError as exc:
            log.error("recording %s not purged: %s", row.name, exc)
            continue
        await Recording.filter(id=row.id).delete()
        count += 1
    if count:
        log.info("purged %d recording(s) older than %d day(s)", count, retention_days)
    return count


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """A recorded segment with what the supervisor's call history shows of its call."""

    recording: RecordingView
    caller_number: str
    agent_name: str
    group_name: str
    client_id: int | None


async def history(limit: int = 100, offset: int = 0, agent_id: int | None = None
                  ) -> tuple[list[HistoryRow], int]:
    """The recordings, newest first (the supervisor's call history, B9)."""
    from crm.models import Group

    query = Recording.all()
    if agent_id is not None:
        query = query.filter(agent_id=agent_id)
    total = await query.count()
    rows = await query.order_by("-started_at", "-id").offset(max(0, offset)).limit(
        max(1, min(limit, 500)))
    refs = sorted({r.call_ref for r in rows})
    calls = {c["ref"]: c for c in await Call.filter(ref__in=refs).values(
        "id", "ref", "caller_number", "client_id")} if refs else {}
    users = dict(await User.filter(id__in={r.agent_id for r in rows if r.agent_id})
                 .values_list("id", "name"))
    groups = dict(await Group.filter(id__in={r.group_id for r in rows if r.group_id})
                  .values_list("id", "name"))
    call_ids = {ref: c["id"] for ref, c in calls.items()}
    out = []
    for row in rows:
        call = calls.get(row.call_ref, {})
        out.append(HistoryRow(_view(row, call_ids), str(call.get("caller_number") or ""),
                              str(users.get(row.agent_id, "")), str(groups.get(row.group_id, "")),
                              call.get("client_id")))
    return out, total
