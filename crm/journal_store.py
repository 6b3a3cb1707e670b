"""The call journal's database side: the rows it keeps, one batch written in one transaction
with as few statements as possible, the few reads it needs, and which errors mean "the
database is away" rather than "this fact is bad".

A batch is a :class:`Plan`: new call, offer and agent-state rows (each inserted once, with
every change the batch made to it), and for rows written earlier only the columns that
changed, grouped so that one statement writes every row of a group:

- SQLite: the whole batch runs in the connection's thread in ONE hop (aiosqlite moves
  each statement to its thread and back, which is what made the journal expensive), with
  ``executemany`` for each group.
- MySQL/MariaDB: multi-row INSERTs and one UPDATE per group of rows changing the same
  columns, joined to the rows' values as a derived table; a round trip per statement, not
  per row. The values are written into the statement text here (see _Literals).

Every insert ignores a row whose unique ref is already there (a replay), and the batch also
records, per journal process, the last fact it holds (``journal_progress``), so a replay
skips whole batches already written.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise

from crm.db import is_unavailable
from crm.stats import rollups
from crm.stats import sql as stats_sql

WRITE_TIMEOUT_S = 30.0  # a MariaDB that stopped answering (not refusing) must not hang us
IN_CHUNK = 400


@dataclass(slots=True, eq=False)
class CallRow:
    """A call row as the journal last wrote it (or is about to: ``pk`` None)."""

    ref: str
    pk: int | None
    started_at: float
    local_date: str
    local_hour: int
    direction: str
    caller_number: str = ""
    caller_name: str = ""
    called_number: str = ""
    group_id: int | None = None
    client_id: int | None = None
    agent_id: int | None = None
    parent_pk: int | None = None
    parent_row: CallRow | None = None  # the parent when it is new in the same batch
    entered_queue_at: float | None = None
    first_offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    wrapup_ended_at: float | None = None
    outcome: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None  # answered to ended, hold periods excluded
    hold_s: float = 0.0
    wrapup_s: float | None = None
    offers_count: int = 0
    # Not a column: its agent was done with it before it ended (no wrap-up in the group; the
    # engine reports the agent's state before the call's end).
    done_before_end: bool = False


@dataclass(slots=True, eq=False)
class OfferRow:
    ref: str
    call: CallRow
    agent_id: int
    offered_at: float
    forced: bool
    ringing_at: float | None = None
    ended_at: float | None = None
    result: str | None = None


@dataclass(slots=True, eq=False)
class StateRow:
    agent_id: int
    state: str
    reason: str
    started_at: float
    local_date: str
    local_hour: int
    extension: str = ""
    call_ref: str = ""
    ended_at: float | None = None
    ref: str | None = None
    pk: int | None = None
    written: bool = False


@dataclass(eq=False)
class Plan:
    new_calls: list[CallRow] = field(default_factory=list)
    changed_calls: dict[CallRow, set[str]] = field(default_factory=dict)
    new_offers: dict[str, OfferRow] = field(default_factory=dict)
    offer_changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    close_offers: list[tuple[CallRow, float]] = field(default_factory=list)
    new_states: list[StateRow] = field(default_factory=list)
    closed_states: list[StateRow] = field(default_factory=list)
    agent_totals: rollups.AgentTotals = field(default_factory=dict)
    progress: dict[str, int] = field(default_factory=dict)
    dirty_hours: set[tuple[str, int]] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)  # calls that may be done with

    def statements_hint(self) -> int:
        """How many row groups the plan writes (for the bench and the logs)."""
        return sum(map(bool, (self.new_calls, self.changed_calls, self.new_offers,
                              self.offer_changes, self.new_states, self.closed_states)))


class RowsExist(Exception):
    """New call rows whose ref already had a row of another call start (the batch is rolled
    back; the journal loads those rows and plans again)."""

    def __init__(self, refs: Sequence[str]) -> None:
        super().__init__(f"call row(s) already present: {', '.join(refs)}")
        self.refs = list(refs)


# -- writing a plan ----------------------------------------------------------------------

_CALL_COLUMNS = (
    "ref", "direction", "caller_number", "caller_name", "called_number", "group_id",
    "client_id", "agent_id", "transferred_from_id", "started_at", "entered_queue_at",
    "first_offered_at", "answered_at", "ended_at", "wrapup_ended_at", "local_date",
    "local_hour", "outcome", "wait_s", "talk_s", "hold_s", "wrapup_s", "offers_count",
    "recording",
)
_CALL_TIMES = frozenset(
    ("started_at", "entered_queue_at", "first_offered_at", "answered_at", "ended_at",
     "wrapup_ended_at"))
_OFFER_COLUMNS = ("ref", "call_id", "agent_id", "offered_at", "ringing_at", "ended_at",
                  "result", "forced")
_OFFER_TIMES = frozenset(("offered_at", "ringing_at", "ended_at"))
_STATE_COLUMNS = ("agent_id", "state", "reason", "extension", "call_ref", "started_at",
                  "ended_at", "local_date", "local_hour", "ref")
_CANCELLED = "cancelled"


class _Dialect:
    mysql = False

    @staticmethod
    def dt(ts: float | None) -> Any:
        # tortoise writes datetimes to SQLite as isoformat(" ") text, and reports compare
        # them as text: the same format, to the microsecond.
        return None if ts is None else str(datetime.fromtimestamp(ts, UTC))

    def insert_ignore(self, table: str, columns: Sequence[str], key: str) -> str:
        marks = ", ".join("?" for _ in columns)
        return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
                f"ON CONFLICT({key}) DO NOTHING")

    def progress_upsert(self) -> str:
        return ("INSERT INTO journal_progress (epoch, seq, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(epoch) DO UPDATE SET seq = excluded.seq, "
                "updated_at = excluded.updated_at")


class _MySQL(_Dialect):
    mysql = True

    def insert_ignore(self, table: str, columns: Sequence[str], key: str) -> str:
        marks = ", ".join("?" for _ in columns)
        # not INSERT IGNORE: that would also turn a foreign key error into a warning
        return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
                f"ON DUPLICATE KEY UPDATE {key} = {key}")

    def progress_upsert(self) -> str:
        return ("INSERT INTO journal_progress (epoch, seq, updated_at) VALUES (?, ?, ?) "
                "ON DUPLICATE KEY UPDATE seq = VALUES(seq), updated_at = VALUES(updated_at)")


_SQLITE = _Dialect()
_MYSQL = _MySQL()


def _memo(convert: Callable[[float | None], Any]) -> Callable[[float | None], Any]:
    """The conversion of each time once per batch (a moment recurs: an answer is the end
    of an offer, the answer time of the call and the start of the agent's state)."""
    seen: dict[float, Any] = {}

    def dt(ts: float | None) -> Any:
        if ts is None:
            return None
        value = seen.get(ts)
        if value is None:
            value = seen[ts] = convert(ts)
        return value

    return dt


def _call_values(row: CallRow, dt: Any) -> tuple[Any, ...]:
    parent = row.parent_pk
    if parent is None and row.parent_row is not None:
        parent = row.parent_row.pk  # written before this row when in the same batch
    return (
        row.ref, row.direction, row.caller_number, row.caller_name, row.called_number,
        row.group_id, row.client_id, row.agent_id, parent, dt(row.started_at),
        dt(row.entered_queue_at), dt(row.first_offered_at), dt(row.answered_at),
        dt(row.ended_at), dt(row.wrapup_ended_at), row.local_date, row.local_hour,
        row.outcome, row.wait_s, row.talk_s, row.hold_s, row.wrapup_s, row.offers_count, "",
    )


def _call_change(row: CallRow, column: str, dt: Any) -> Any:
    value = getattr(row, column)
    return dt(value) if column in _CALL_TIMES else value


def _offer_values(offer: OfferRow, dt: Any) -> tuple[Any, ...]:
    return (offer.ref, offer.call.pk, offer.agent_id, dt(offer.offered_at),
            dt(offer.ringing_at), dt(offer.ended_at), offer.result, int(offer.forced))


def _state_values(row: StateRow, dt: Any) -> tuple[Any, ...]:
    return (row.agent_id, row.state, row.reason, row.extension, row.call_ref,
            dt(row.started_at), dt(row.ended_at), row.local_date, row.local_hour, row.ref)


@dataclass
class _Group:
    """Rows of one table changing the same columns: one statement writes them all."""

    columns: tuple[str, ...]
    key: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _call_groups(plan: Plan, dt: Any) -> list[_Group]:
    groups: dict[tuple[str, ...], _Group] = {}
    for row, columns in plan.changed_calls.items():
        ordered = tuple(sorted(columns))
        group = groups.get(ordered)
        if group is None:
            group = groups[ordered] = _Group(ordered, "id")
        group.rows.append((*(_call_change(row, c, dt) for c in ordered), row.pk))
    links = [(row.parent_row.pk, row.pk) for row in plan.new_calls
             if row.parent_pk is None and row.parent_row is not None]
    if links:  # a segment whose parent row is new in the same batch
        groups[("transferred_from_id",)] = _Group(("transferred_from_id",), "id", links)
    return list(groups.values())


def _offer_groups(plan: Plan, dt: Any) -> list[_Group]:
    groups: dict[tuple[str, ...], _Group] = {}
    for ref, changes in plan.offer_changes.items():
        ordered = tuple(sorted(changes))
        group = groups.get(ordered)
        if group is None:
            group = groups[ordered] = _Group(ordered, "ref")
        group.rows.append((*(dt(changes[c]) if c in _OFFER_TIMES else changes[c]
                             for c in ordered), ref))
    return list(groups.values())


def _state_closes(plan: Plan, dt: Any) -> list[_Group]:
    by_ref = _Group(("ended_at",), "ref")
    by_id = _Group(("ended_at",), "id")
    for row in plan.closed_states:
        if row.ref is not None:
            by_ref.rows.append((dt(row.ended_at), row.ref))
        else:
            by_id.rows.append((dt(row.ended_at), row.pk))
    return [g for g in (by_ref, by_id) if g.rows]


def _progress_rows(plan: Plan, dt: Any) -> list[tuple[Any, ...]]:
    now = dt(datetime.now(UTC).timestamp())
    return [(epoch, seq, now) for epoch, seq in plan.progress.items()]


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _check_new_ids(plan: Plan, found: dict[str, tuple[int, Any]]) -> None:
    """Give each new call row its id; a ref that already had a row of another call start is
    a RowsExist."""
    clash = []
    for row in plan.new_calls:
        pk, started = found[row.ref]
        if abs(stats_sql.as_utc(started).timestamp() - row.started_at) > 1e-6:
            clash.append(row.ref)
        row.pk = pk
    if clash:
        raise RowsExist(clash)


def _write_sqlite(conn: sqlite3.Connection, plan: Plan) -> None:
    """The whole plan, in the connection's own thread: one hop for the batch."""
    dt = _memo(_SQLITE.dt)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if plan.new_calls:
            conn.executemany(_SQLITE.insert_ignore("calls", _CALL_COLUMNS, "ref"),
                             [_call_values(r, dt) for r in plan.new_calls])
            found: dict[str, tuple[int, Any]] = {}
            for chunk in _chunks([r.ref for r in plan.new_calls]):
                marks = ", ".join("?" for _ in chunk)
                for pk, ref, started in conn.execute(
                        f"SELECT id, ref, started_at FROM calls WHERE ref IN ({marks})", chunk):
                    found[ref] = (pk, started)
            _check_new_ids(plan, found)
        if plan.new_offers:
            conn.executemany(_SQLITE.insert_ignore("offers", _OFFER_COLUMNS, "ref"),
                             [_offer_values(o, dt) for o in plan.new_offers.values()])
        for group in _offer_groups(plan, dt):
            sets = ", ".join(f"{c} = ?" for c in group.columns)
            conn.executemany(f"UPDATE offers SET {sets} WHERE ref = ?", group.rows)
        if plan.close_offers:
            conn.executemany(
                "UPDATE offers SET ended_at = ?, result = ? WHERE call_id = ? "
                "AND ended_at IS NULL",
                [(dt(at), _CANCELLED, row.pk) for row, at in plan.close_offers])
        for group in _call_groups(plan, dt):
            sets = ", ".join(f"{c} = ?" for c in group.columns)
            conn.executemany(f"UPDATE calls SET {sets} WHERE id = ?", group.rows)
        if plan.new_states:
            conn.executemany(_SQLITE.insert_ignore("agent_states", _STATE_COLUMNS, "ref"),
                             [_state_values(s, dt) for s in plan.new_states])
        for group in _state_closes(plan, dt):
            conn.executemany(f"UPDATE agent_states SET ended_at = ? WHERE {group.key} = ? "
                             "AND ended_at IS NULL", group.rows)
        for statement, rows in rollups.agent_upserts(plan.agent_totals, mysql=False):
            conn.executemany(statement, rows)
        if plan.progress:
            conn.executemany(_SQLITE.progress_upsert(), _progress_rows(plan, dt))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class _Literals:
    """Values written into MySQL statement text: aiomysql escapes every parameter in Python
    (and a datetime through str.format), which cost more than the rest of a batch."""

    def __init__(self, raw: Any) -> None:
        self._escape = raw.escape_string  # honours NO_BACKSLASH_ESCAPES

    def __call__(self, value: Any) -> str:
        kind = type(value)
        if value is None:
            return "NULL"
        if kind is str:
            return f"'{self._escape(value)}'"
        if kind is int:
            return str(value)
        if kind is float:
            return repr(value)
        if kind is bool:
            return "1" if value else "0"
        if kind is _Moment:
            return f"'{value}'"
        raise TypeError(f"no literal for {value!r}")

    def row(self, values: Iterable[Any]) -> str:
        return "(" + ", ".join(map(self, values)) + ")"


class _Moment(str):
    """A UTC time as MySQL DATETIME text (naive, to the microsecond)."""


def _mysql_dt(ts: float | None) -> _Moment | None:
    if ts is None:
        return None
    return _Moment(datetime.fromtimestamp(ts, UTC).replace(tzinfo=None).isoformat(" "))


_VALUES = "VALUES ("


def _multi_row(statement: str, rows: Sequence[Sequence[Any]], lit: _Literals) -> str:
    """``INSERT ... VALUES (?, ?) [tail]`` with every row written in."""
    head, _, rest = statement.partition(_VALUES)
    tail = rest[rest.index(")") + 1:]
    return head + "VALUES " + ", ".join(lit.row(r) for r in rows) + tail


def _derived(columns: Sequence[str], rows: Sequence[Sequence[Any]], lit: _Literals) -> str:
    """``SELECT 1 AS a, 2 AS b UNION ALL SELECT 3, 4 ...``: rows as a table."""
    first = "SELECT " + ", ".join(f"{lit(v)} AS {c}" for c, v in zip(columns, rows[0],
                                                                      strict=True))
    rest = ["SELECT " + ", ".join(map(lit, r)) for r in rows[1:]]
    return " UNION ALL ".join([first, *rest])


async def _update_mysql(cur: Any, lit: _Literals, table: str, group: _Group,
                        only_open: bool = False) -> None:
    for chunk in _chunks(group.rows):
        if len(chunk) == 1:
            row = chunk[0]
            sets = ", ".join(f"{c} = {lit(v)}" for c, v in zip(group.columns, row, strict=False))
            tail = " AND ended_at IS NULL" if only_open else ""
            await cur.execute(f"UPDATE {table} SET {sets} WHERE {group.key} = {lit(row[-1])}"
                              + tail)
            continue
        sets = ", ".join(f"t.{c} = v.{c}" for c in group.columns)
        tail = " WHERE t.ended_at IS NULL" if only_open else ""
        await cur.execute(
            f"UPDATE {table} t JOIN ({_derived((*group.columns, 'k'), chunk, lit)}) v "
            f"ON t.{group.key} = v.k SET {sets}{tail}")


async def _insert_mysql(cur: Any, lit: _Literals, statement: str,
                        rows: Sequence[Sequence[Any]]) -> None:
    for chunk in _chunks(rows):
        await cur.execute(_multi_row(statement, chunk, lit))


async def _write_mysql_on(raw: Any, plan: Plan) -> None:
    dt = _memo(_mysql_dt)
    lit = _Literals(raw)
    await raw.begin()
    async with raw.cursor() as cur:
        if plan.new_calls:
            await _insert_mysql(cur, lit, _MYSQL.insert_ignore("calls", _CALL_COLUMNS, "ref"),
                                [_call_values(r, dt) for r in plan.new_calls])
            found: dict[str, tuple[int, Any]] = {}
            for chunk in _chunks([r.ref for r in plan.new_calls]):
                await cur.execute("SELECT id, ref, started_at FROM calls WHERE ref IN ("
                                  + ", ".join(map(lit, chunk)) + ")")
                for pk, ref, started in await cur.fetchall():
                    found[ref] = (pk, started)
            _check_new_ids(plan, found)
        if plan.new_offers:
            await _insert_mysql(cur, lit, _MYSQL.insert_ignore("offers", _OFFER_COLUMNS, "ref"),
                                [_offer_values(o, dt) for o in plan.new_offers.values()])
        for group in _offer_groups(plan, dt):
            await _update_mysql(cur, lit, "offers", group)
        for row, at in plan.close_offers:
            await cur.execute(f"UPDATE offers SET ended_at = {lit(dt(at))}, result = "
                              f"{lit(_CANCELLED)} WHERE call_id = {lit(row.pk)} "
                              "AND ended_at IS NULL")
        for group in _call_groups(plan, dt):
            await _update_mysql(cur, lit, "calls", group)
        if plan.new_states:
            await _insert_mysql(cur, lit,
                                _MYSQL.insert_ignore("agent_states", _STATE_COLUMNS, "ref"),
                                [_state_values(s, dt) for s in plan.new_states])
        for group in _state_closes(plan, dt):
            await _update_mysql(cur, lit, "agent_states", group, only_open=True)
        for statement, rows in rollups.agent_upserts(plan.agent_totals, mysql=True):
            await _insert_mysql(cur, lit, statement, rows)
        if plan.progress:
            await _insert_mysql(cur, lit, _MYSQL.progress_upsert(), _progress_rows(plan, dt))
    await raw.commit()


async def _write_mysql(client: Any, plan: Plan) -> None:
    # The limit covers getting a connection too: a server that stopped answering accepts
    # the TCP connection and never greets.
    async with asyncio.timeout(WRITE_TIMEOUT_S), client.acquire_connection() as raw:
        try:
            await _write_mysql_on(raw, plan)
        except BaseException as exc:
            # After a timeout the connection is mid-statement, after a connection error it
            # is dead: never hand either back to the pool; otherwise roll back.
            if isinstance(exc, (asyncio.CancelledError, TimeoutError)) or is_unavailable(exc):
                raw.close()
            else:
                try:
                    async with asyncio.timeout(5):
                        await raw.rollback()
                except BaseException:
                    raw.close()
            raise


def _client() -> Any:
    return Tortoise.get_connection("default")


def is_mysql() -> bool:
    return stats_sql.is_mysql(_client())


async def write(plan: Plan) -> None:
    """Write the plan in one transaction (all of it or nothing); new call rows get their
    ``pk``. Raises what the database raised (see :func:`is_unavailable`) or RowsExist."""
    client = _client()
    if stats_sql.is_mysql(client):
        await _write_mysql(client, plan)
        return
    async with client.acquire_connection() as conn:
        await conn._execute(_write_sqlite_on, conn, plan)  # aiosqlite: run fn in its thread


def _write_sqlite_on(conn: Any, plan: Plan) -> None:
    _write_sqlite(conn._conn, plan)


# -- reads -------------------------------------------------------------------------------

_LOAD_CALL = (
    "SELECT id, ref, started_at, local_date, local_hour, direction, caller_number, "
    "caller_name, called_number, group_id, client_id, agent_id, transferred_from_id, "
    "entered_queue_at, first_offered_at, answered_at, ended_at, wrapup_ended_at, outcome, "
    "wait_s, talk_s, wrapup_s, offers_count, hold_s FROM calls WHERE "
)
_SEGMENT = "/t"


def _ts(value: Any) -> float | None:
    return None if value is None else stats_sql.as_utc(value).timestamp()


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _call_row(r: Sequence[Any]) -> CallRow:
    return CallRow(
        ref=r[1], pk=int(r[0]), started_at=_ts(r[2]) or 0.0,
        local_date=stats_sql.as_date(r[3]).isoformat(), local_hour=int(r[4]),
        direction=str(r[5]), caller_number=r[6], caller_name=r[7], called_number=r[8],
        group_id=r[9], client_id=r[10], agent_id=r[11], parent_pk=r[12],
        entered_queue_at=_ts(r[13]), first_offered_at=_ts(r[14]), answered_at=_ts(r[15]),
        ended_at=_ts(r[16]), wrapup_ended_at=_ts(r[17]), outcome=r[18], wait_s=_num(r[19]),
        talk_s=_num(r[20]), wrapup_s=_num(r[21]), offers_count=int(r[22] or 0),
        hold_s=_num(r[23]) or 0.0,
    )


def _segment_number(base: str, ref: str) -> int:
    return 0 if ref == base else int(ref[len(base) + len(_SEGMENT):] or 0)


async def load_calls(bases: Iterable[str]) -> dict[str, list[CallRow]]:
    """Every row of these ACD calls (the first one and its transfer segments, in order),
    for calls this process has not written itself (e.g. before a restart)."""
    found: dict[str, list[CallRow]] = {}
    for chunk in _chunks(sorted(set(bases)), 100):
        where = " OR ".join("ref = ? OR (ref > ? AND ref < ?)" for _ in chunk)
        params: list[Any] = []
        for base in chunk:
            params += [base, base + _SEGMENT, base + "/u"]
        for r in await stats_sql.fetch_rows(_LOAD_CALL + where, params):
            row = _call_row(r)
            base = next((b for b in chunk if row.ref == b or row.ref.startswith(b + _SEGMENT)),
                        None)
            if base is not None:
                found.setdefault(base, []).append(row)
    for base, rows in found.items():
        numbers = {row.ref: _segment_number(base, row.ref) for row in rows}
        rows.sort(key=lambda row: numbers[row.ref])
    return found


async def load_open_states(agent_ids: Iterable[int]) -> dict[int, list[StateRow]]:
    """The open agent-state rows of these agents, oldest first (normally one each)."""
    ids = sorted(set(agent_ids))
    found: dict[int, list[StateRow]] = {}
    for chunk in _chunks(ids):
        rows = await stats_sql.fetch_rows(
            "SELECT id, ref, agent_id, state, reason, started_at, local_date, local_hour "
            f"FROM agent_states WHERE ended_at IS NULL AND agent_id IN "
            f"({stats_sql.int_list(chunk)}) ORDER BY started_at, id")
        for pk, ref, agent_id, state, reason, started, day, hour in rows:
            found.setdefault(int(agent_id), []).append(StateRow(
                agent_id=int(agent_id), state=str(state), reason=reason or "",
                started_at=_ts(started) or 0.0, local_date=stats_sql.as_date(day).isoformat(),
                local_hour=int(hour), ref=ref, pk=int(pk), written=True))
    return found


async def read_progress(epochs: Iterable[str]) -> dict[str, int]:
    """The last fact written of each of these journal processes."""
    names = sorted(set(epochs))
    if not names:
        return {}
    marks = ", ".join("?" for _ in names)
    rows = await stats_sql.fetch_rows(
        f"SELECT epoch, seq FROM journal_progress WHERE epoch IN ({marks})", names)
    return {str(epoch): int(seq) for epoch, seq in rows}


async def forget_progress(epochs: Iterable[str]) -> None:
    names = sorted(set(epochs))
    if names:
        marks = ", ".join("?" for _ in names)
        await stats_sql.execute(f"DELETE FROM journal_progress WHERE epoch IN ({marks})",
                                names)


async def forget_progress_before(moment: datetime) -> None:
    """Progress rows of processes long gone (a crash without a spool leaves one)."""
    conn = stats_sql.connection()
    await stats_sql.execute("DELETE FROM journal_progress WHERE updated_at < ?",
                            [stats_sql.dt_param(conn, moment)], conn)


async def hours_of(refs: Iterable[str]) -> set[tuple[str, int]]:
    """The (local date, local hour) buckets of these call rows."""
    hours: set[tuple[str, int]] = set()
    for chunk in _chunks(sorted(set(refs))):
        marks = ", ".join("?" for _ in chunk)
        for day, hour in await stats_sql.fetch_rows(
                f"SELECT local_date, local_hour FROM calls WHERE ref IN ({marks})", chunk):
            hours.add((stats_sql.as_date(day).isoformat(), int(hour)))
    return hours
