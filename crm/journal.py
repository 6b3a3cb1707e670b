"""The call journal: calls, offers and agent states written as the ACD reports them.

The ACD must never wait on the database to bridge a caller, so each journal method only
turns what it is told into a *fact* (crm.journal_facts: plain, frozen, serializable) and
queues it; one writer task applies the facts in the order they were reported, in batches,
one transaction per batch (crm.journal_store).

Cheap on the event loop it shares with call handling:
- the writer waits BATCH_DELAY_S before each batch, so the calls that caused the facts get
  their ARI requests out first, and starts batches at most every BATCH_INTERVAL_S: under
  load a batch holds many calls, and a commit (SQLite: writing the pages to its WAL) costs
  about the same for one call as for fifty;
- it plans the whole batch in memory (every change a batch makes to one row becomes one
  write of that row) and writes it with a few statements for the batch, not per fact;
- what later facts need of a row (its id, its queue and answer times) is kept in memory while
  the call lasts, so no write re-reads a row; a call or agent this process did not start
  (e.g. before a restart) is loaded from the database the first time a fact names it, so
  records continue across restarts;
- the statistics rollup of an hour is recomputed at most every ROLLUP_REFRESH_S for however
  many calls ended in it; agent states closed feed the agent rollups in the batch's own
  transaction (crm.stats.rollups).

Database outages lose nothing: when a batch cannot be written because the database is away
(crm.db.is_unavailable; a fact the database refuses is logged and skipped), the
facts stay queued in memory and are appended to this process's spool file (JSON lines,
fsync'd, bounded by ``spool_max_mb``), the batch is retried with capped backoff, and once it
goes through the queue drains in order and the spool is removed. A spool left by a process
that died during an outage is replayed before anything else at the next start. Each batch
also records the last fact it holds per journal process (``journal_progress``), so a replay
(after a crash, or a commit whose answer was lost) skips what the database already has; and
every row has a unique ref (calls, offers, agent states), so none can be written twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crm import journal_store as store
from crm.call_segments import segment_ref
from crm.db import is_unavailable
from crm.journal_facts import (
    AgentStateChanged,
    CallAnswered,
    CallClient,
    CallClosed,
    CallEnded,
    CallHold,
    CallQueued,
    CallStarted,
    CallTransferred,
    Fact,
    OfferEnded,
    OfferRinging,
    OfferStarted,
    WrapupEnded,
)
from crm.journal_spool import Orphan, Spool, adopt_orphans
from crm.journal_store import CallRow, OfferRow, Plan, StateRow
from crm.models import AgentStateName, CallOutcome, Direction, OfferResult
from crm.stats import rollups

log = logging.getLogger(__name__)

BATCH_DELAY_S = 0.025
BATCH_INTERVAL_S = 0.25
MAX_BATCH = 500
ROLLUP_REFRESH_S = 5.0
ROLLUP_ATTEMPTS = 5  # per hour, before giving up and saying how to rebuild
RETRY_MIN_S = 0.2
RETRY_MAX_S = 5.0
DEFAULT_SPOOL_MAX_MB = 256.0
# Facts waiting in memory (all of them, spooled or not) while the database is away; past
# this, new facts are dropped, and the log says so.
MAX_MEMORY_FACTS = 2_000_000
PROGRESS_KEPT = timedelta(days=30)

Entry = tuple[str, int, Fact]  # (epoch, seq, fact)

_ANSWERED = CallOutcome.ANSWERED.value
_TRANSFERRED = CallOutcome.TRANSFERRED.value
_ABANDONED = CallOutcome.ABANDONED.value
_LOGGED_OUT = AgentStateName.LOGGED_OUT.value


def _ts(at: datetime | float) -> float:
    return at if isinstance(at, float) else at.timestamp()


def _duration(end: float, start: float) -> float:
    # epoch floats carry ~0.2 µs of noise; the database keeps microseconds
    return max(0.0, round(end - start, 6))


def database_key(database_url: str) -> str:
    """What a spool records of the database it was written for (not the URL: it may hold a
    password), so it is never replayed into another one."""
    return hashlib.sha256(database_url.encode()).hexdigest()[:16]


class CallJournal:
    def __init__(
        self,
        tz: ZoneInfo,
        spool_dir: Path | None = None,
        *,
        spool_max_mb: float = DEFAULT_SPOOL_MAX_MB,
        database_key: str = "",
    ) -> None:
        """``spool_dir``: where facts wait on disk while the database is away, and where a
        previous process's are found; by default a private temporary directory (no
        crash safety across processes, no cross-talk between journals)."""
        self._tz = tz
        self._splitter = rollups.HourSplitter(tz)
        self._epoch = f"{int(time.time()):x}{secrets.token_hex(4)}"
        self._seq = 0
        self._queue: deque[Entry] = deque()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._hurry_event = asyncio.Event()  # stop() or flush() waiting: no batching delay
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        # ACD call ref -> its rows, oldest first (a transfer adds a segment: call_segments)
        self._calls: dict[str, list[CallRow]] = {}
        self._unknown: set[str] = set()  # refs with no row in the database (said once)
        self._must_load: set[str] = set()
        self._open_state: dict[int, StateRow | None] = {}
        self._stale_states: dict[int, list[tuple[StateRow, float]]] = {}
        self._dirty_hours: set[tuple[str, int]] = set()
        self._refresh_failures: dict[tuple[str, int], int] = {}
        self._last_refresh = 0.0
        self._spool_dir = spool_dir
        self._own_dir = spool_dir is None
        self._spool_max = int(spool_max_mb * 1024 * 1024)
        self._database_key = database_key
        self._spool: Spool | None = None
        self._orphans: list[Orphan] = []
        self._applied: dict[str, int] = {}  # epoch -> last seq done (written or skipped)
        self._recheck = False
        self._outage_since: float | None = None
        self._said_full = False
        self._planners: dict[type[Any], Callable[[Plan, str, int, Any], None]] = {
            CallStarted: self._plan_call_started,
            CallQueued: self._plan_call_queued,
            CallClient: self._plan_call_client,
            OfferStarted: self._plan_offer_started,
            OfferRinging: self._plan_offer_ringing,
            OfferEnded: self._plan_offer_ended,
            CallAnswered: self._plan_call_answered,
            CallTransferred: self._plan_call_transferred,
            CallHold: self._plan_call_hold,
            CallEnded: self._plan_call_ended,
            CallClosed: self._plan_call_closed,
            WrapupEnded: self._plan_wrapup_ended,
            AgentStateChanged: self._plan_agent_state,
        }
        self.failures = 0  # facts the database refused (logged, skipped)
        self.writes = 0  # facts written
        self.dropped = 0  # facts lost because memory and spool were both full
        self.spooled = 0  # facts appended to the spool, ever

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the writer; a spool left by a process that died first goes to the head of
        the queue, to be written before anything this process reports."""
        if self._task is not None:
            return
        self._stopping = False
        self._stop_event.clear()
        self._hurry_event.clear()
        if self._spool_dir is not None:
            self._orphans = adopt_orphans(self._spool_dir, self._database_key, self._epoch)
            backlog = [(o.epoch, seq, fact) for o in self._orphans for seq, fact in o.facts]
            if backlog:
                self._queue.extendleft(reversed(backlog))
                self._recheck = True
                self._idle.clear()
                log.warning("call journal: replaying %d fact(s) left in %d spool(s) by a "
                            "previous process", len(backlog), len(self._orphans))
            for orphan in self._orphans:
                if not orphan.facts:
                    orphan.discard()
            self._orphans = [o for o in self._orphans if o.facts]
        self._task = asyncio.create_task(self._run(), name="call-journal")

    async def stop(self, *, close_open: bool = False) -> None:
        """Write everything already reported (rollups included), then stop. If the
        database is away, what is left waits in the spool for the next start.

        Records are never closed at stop (``close_open`` is refused): calls and agents go on
        without the process and the next one continues their rows."""
        if close_open:
            raise ValueError("closing open calls and agent states at stop was removed: "
                             "a restarted process continues them")
        if self._task is None:
            return
        self._stopping = True
        self._stop_event.set()
        self._hurry_event.set()
        self._wake.set()
        await self._task  # in the writer's own task: see _run
        self._task = None

    async def flush(self) -> None:
        """Everything reported so far is in the database, statistics rollups included."""
        self._hurry_event.set()
        try:
            await self._idle.wait()
        finally:
            if not self._stopping:
                self._hurry_event.clear()
        await self._refresh_rollups()

    @property
    def pending(self) -> int:
        """Facts reported and not written yet."""
        return len(self._queue)

    @property
    def database_available(self) -> bool:
        return self._outage_since is None

    @property
    def spool_path(self) -> Path | None:
        return self._spool.path if self._spool is not None and self._spool.active else None

    # -- facts -----------------------------------------------------------------------------

    def call_started(
        self,
        ref: str,
        *,
        at: datetime | float,
        direction: Direction | str = Direction.INBOUND,
        caller_number: str = "",
        caller_name: str = "",
        called_number: str = "",
        group_id: int | None = None,
        client_id: int | None = None,
        agent_id: int | None = None,
        transferred_from_ref: str | None = None,
    ) -> None:
        self._add(CallStarted(ref, _ts(at), str(Direction(direction)), caller_number[:64],
                              caller_name[:128], called_number[:64], group_id, client_id,
                              agent_id, transferred_from_ref))

    def call_transferred(self, ref: str, at: datetime | float) -> None:
        """The call left its agent (or queue) for another agent, a group or an outside
        number: its row ends as transferred (talk up to now, so the agent's wrap-up and
        disposition attach to it) and a new row, pointing back to it, follows the call
        from here."""
        self._add(CallTransferred(ref, _ts(at)))

    def call_queued(self, ref: str, at: datetime | float, group_id: int | None = None) -> None:
        self._add(CallQueued(ref, _ts(at), group_id))

    def call_client(self, ref: str, client_id: int | None) -> None:
        self._add(CallClient(ref, client_id))

    def offer_started(
        self, offer_ref: str, call_ref: str, agent_id: int, at: datetime | float,
        forced: bool = False,
    ) -> None:
        self._add(OfferStarted(offer_ref, call_ref, agent_id, _ts(at), bool(forced)))

    def offer_ringing(self, offer_ref: str, at: datetime | float) -> None:
        self._add(OfferRinging(offer_ref, _ts(at)))

    def offer_ended(self, offer_ref: str, result: OfferResult | str,
                    at: datetime | float) -> None:
        self._add(OfferEnded(offer_ref, str(OfferResult(result)), _ts(at)))

    def call_answered(self, ref: str, agent_id: int | None, at: datetime | float) -> None:
        """An agent took the call (inbound), or the client picked up (outbound: agent None,
        the one who placed it stays)."""
        self._add(CallAnswered(ref, agent_id, _ts(at)))

    def call_ended(
        self,
        ref: str,
        outcome: CallOutcome | str,
        at: datetime | float,
        *,
        unanswered_outcome: CallOutcome | str | None = None,
    ) -> None:
        """The call ended. ``outcome`` is the ACD's, for the whole call; when it says
        answered but the call's current row was never answered (an abandon after a
        transfer), that row ends with ``unanswered_outcome`` (default: abandoned)."""
        unanswered = str(CallOutcome(unanswered_outcome)) if unanswered_outcome else None
        self._add(CallEnded(ref, str(CallOutcome(outcome)), _ts(at), unanswered))

    def call_hold(self, ref: str, seconds: float) -> None:
        """The caller was on hold ``seconds`` (a period now over) with its current agent:
        the call's current row counts them as hold, not talk."""
        self._add(CallHold(ref, max(0.0, float(seconds))))

    def close_call(self, ref: str, outcome: CallOutcome | str, at: datetime | float) -> None:
        """A call that ended while no process was watching it (e.g. during a restart) ends
        now with its real end time ``at``: every row of it still open, and every offer
        still ringing (result cancelled)."""
        self._add(CallClosed(ref, str(CallOutcome(outcome)), _ts(at)))

    def wrapup_ended(self, ref: str, at: datetime | float, agent_id: int | None = None) -> None:
        """The agent who had the call (the transferring one, for an earlier segment) is
        done with its wrap-up."""
        self._add(WrapupEnded(ref, _ts(at), agent_id))

    def agent_state(
        self,
        agent_id: int,
        state: AgentStateName | str,
        at: datetime | float,
        *,
        reason: str = "",
        extension: str = "",
        call_ref: str = "",
    ) -> None:
        self._add(AgentStateChanged(agent_id, str(AgentStateName(state)), _ts(at), reason[:64],
                                    extension[:32], call_ref[:64]))

    def _add(self, fact: Fact) -> None:
        if len(self._queue) >= MAX_MEMORY_FACTS:
            self.dropped += 1
            if self.dropped == 1:
                log.critical("call journal: %d facts waiting for the database and the spool "
                             "is full: new facts are DROPPED until the database is back",
                             len(self._queue))
            return
        self._seq += 1
        self._queue.append((self._epoch, self._seq, fact))
        self._idle.clear()
        self._wake.set()

    # -- the writer --------------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = RETRY_MIN_S
        popped_own = 0  # the last own seq out of the queue
        last_batch = 0.0
        while True:
            if not self._queue:
                self._idle.set()
                if self._stopping:
                    break
                await self._wait_for_facts()
                continue
            try:
                if not self._hurry and self._outage_since is None and (
                        len(self._queue) < MAX_BATCH):
                    delay = max(BATCH_DELAY_S, last_batch + BATCH_INTERVAL_S - time.monotonic())
                    await self._pause(delay, self._hurry_event)
                last_batch = time.monotonic()
                batch = list(islice(self._queue, MAX_BATCH))
                done = await self._write_head(batch)
                for _ in range(done):
                    epoch, seq, _ = self._queue.popleft()
                    if epoch == self._epoch:
                        popped_own = seq
                if done:
                    await self._release_spools()
                if done < len(batch):  # the database is away
                    await self._spool_pending(popped_own)
                    if self._stopping:
                        break
                    await self._pause(backoff)
                    backoff = min(backoff * 2, RETRY_MAX_S)
                    continue
                if self._outage_since is not None:
                    log.warning("call journal: database back after %.1f s; %d fact(s) to go",
                                time.monotonic() - self._outage_since, len(self._queue))
                    self._outage_since = None
                backoff = RETRY_MIN_S
                if time.monotonic() - self._last_refresh >= ROLLUP_REFRESH_S:
                    await self._refresh_rollups()
            except Exception:  # a bug here must not stop every later write
                log.exception("call journal writer failed; going on")
                await self._pause(RETRY_MAX_S)
        await self._finish()

    async def _finish(self) -> None:
        """The writer's last act, in its own task: it runs in the context that opened the
        database, which the caller of stop() may not (tortoise keeps it in a context
        variable)."""
        if not self._queue and self._outage_since is None:
            await self._refresh_rollups()
            await self._release_spools()
            try:
                await store.forget_progress([self._epoch])
            except Exception as exc:  # nothing is lost: the row is cleaned up later
                log.debug("call journal: progress row left: %s", exc)
        if self._dirty_hours:  # no next refresh in this process; the next one cannot know
            days = sorted(day for day, _ in self._dirty_hours)
            log.error("call journal stopped before recomputing the rollups of %d hour(s): "
                      "reports of %s to %s are wrong until `prowebcrm stats rebuild --from %s "
                      "--to %s`", len(self._dirty_hours), days[0], days[-1], days[0], days[-1])
        for orphan in self._orphans:
            orphan.release()
        if self._queue:
            kept = self._spool.facts if self._spool is not None else 0
            log.error("call journal stopped with %d fact(s) not written: %d in the spool %s "
                      "for the next start%s", len(self._queue), kept,
                      self._spool.path if self._spool is not None else "-",
                      "; the rest are LOST" if len(self._queue) > kept else "")
        if self._spool is not None:
            self._spool.close()
        if self._own_dir and self._spool_dir is not None and self._spool is not None and (
                not self._spool.path.exists()):
            shutil.rmtree(self._spool_dir, ignore_errors=True)
        self._idle.set()

    async def _wait_for_facts(self) -> None:
        """The next fact; meanwhile, hours left dirty by the last batch are refreshed once
        ROLLUP_REFRESH_S has passed, so reports catch up even when the line goes quiet."""
        self._wake.clear()
        while not self._queue and not self._stopping:
            timeout = None
            if self._dirty_hours:
                timeout = max(self._last_refresh + ROLLUP_REFRESH_S - time.monotonic(), 0.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                await self._refresh_rollups()
            self._wake.clear()

    async def _pause(self, seconds: float, event: asyncio.Event | None = None) -> None:
        """Sleep, cut short by stop() (or ``event``)."""
        try:
            await asyncio.wait_for((event or self._stop_event).wait(), seconds)
        except TimeoutError:
            pass

    @property
    def _hurry(self) -> bool:
        return self._hurry_event.is_set()

    async def _write_head(self, batch: list[Entry]) -> int:
        """Write the head of the queue; returns how many of its facts are done (written, or
        refused and skipped): fewer than ``len(batch)`` means the database is away."""
        if self._recheck:
            try:
                skipped = await self._skip_written(batch)
            except Exception as exc:
                if is_unavailable(exc):
                    self._note_outage(exc)
                    return 0
                log.error("call journal: cannot read its progress (%s): replaying as is", exc)
                skipped = 0
                self._recheck = False
            if skipped:
                return skipped
        for _ in range(3):
            try:
                await self._apply(batch)
            except store.RowsExist as exc:
                self._invalidate(batch)
                self._must_load.update(exc.refs)
                log.info("call journal: %s: continuing the rows found", exc)
                continue
            except Exception as exc:
                self._invalidate(batch)
                if is_unavailable(exc):
                    self._recheck = True
                    self._note_outage(exc)
                    return 0
                return await self._write_one_by_one(batch, exc)
            self.writes += len(batch)
            self._mark_done(batch)
            return len(batch)
        return await self._write_one_by_one(batch, RuntimeError("rows kept changing"))

    async def _write_one_by_one(self, batch: list[Entry], exc: Exception) -> int:
        """One bad fact must not lose the others: each alone, the bad one logged, skipped."""
        if len(batch) == 1:
            self.failures += 1
            epoch, seq, fact = batch[0]
            if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError, AssertionError)):
                log.error("call journal: fact %s.%d skipped: %r", epoch, seq, fact,
                          exc_info=exc)
            else:
                log.error("call journal write failed: %s (fact %r skipped)", exc, fact)
            self._mark_done(batch)
            return 1
        log.warning("call journal batch of %d rolled back (%s): retrying one by one",
                    len(batch), exc)
        for i, entry in enumerate(batch):
            if await self._write_head([entry]) == 0:
                return i
        return len(batch)

    async def _skip_written(self, batch: list[Entry]) -> int:
        """After a failure whose commit may have gone through, or when replaying a spool:
        how many facts at the head the database already has (journal_progress)."""
        progress = await store.read_progress({epoch for epoch, _, _ in batch})
        skipped = 0
        for epoch, seq, _ in batch:
            if seq > progress.get(epoch, 0):
                break
            skipped += 1
        if skipped < len(batch):
            self._recheck = False
        if skipped:
            ended = {f.ref for _, _, f in batch[:skipped]
                     if isinstance(f, (CallEnded, CallClosed, WrapupEnded, CallTransferred))}
            if ended:  # their hours' rollups may not have been refreshed
                self._dirty_hours |= await store.hours_of(ended)
            self._mark_done(batch[:skipped])
            log.info("call journal: %d fact(s) were already in the database", skipped)
        return skipped

    def _note_outage(self, exc: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.error("call journal: database unavailable (%s: %s): keeping %d fact(s) in "
                      "memory and in the spool, retrying", type(exc).__name__, exc,
                      len(self._queue))
        else:
            log.debug("call journal: database still unavailable: %s", exc)

    def _mark_done(self, entries: list[Entry]) -> None:
        for epoch, seq, _ in entries:
            self._applied[epoch] = seq

    async def _spool_pending(self, popped_own: int) -> None:
        """Append to the spool every own fact not in it yet (fsync'd), so they outlive the
        process; the orphans' facts are still in their own files."""
        if self._spool is None:
            if self._spool_dir is None:
                self._spool_dir = Path(tempfile.mkdtemp(prefix="prowebcrm-journal-"))
            self._spool = Spool(self._spool_dir, self._epoch, self._database_key,
                                self._spool_max)
        spool = self._spool
        if spool.full:
            return
        start = max(spool.last_seq, popped_own)
        count = min(self._seq - start, len(self._queue))
        if count <= 0:
            return
        pending = [(seq, fact) for _, seq, fact in islice(reversed(self._queue), count)]
        pending.reverse()
        try:
            written = await asyncio.to_thread(spool.append, pending)
        except OSError as exc:
            log.error("call journal: cannot write the spool %s (%s): %d fact(s) only in "
                      "memory", spool.path, exc, len(self._queue))
            return
        self.spooled += written
        if spool.full and not self._said_full:
            self._said_full = True
            log.critical("call journal: spool %s reached its maximum of %.0f MB: facts from "
                         "now on are kept in memory only and LOST if the process stops "
                         "before the database is back", spool.path, self._spool_max / 2**20)

    async def _release_spools(self) -> None:
        """Remove spools whose every fact is in the database."""
        if self._spool is not None and self._spool.active and (
                self._applied.get(self._epoch, 0) >= self._spool.last_seq):
            await asyncio.to_thread(self._spool.discard)
            self._said_full = False
        done = [o for o in self._orphans if self._applied.get(o.epoch, 0) >= o.last_seq]
        for orphan in done:
            await asyncio.to_thread(orphan.discard)
            log.info("call journal: spool %s replayed", orphan.path)
            self._orphans.remove(orphan)
        if done:
            try:
                await store.forget_progress([o.epoch for o in done])
                await store.forget_progress_before(datetime.now(UTC) - PROGRESS_KEPT)
            except Exception as exc:  # left for a later clean-up
                log.debug("call journal: progress rows left: %s", exc)

    async def _refresh_rollups(self) -> None:
        self._last_refresh = time.monotonic()
        hours, self._dirty_hours = self._dirty_hours, set()
        for day, hour in sorted(hours):
            try:
                await rollups.recompute_call_hour(date.fromisoformat(day), hour)
            except Exception as exc:
                if is_unavailable(exc):
                    self._dirty_hours |= hours  # again when the database is back
                    return
                self._refresh_failed(day, hour)
            else:
                self._refresh_failures.pop((day, hour), None)

    def _refresh_failed(self, day: str, hour: int) -> None:
        """An hour whose recompute failed for another reason (a deadlock, a connection the
        driver reports oddly just after an outage) is tried again at the next refresh: dropped,
        its reports would stay wrong until another call ends in it. A failure that persists is
        a bug; the operator is told how to mend the reports."""
        key = (day, hour)
        failures = self._refresh_failures.get(key, 0) + 1
        if failures < ROLLUP_ATTEMPTS:
            self._refresh_failures[key] = failures
            self._dirty_hours.add(key)
            log.warning("stats: recomputing the call rollup of %s %02d:00 failed (attempt %d "
                        "of %d); trying again", day, hour, failures, ROLLUP_ATTEMPTS,
                        exc_info=True)
            return
        self._refresh_failures.pop(key, None)
        log.exception("stats: recomputing the call rollup of %s %02d:00 failed %d times; its "
                      "reports are wrong until `prowebcrm stats rebuild --from %s --to %s`",
                      day, hour, failures, day, day)

    # -- applying a batch --------------------------------------------------------------------

    async def _apply(self, batch: list[Entry]) -> None:
        await self._prefetch(batch)
        plan = Plan()
        for agent_id, stale in self._stale_states.items():
            for row, ended_at in stale:
                self._close_state(plan, row, ended_at)
            log.warning("call journal: agent %s had %d extra open state(s): closed",
                        agent_id, len(stale))
        planners = self._planners
        for epoch, seq, fact in batch:
            planners[type(fact)](plan, epoch, seq, fact)
            plan.progress[epoch] = seq
        await store.write(plan)
        for row in plan.new_states:
            row.written = True
        self._stale_states.clear()
        self._dirty_hours |= plan.dirty_hours
        self._forget_finished(plan.finished)

    async def _prefetch(self, batch: list[Entry]) -> None:
        """Load the rows of calls and agents this process has not seen (started before a
        restart): the batch is then planned in memory only."""
        calls = self._calls
        created: set[str] = set()
        bases: set[str] = set()
        agents: set[int] = set()
        for _, _, fact in batch:
            # isinstance, not type() in a variable: mypy narrows the fact on it
            if isinstance(fact, AgentStateChanged):
                if fact.agent_id not in self._open_state:
                    agents.add(fact.agent_id)
                continue
            if isinstance(fact, OfferRinging | OfferEnded):
                continue
            ref: str | None
            if isinstance(fact, CallStarted):
                if fact.ref in self._must_load:
                    bases.add(fact.ref)
                else:
                    created.add(fact.ref)
                ref = fact.transferred_from_ref
                if not ref:
                    continue
            elif isinstance(fact, OfferStarted):
                ref = fact.call_ref
            else:
                ref = fact.ref
            if ref not in calls and ref not in created and ref not in self._unknown:
                bases.add(ref)
        if bases:
            found = await store.load_calls(bases)
            for base in bases:
                rows = found.get(base)
                if rows:
                    calls[base] = rows
                    self._unknown.discard(base)
                elif base not in created:
                    if len(self._unknown) > 10_000:
                        self._unknown.clear()
                    self._unknown.add(base)
                    log.warning("call journal: no call %s", base)
            self._must_load -= bases
        if agents:
            found_states = await store.load_open_states(agents)
            for agent_id in agents:
                states = found_states.get(agent_id, [])
                self._open_state[agent_id] = states[-1] if states else None
                if len(states) > 1:  # left by a crash: each ended when the next one began
                    self._stale_states[agent_id] = [
                        (row, states[i + 1].started_at) for i, row in enumerate(states[:-1])]

    def _invalidate(self, batch: list[Entry]) -> None:
        """A failed batch may have changed rows in memory: forget them, to be loaded again
        from what the database really holds."""
        for _, _, fact in batch:
            if isinstance(fact, AgentStateChanged):
                self._open_state.pop(fact.agent_id, None)
                self._stale_states.pop(fact.agent_id, None)
            elif isinstance(fact, OfferStarted):
                self._calls.pop(fact.call_ref, None)
            elif not isinstance(fact, OfferRinging | OfferEnded):
                self._calls.pop(fact.ref, None)
                if isinstance(fact, CallStarted) and fact.transferred_from_ref:
                    self._calls.pop(fact.transferred_from_ref, None)
        self._stale_states.clear()

    # -- planning: each fact's effect on the rows, in memory --------------------------------

    def _local(self, ts: float) -> tuple[str, int]:
        day, hour, _ = self._splitter.bucket(ts)
        return day.isoformat(), hour

    def _current(self, ref: str) -> CallRow | None:
        rows = self._calls.get(ref)
        return rows[-1] if rows else None

    @staticmethod
    def _changed(plan: Plan, row: CallRow, *columns: str) -> None:
        if row.pk is not None:  # a row new in this batch is inserted with its final values
            plan.changed_calls.setdefault(row, set()).update(columns)

    def _plan_call_started(self, plan: Plan, epoch: str, seq: int, f: CallStarted) -> None:
        if f.ref in self._calls:
            log.info("call journal: call %s already has a row: start ignored", f.ref)
            return
        day, hour = self._local(f.at)
        row = CallRow(ref=f.ref, pk=None, started_at=f.at, local_date=day, local_hour=hour,
                      direction=f.direction, caller_number=f.caller_number,
                      caller_name=f.caller_name, called_number=f.called_number,
                      group_id=f.group_id, client_id=f.client_id, agent_id=f.agent_id)
        if f.transferred_from_ref:
            parent = self._current(f.transferred_from_ref)
            if parent is not None:
                row.parent_pk = parent.pk
                row.parent_row = parent if parent.pk is None else None
        self._calls[f.ref] = [row]
        self._unknown.discard(f.ref)
        plan.new_calls.append(row)

    def _plan_call_queued(self, plan: Plan, epoch: str, seq: int, f: CallQueued) -> None:
        row = self._current(f.ref)
        if row is None:
            return
        row.entered_queue_at = f.at
        if f.group_id is not None:
            row.group_id = f.group_id
        self._changed(plan, row, "entered_queue_at", "group_id")

    def _plan_call_client(self, plan: Plan, epoch: str, seq: int, f: CallClient) -> None:
        row = self._current(f.ref)
        if row is not None:
            row.client_id = f.client_id
            self._changed(plan, row, "client_id")

    def _plan_offer_started(self, plan: Plan, epoch: str, seq: int, f: OfferStarted) -> None:
        row = self._current(f.call_ref)
        if row is None:
            return
        plan.new_offers[f.offer_ref] = OfferRow(f.offer_ref, row, f.agent_id, f.at, f.forced)
        row.offers_count += 1
        if row.first_offered_at is None:
            row.first_offered_at = f.at
        self._changed(plan, row, "offers_count", "first_offered_at")

    @staticmethod
    def _plan_offer_ringing(plan: Plan, epoch: str, seq: int, f: OfferRinging) -> None:
        offer = plan.new_offers.get(f.offer_ref)
        if offer is not None:
            offer.ringing_at = f.at
        else:
            plan.offer_changes.setdefault(f.offer_ref, {})["ringing_at"] = f.at

    @staticmethod
    def _plan_offer_ended(plan: Plan, epoch: str, seq: int, f: OfferEnded) -> None:
        offer = plan.new_offers.get(f.offer_ref)
        if offer is not None:
            offer.ended_at, offer.result = f.at, f.result
        else:
            changes = plan.offer_changes.setdefault(f.offer_ref, {})
            changes["ended_at"], changes["result"] = f.at, f.result

    def _plan_call_answered(self, plan: Plan, epoch: str, seq: int, f: CallAnswered) -> None:
        row = self._current(f.ref)
        if row is None:
            return
        row.answered_at = f.at
        row.wait_s = _duration(f.at, row.entered_queue_at or row.started_at)
        self._changed(plan, row, "answered_at", "wait_s")
        if f.agent_id is not None:
            row.agent_id = f.agent_id
            self._changed(plan, row, "agent_id")

    def _plan_call_transferred(self, plan: Plan, epoch: str, seq: int,
                               f: CallTransferred) -> None:
        rows = self._calls.get(f.ref)
        row = rows[-1] if rows else None
        if rows is None or row is None or row.ended_at is not None:
            return
        self._end(plan, row, _TRANSFERRED, f.at)
        day, hour = self._local(f.at)
        segment = CallRow(
            ref=segment_ref(f.ref, len(rows)), pk=None, started_at=f.at, local_date=day,
            local_hour=hour, direction=row.direction, caller_number=row.caller_number,
            caller_name=row.caller_name, called_number=row.called_number,
            group_id=row.group_id, client_id=row.client_id,
            parent_pk=row.pk, parent_row=row if row.pk is None else None)
        rows.append(segment)
        plan.new_calls.append(segment)

    def _plan_call_hold(self, plan: Plan, epoch: str, seq: int, f: CallHold) -> None:
        row = self._current(f.ref)
        if row is None or row.ended_at is not None:
            return
        row.hold_s = round(row.hold_s + f.seconds, 6)
        self._changed(plan, row, "hold_s")

    @staticmethod
    def _row_outcome(row: CallRow, outcome: str, unanswered: str | None) -> str:
        if outcome == _ANSWERED and row.answered_at is None:
            return unanswered or _ABANDONED
        return outcome

    def _plan_call_ended(self, plan: Plan, epoch: str, seq: int, f: CallEnded) -> None:
        row = self._current(f.ref)
        if row is None:
            return
        if row.ended_at is not None:
            log.info("call journal: call %s already ended: end ignored", f.ref)
            return
        self._end(plan, row, self._row_outcome(row, f.outcome, f.unanswered), f.at)
        self._forget_when_done(plan, f.ref)

    def _plan_call_closed(self, plan: Plan, epoch: str, seq: int, f: CallClosed) -> None:
        rows = self._calls.get(f.ref)
        if not rows:
            return
        family = set(rows)
        for i, row in enumerate(rows):
            if row.ended_at is not None:
                continue
            last = i == len(rows) - 1
            outcome = self._row_outcome(row, f.outcome, None) if last else _TRANSFERRED
            self._end(plan, row, outcome, f.at)
            if row.pk is not None:
                plan.close_offers.append((row, f.at))
        for offer in plan.new_offers.values():
            if offer.call in family and offer.ended_at is None:
                offer.ended_at, offer.result = f.at, OfferResult.CANCELLED.value
        self._forget_when_done(plan, f.ref)

    def _end(self, plan: Plan, row: CallRow, outcome: str, at: float) -> None:
        row.ended_at = at
        row.outcome = outcome
        if row.answered_at is not None:
            # Talk excludes hold: AHT adds talk, hold and wrap-up (crm.stats.kpi).
            row.talk_s = max(0.0, round(_duration(at, row.answered_at) - row.hold_s, 6))
            self._changed(plan, row, "ended_at", "outcome", "talk_s")
        elif row.entered_queue_at is not None:
            row.wait_s = _duration(at, row.entered_queue_at)
            self._changed(plan, row, "ended_at", "outcome", "wait_s")
        else:
            self._changed(plan, row, "ended_at", "outcome")
        if row.done_before_end and row.answered_at is not None:
            row.wrapup_ended_at, row.wrapup_s = at, 0.0
            self._changed(plan, row, "wrapup_ended_at", "wrapup_s")
        plan.dirty_hours.add((row.local_date, row.local_hour))

    def _plan_wrapup_ended(self, plan: Plan, epoch: str, seq: int, f: WrapupEnded) -> None:
        rows = self._calls.get(f.ref)
        if not rows:
            return
        row = rows[-1]
        if f.agent_id is not None:
            row = next((r for r in reversed(rows) if r.agent_id == f.agent_id), row)
        if row.ended_at is None:
            row.done_before_end = True  # wrapped up (zero) when it ends: see _end
            return
        row.wrapup_ended_at = f.at
        row.wrapup_s = _duration(f.at, row.ended_at)
        self._changed(plan, row, "wrapup_ended_at", "wrapup_s")
        plan.dirty_hours.add((row.local_date, row.local_hour))
        self._forget_when_done(plan, f.ref)

    @staticmethod
    def _forget_when_done(plan: Plan, ref: str) -> None:
        plan.finished.add(ref)

    def _forget_finished(self, refs: set[str]) -> None:
        """Drop what is kept of a call once nothing more will be written to any of its rows:
        every row ended, and every answered one wrapped up by its agent. After the batch is
        written: a later fact of the same batch may still need the rows (a transfer's new
        call pointing at its parent)."""
        for ref in refs:
            rows = self._calls.get(ref, ())
            if all(r.ended_at is not None
                   and (r.answered_at is None or r.wrapup_ended_at is not None) for r in rows):
                self._calls.pop(ref, None)

    def _plan_agent_state(self, plan: Plan, epoch: str, seq: int,
                          f: AgentStateChanged) -> None:
        current = self._open_state.get(f.agent_id)
        if current is not None:
            self._close_state(plan, current, f.at)
        if f.state == _LOGGED_OUT:
            self._open_state[f.agent_id] = None
            return
        day, hour = self._local(f.at)
        row = StateRow(agent_id=f.agent_id, state=f.state, reason=f.reason, started_at=f.at,
                       local_date=day, local_hour=hour, extension=f.extension,
                       call_ref=f.call_ref, ref=f"{epoch}.{seq}")
        plan.new_states.append(row)
        self._open_state[f.agent_id] = row

    def _close_state(self, plan: Plan, row: StateRow, at: float) -> None:
        """Every closed state goes through the agent rollups, in the batch's transaction."""
        row.ended_at = at
        if row.written:
            plan.closed_states.append(row)
        rollups.closed_state_totals(
            ((row.agent_id, row.state, row.reason, row.started_at, at),), self._splitter,
            plan.agent_totals)
