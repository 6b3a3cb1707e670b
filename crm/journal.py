"""The call journal: calls, offers and agent states written as the ACD reports them.

The ACD must never wait on the database to bridge a caller, so it *enqueues* facts here and
one writer task applies them in the order they were reported (an offer row always finds its
call row). A failed write is logged and counted, never raised into call handling.

Cheap on the event loop it shares with call handling:
- the writer waits BATCH_DELAY_S before each batch, so the calls that caused the
  facts get their ARI requests out first, then applies the whole batch in one transaction;
- what a later fact needs of a call (its row id, its queue and answer times) is kept in
  memory while the call lasts, so no write re-reads a row (but a transfer, rare, which
  copies its row once);
- the statistics rollup of an hour is recomputed at most every ROLLUP_REFRESH_S for however
  many calls ended in it (and at every flush and at stop), not once per call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from tortoise.exceptions import BaseORMException
from tortoise.transactions import in_transaction

from crm.call_segments import segment_ref
from crm.clock import local_parts
from crm.models import (
    AgentState,
    AgentStateName,
    Call,
    CallOutcome,
    Direction,
    Offer,
    OfferResult,
)
from crm.routing import close_unfinished
from crm.stats import rollups

log = logging.getLogger(__name__)

Write = Callable[[], Awaitable[None]]

BATCH_DELAY_S = 0.025
MAX_BATCH = 500
ROLLUP_REFRESH_S = 5.0


@dataclass
class _CallRow:
    pk: int
    started_at: datetime
    local_date: date
    local_hour: int
    entered_queue_at: datetime | None = None
    first_offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    offers_count: int = 0
    agent_id: int | None = None
    wrapped_up: bool = False


@dataclass
class _OpenState:
    pk: int
    state: str
    reason: str
    started_at: datetime


class CallJournal:
    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._queue: asyncio.Queue[Write | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._calls: dict[str, _CallRow] = {}
        # ACD call ref -> its transfer segments' row refs, oldest first (see call_segments)
        self._segments: dict[str, list[str]] = {}
        self._offer_pk: dict[str, int] = {}
        self._open_state: dict[int, _OpenState | None] = {}
        self._dirty_hours: set[tuple[date, int]] = set()
        self._last_refresh = 0.0
        self._close_open_on_exit = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.failures = 0
        self.writes = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="call-journal")

    async def stop(self, *, close_open: bool = False) -> None:
        """Apply everything already reported (rollups included), then stop. With
        ``close_open``, calls and agent states still open end now: the process is going
        away and nothing of them stays live (an agent must not look available, nor a call
        last, through the downtime)."""
        if self._task is None:
            return
        self._close_open_on_exit = close_open
        self._queue.put_nowait(None)
        await self._task  # its last act refreshes the rollups (see _run)
        self._task = None

    async def flush(self) -> None:
        """Everything reported so far is in the database, statistics rollups included."""
        await self._idle.wait()
        await self._refresh_rollups()

    # -- facts -----------------------------------------------------------------------------

    def call_started(
        self,
        ref: str,
        *,
        at: datetime,
        direction: Direction = Direction.INBOUND,
        caller_number: str = "",
        caller_name: str = "",
        called_number: str = "",
        group_id: int | None = None,
        client_id: int | None = None,
        agent_id: int | None = None,
        transferred_from_ref: str | None = None,
    ) -> None:
        async def write() -> None:
            local_date, local_hour = local_parts(at, self._tz)
            parent = None
            if transferred_from_ref:
                known = self._calls.get(transferred_from_ref)
                found = known.pk if known else await _call_pk_in_db(transferred_from_ref)
                parent = found
            call = await Call.create(
                ref=ref,
                direction=direction,
                caller_number=caller_number[:64],
                caller_name=caller_name[:128],
                called_number=called_number[:64],
                group_id=group_id,
                client_id=client_id,
                agent_id=agent_id,
                transferred_from_id=parent,
                started_at=at,
                local_date=local_date,
                local_hour=local_hour,
            )
            self._calls[ref] = _CallRow(call.id, at, local_date, local_hour, agent_id=agent_id)

        self._enqueue(write)

    def call_transferred(self, ref: str, at: datetime) -> None:
        """The call left its agent (or queue) for another agent or group: its row ends as
        transferred and a new row, pointing back to it, follows the call from here."""

        async def write() -> None:
            row = await self._row(ref)
            if row is None or row.ended_at is not None:
                return
            await self._end_row(row, CallOutcome.TRANSFERRED, at)
            parent = await Call.get(id=row.pk)
            segments = self._segments.setdefault(ref, [])
            new_ref = segment_ref(ref, len(segments) + 1)
            local_date, local_hour = local_parts(at, self._tz)
            call = await Call.create(
                ref=new_ref,
                direction=parent.direction,
                caller_number=parent.caller_number,
                caller_name=parent.caller_name,
                called_number=parent.called_number,
                group_id=parent.group_id,  # type: ignore[attr-defined]
                client_id=parent.client_id,  # type: ignore[attr-defined]
                transferred_from_id=row.pk,
                started_at=at,
                local_date=local_date,
                local_hour=local_hour,
            )
            segments.append(new_ref)
            self._calls[new_ref] = _CallRow(call.id, at, local_date, local_hour)

        self._enqueue(write)

    def call_queued(self, ref: str, at: datetime, group_id: int | None = None) -> None:
        async def write() -> None:
            row = await self._row(ref)
            if row is None:
                return
            row.entered_queue_at = at
            changes: dict[str, object] = {"entered_queue_at": at}
            if group_id is not None:
                changes["group_id"] = group_id
            await Call.filter(id=row.pk).update(**changes)

        self._enqueue(write)

    def call_client(self, ref: str, client_id: int | None) -> None:
        async def write() -> None:
            row = await self._row(ref)
            if row is not None:
                await Call.filter(id=row.pk).update(client_id=client_id)

        self._enqueue(write)

    def offer_started(
        self, offer_ref: str, call_ref: str, agent_id: int, at: datetime, forced: bool = False
    ) -> None:
        async def write() -> None:
            row = await self._row(call_ref)
            if row is None:
                return
            offer = await Offer.create(
                ref=offer_ref, call_id=row.pk, agent_id=agent_id, offered_at=at, forced=forced
            )
            self._offer_pk[offer_ref] = offer.id
            row.offers_count += 1
            changes: dict[str, object] = {"offers_count": row.offers_count}
            if row.first_offered_at is None:
                row.first_offered_at = at
                changes["first_offered_at"] = at
            await Call.filter(id=row.pk).update(**changes)

        self._enqueue(write)

    def offer_ringing(self, offer_ref: str, at: datetime) -> None:
        self._enqueue(lambda: self._update_offer(offer_ref, ringing_at=at))

    def offer_ended(self, offer_ref: str, result: OfferResult, at: datetime) -> None:
        async def write() -> None:
            await self._update_offer(offer_ref, ended_at=at, result=result)
            self._offer_pk.pop(offer_ref, None)

        self._enqueue(write)

    def call_answered(self, ref: str, agent_id: int | None, at: datetime) -> None:
        """An agent took the call (inbound), or the client picked up (outbound: agent None,
        the one who placed it stays)."""

        async def write() -> None:
            row = await self._row(ref)
            if row is None:
                return
            row.answered_at = at
            queued = row.entered_queue_at or row.started_at
            changes: dict[str, object] = {
                "answered_at": at,
                "wait_s": max(0.0, (at - queued).total_seconds()),
            }
            if agent_id is not None:
                changes["agent_id"] = agent_id
                row.agent_id = agent_id
            await Call.filter(id=row.pk).update(**changes)

        self._enqueue(write)

    def call_ended(self, ref: str, outcome: CallOutcome, at: datetime) -> None:
        async def write() -> None:
            row = await self._row(ref)
            if row is None:
                return
            await self._end_row(row, outcome, at)
            self._forget_when_done(ref)

        self._enqueue(write)

    def close_row(self, row_ref: str, outcome: CallOutcome, at: datetime) -> None:
        """End the record ``row_ref`` of a call that ended while no process watched it (a
        restart, a takeover), at its real end when known."""

        async def write() -> None:
            call = await Call.get_or_none(ref=row_ref)
            if call is None or call.ended_at is not None:
                return
            row = _CallRow(
                call.id, call.started_at, call.local_date, call.local_hour,
                call.entered_queue_at, call.first_offered_at, call.answered_at, None,
                call.offers_count, call.agent_id,  # type: ignore[attr-defined]
            )
            await self._end_row(row, outcome, max(at, call.started_at))

        self._enqueue(write)

    def wrapup_ended(self, ref: str, at: datetime, agent_id: int | None = None) -> None:
        """The agent who had the call (the transferring one, for an earlier segment) is
        done with its wrap-up."""

        async def write() -> None:
            row = self._row_of_agent(ref, agent_id) or await self._row(ref)
            if row is None or row.ended_at is None:
                return
            await Call.filter(id=row.pk).update(
                wrapup_ended_at=at, wrapup_s=max(0.0, (at - row.ended_at).total_seconds())
            )
            self._dirty_hours.add((row.local_date, row.local_hour))
            row.wrapped_up = True
            self._forget_when_done(ref)

        self._enqueue(write)

    def agent_state(
        self,
        agent_id: int,
        state: AgentStateName,
        at: datetime,
        *,
        reason: str = "",
        extension: str = "",
        call_ref: str = "",
    ) -> None:
        state = AgentStateName(state)  # a plain string from a caller is fine too

        async def write() -> None:
            await self._close_state(agent_id, at)
            if state is AgentStateName.LOGGED_OUT:
                return
            local_date, local_hour = local_parts(at, self._tz)
            row = await AgentState.create(
                agent_id=agent_id,
                state=state,
                reason=reason[:64],
                extension=extension[:32],
                call_ref=call_ref[:64],
                started_at=at,
                local_date=local_date,
                local_hour=local_hour,
            )
            self._open_state[agent_id] = _OpenState(row.id, state.value, row.reason, at)

        self._enqueue(write)

    # -- internals -------------------------------------------------------------------------

    def _enqueue(self, write: Write) -> None:
        self._idle.clear()
        self._queue.put_nowait(write)

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._next_fact()
            if first is None:
                break
            await asyncio.sleep(BATCH_DELAY_S)
            batch = [first]
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._apply(batch)
            if time.monotonic() - self._last_refresh >= ROLLUP_REFRESH_S:
                await self._refresh_rollups()
            if self._queue.empty():
                self._idle.set()
        # In the writer's own task: it runs in the context that opened the database, which
        # the caller of stop() may not (tortoise keeps its context in a context variable).
        if self._close_open_on_exit:
            await self._close_open(datetime.now(UTC))
        await self._refresh_rollups()
        self._idle.set()

    async def _close_open(self, at: datetime) -> None:
        try:
            calls, states = await close_unfinished(at)
        except Exception:  # the process is stopping: say it, never hang the shutdown
            log.exception("call journal: closing open calls and states at stop failed")
            return
        if calls or states:
            log.info("closed %d call(s) and %d agent state(s) still open at stop", calls, states)

    async def _next_fact(self) -> Write | None:
        """The next fact; meanwhile, hours left dirty by the last batch are refreshed once
        ROLLUP_REFRESH_S has passed, so reports catch up even when the line goes quiet."""
        while self._dirty_hours and self._queue.empty():
            left = self._last_refresh + ROLLUP_REFRESH_S - time.monotonic()
            try:
                return await asyncio.wait_for(self._queue.get(), timeout=max(left, 0.0))
            except TimeoutError:
                await self._refresh_rollups()
        return await self._queue.get()

    async def _apply(self, batch: list[Write]) -> None:
        try:
            async with in_transaction("default"):
                for write in batch:
                    await write()
            self.writes += len(batch)
            return
        except Exception as exc:  # one bad fact must not lose the others: retry one by one
            log.warning("call journal batch of %d rolled back (%s): retrying one by one",
                        len(batch), exc)
        for write in batch:
            try:
                await write()
                self.writes += 1
            except (BaseORMException, OSError, ValueError) as exc:
                self.failures += 1
                log.error("call journal write failed: %s", exc)
            except Exception:  # a bug here must not stop every later write
                self.failures += 1
                log.exception("call journal write crashed")

    async def _refresh_rollups(self) -> None:
        self._last_refresh = time.monotonic()
        hours, self._dirty_hours = self._dirty_hours, set()
        for local_date, local_hour in sorted(hours):
            await rollups.call_written(local_date, local_hour)

    async def _end_row(self, row: _CallRow, outcome: CallOutcome, at: datetime) -> None:
        row.ended_at = at
        changes: dict[str, object] = {"ended_at": at, "outcome": outcome}
        if row.answered_at is not None:
            changes["talk_s"] = max(0.0, (at - row.answered_at).total_seconds())
        elif row.entered_queue_at is not None:
            changes["wait_s"] = max(0.0, (at - row.entered_queue_at).total_seconds())
        await Call.filter(id=row.pk).update(**changes)
        self._dirty_hours.add((row.local_date, row.local_hour))

    def _row_of_agent(self, ref: str, agent_id: int | None) -> _CallRow | None:
        if agent_id is None:
            return None
        for row_ref in reversed([ref, *self._segments.get(ref, [])]):
            row = self._calls.get(row_ref)
            if row is not None and row.agent_id == agent_id:
                return row
        return None

    def _forget_when_done(self, ref: str) -> None:
        """Drop what is kept of a call once nothing more will be written to any of its rows:
        every row ended, and every answered one wrapped up by its agent."""
        row_refs = [ref, *self._segments.get(ref, [])]
        rows = [r for r in map(self._calls.get, row_refs) if r is not None]
        if all(r.ended_at is not None and (r.answered_at is None or r.wrapped_up)
               for r in rows):
            for row_ref in row_refs:
                self._calls.pop(row_ref, None)
            self._segments.pop(ref, None)

    async def _row(self, ref: str) -> _CallRow | None:
        """The current row of the ACD call ``ref`` (its latest transfer segment)."""
        segments = self._segments.get(ref)
        if segments:
            ref = segments[-1]
        row = self._calls.get(ref)
        if row is not None:
            return row
        # A call this process did not start (e.g. before a restart): load what is needed.
        call = await Call.get_or_none(ref=ref)
        if call is None:
            log.warning("call journal: no call %s", ref)
            return None
        row = self._calls[ref] = _CallRow(
            call.id, call.started_at, call.local_date, call.local_hour,
            call.entered_queue_at, call.first_offered_at, call.answered_at, call.ended_at,
            call.offers_count, call.agent_id,  # type: ignore[attr-defined]
        )
        return row

    async def _update_offer(self, offer_ref: str, **changes: object) -> None:
        pk = self._offer_pk.get(offer_ref)
        if pk is not None:
            await Offer.filter(id=pk).update(**changes)
        else:
            await Offer.filter(ref=offer_ref).update(**changes)

    async def _close_state(self, agent_id: int, at: datetime) -> None:
        if agent_id not in self._open_state:
            rows = await AgentState.filter(agent_id=agent_id, ended_at=None).order_by("id")
            for stale in rows[:-1]:  # should not happen: close extras left by a crash
                await AgentState.filter(id=stale.id).update(ended_at=stale.started_at)
            self._open_state[agent_id] = (
                _OpenState(rows[-1].id, rows[-1].state.value, rows[-1].reason,
                           rows[-1].started_at) if rows else None
            )
        current = self._open_state.pop(agent_id)
        if current is None:
            return
        await AgentState.filter(id=current.pk).update(ended_at=at)
        await rollups.agent_states_closed(
            agent_id, [(current.state, current.reason, current.started_at)], at, self._tz
        )


async def _call_pk_in_db(ref: str) -> int | None:
    found = await Call.get_or_none(ref=ref).only("id")
    return found.id if found else None
