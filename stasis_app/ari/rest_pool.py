"""ARI's REST requests over a few kept-alive HTTP/1.1 connections, written by hand.

Why not aiohttp's client: under a burst of callers the app is CPU-bound, and building and
parsing each of the ~7 REST requests a call costs through aiohttp's client was the largest
share of that CPU (issue 10's profile). Asterisk's HTTP server speaks plain HTTP/1.1 with
Content-Length bodies on loopback or a LAN, so one request is a few bytes written and a
status line, headers and body read back. The WebSocket stays aiohttp's (stream.py).

What the pool guarantees (as aiohttp's did): at most ``size`` connections, since Asterisk's
listen backlog is small; one request at a time per connection; a connection Asterisk closed
while idle is noticed, and only a GET is sent again on a new one (a POST may have been
carried out).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson

MAX_HEADER_BYTES = 64 * 1024

# Which request gets the next free connection: the lowest rank first. A request made while
# handling a call carries the moment that call arrived (stasis_app.executor sets it), any
# other request the moment it is made. Under a burst of callers every step of the oldest
# call (its agent's originate, its bridge, its connection) then goes before the first step of
# newer ones, instead of each call's last step queueing behind every newer call's first;
# the wait of the last caller is the same, the others' shorter.
REQUEST_RANK: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ari_request_rank", default=None)


class RestUnavailable(Exception):
    """Asterisk could not be reached or dropped the connection."""


class _StaleConnection(RestUnavailable):
    """The kept-alive socket was closed by Asterisk before it answered anything."""


class _Connection:
    __slots__ = ("reader", "used", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.used = reader, writer, False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class RestPool:
    def __init__(self, root: str, headers: Mapping[str, str], *, size: int,
                 timeout: float) -> None:
        parts = urlsplit(root)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"ARI over plain http only here: {root!r}")
        self._host, self._port = parts.hostname, parts.port or 80
        self._prefix = parts.path.rstrip("/")
        fixed = {"Host": parts.netloc, **headers}
        self._head = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._timeout = timeout
        self._idle: list[_Connection] = []
        self._slots = _RankedSlots(size)
        self._open: set[_Connection] = set()
        self.closed = False

    async def request(self, method: str, path: str, query: Mapping[str, str] | None,
                      body: Any) -> tuple[int, bytes]:
        """(status, body bytes). Raises RestUnavailable when Asterisk cannot be reached."""
        target = self._prefix + path + ("?" + urlencode(query, quote_via=quote) if query
                                        else "")
        payload = orjson.dumps(body) if body is not None else b""
        head = (f"{method} {target} HTTP/1.1\r\n{self._head}"
                + ("Content-Type: application/json\r\n" if payload else "")
                + f"Content-Length: {len(payload)}\r\n\r\n").encode()
        rank = REQUEST_RANK.get()
        async with self._slots.taken(time.monotonic() if rank is None else rank):
            for again in (True, False):
                conn = await self._connection()
                try:
                    async with asyncio.timeout(self._timeout):
                        status, data, keep = await self._exchange(conn, head + payload)
                except _StaleConnection:
                    self._drop(conn)
                    if again and (method == "GET" or not conn.used):
                        continue  # nothing reached Asterisk, or it is safe to ask again
                    # A fresh connection closed too: Asterisk (or the way to it) is down.
                    raise
                except (OSError, EOFError, TimeoutError, ValueError,
                        asyncio.IncompleteReadError) as exc:
                    self._drop(conn)
                    raise RestUnavailable(str(exc) or type(exc).__name__) from exc
                except BaseException:
                    self._drop(conn)  # cancelled mid-request: the socket's state is unknown
                    raise
                conn.used = True
                if keep and not self.closed:
                    self._idle.append(conn)
                else:
                    self._drop(conn)
                return status, data
        raise AssertionError("unreachable")

    async def _connection(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                return conn
            self._drop(conn)
        if self.closed:
            raise RestUnavailable("ARI client is closed")
        try:
            async with asyncio.timeout(self._timeout):
                reader, writer = await asyncio.open_connection(self._host, self._port)
        except (OSError, TimeoutError) as exc:
            raise RestUnavailable(str(exc) or type(exc).__name__) from exc
        conn = _Connection(reader, writer)
        self._open.add(conn)
        return conn

    @staticmethod
    async def _exchange(conn: _Connection, request: bytes) -> tuple[int, bytes, bool]:
        conn.writer.write(request)
        try:
            status_line = await conn.reader.readline()
        except ConnectionResetError as exc:
            raise _StaleConnection(str(exc)) from exc
        if not status_line:
            raise _StaleConnection("connection closed before the response")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP response: {status_line[:80]!r}")
        status = int(parts[1])
        length = 0
        keep = parts[0] == b"HTTP/1.1"
        chunked = False
        seen = 0
        while True:
            line = await conn.reader.readline()
            seen += len(line)
            if seen > MAX_HEADER_BYTES:
                raise ValueError("response headers too long")
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"content-length":
                length = int(value)
            elif key == b"connection":
                token = value.strip().lower()
                keep = token == b"keep-alive" or (keep and token != b"close")
            elif key == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        data = await (_read_chunked(conn.reader) if chunked
                      else conn.reader.readexactly(length) if length else _nothing())
        return status, data, keep

    def _drop(self, conn: _Connection) -> None:
        self._open.discard(conn)
        conn.close()

    async def close(self) -> None:
        self.closed = True
        conns = list(self._open)
        for conn in conns:
            self._drop(conn)
        self._idle.clear()
        for conn in conns:  # the sockets really shut before the loop may go away
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.writer.wait_closed(), 1.0)


class _RankedSlots:
    """At most ``size`` holders at once; a freed slot goes to the waiter of lowest rank (ties:
    the first to ask)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def taken(self, rank: float) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (rank, next(self._order), waiter))
            try:
                await waiter
            except BaseException:
                # A cancelled waiter stays in the heap, skipped; one handed a slot just as it
                # was cancelled passes the slot on.
                if waiter.done() and not waiter.cancelled():
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _rank, _order, waiter = heapq.heappop(self._waiting)
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to it directly
                return
        self._free += 1


async def _nothing() -> bytes:
    return b""


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readline()
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readline()
