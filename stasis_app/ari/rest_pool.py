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
import contextvars
import heapq
import itertools
import time
from collections.abc import Awaitable, Mapping
from typing import Any, cast
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


class _Connection(asyncio.Protocol):
    """One kept-alive socket, one request at a time. The response is parsed as its bytes
    arrive and handed over whole: one wake-up per request, not one per header line."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.used = False
        self.lost = False
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # bytes nobody asked for: the stream is out of step
            return
        self._buffer += data
        try:
            response = _parse(self._buffer)
        except ValueError as exc:
            self._fail(exc)
            self.close()
            return
        if response is not None:
            waiter, self._waiter = self._waiter, None
            self._buffer.clear()
            if not waiter.done():
                waiter.set_result(response)

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.gone.done():
            self.gone.set_result(None)
        if self._waiter is not None:
            if self._buffer:
                self._fail(asyncio.IncompleteReadError(bytes(self._buffer), None))
            else:
                self._fail(_StaleConnection(str(exc) if exc else
                                            "connection closed before the response"))

    # -- use -------------------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        return not self.lost and self.transport is not None and not self.transport.is_closing()

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes, bool]]:
        assert self.transport is not None
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        self._buffer.clear()
        self.transport.write(request)
        return waiter

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _parse(buffer: bytearray) -> tuple[int, bytes, bool] | None:
    """(status, body, keep-alive) once ``buffer`` holds a whole response, else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEADER_BYTES:
            raise ValueError("response headers too long")
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP response: {lines[0][:80]!r}")
    status = int(parts[1])
    keep = parts[0] == b"HTTP/1.1"
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"connection":
            token = value.strip().lower()
            keep = token == b"keep-alive" or (keep and token != b"close")
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    body_start = end + 4
    if chunked:
        body = _dechunk(buffer, body_start)
        return None if body is None else (status, body, keep)
    if len(buffer) - body_start < length:
        return None
    return status, bytes(buffer[body_start:body_start + length]), keep


def _dechunk(buffer: bytearray, at: int) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        eol = buffer.find(b"\r\n", at)
        if eol < 0:
            return None
        size = int(bytes(buffer[at:eol]).split(b";")[0].strip(), 16)
        at = eol + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n", at)
            return None if trailer_end < 0 else b"".join(chunks)
        if len(buffer) < at + size + 2:
            return None
        chunks.append(bytes(buffer[at:at + size]))
        at += size + 2


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
        request = (f"{method} {target} HTTP/1.1\r\n{self._head}"
                   + ("Content-Type: application/json\r\n" if payload else "")
                   + f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
        rank = REQUEST_RANK.get()
        waiting = self._slots.take(time.monotonic() if rank is None else rank)
        if waiting is not None:
            await waiting
        try:
            for again in (True, False):
                conn = await self._connection()
                try:
                    status, data, keep = await self._exchange(conn, request)
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
        finally:
            self._slots.give_back()
        raise AssertionError("unreachable")

    async def _connection(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable:
                return conn
            self._drop(conn)
        if self.closed:
            raise RestUnavailable("ARI client is closed")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._timeout):
                _transport, conn = await loop.create_connection(_Connection, self._host,
                                                                self._port)
        except (OSError, TimeoutError) as exc:
            raise RestUnavailable(str(exc) or type(exc).__name__) from exc
        self._open.add(conn)
        return conn

    async def _exchange(self, conn: _Connection, request: bytes) -> tuple[int, bytes, bool]:
        # A timer handle, not asyncio.timeout(): the same deadline for less work per request.
        waiter = conn.send(request)
        expiry = asyncio.get_running_loop().call_later(self._timeout, _expire, waiter)
        try:
            return await waiter
        finally:
            expiry.cancel()

    def _drop(self, conn: _Connection) -> None:
        self._open.discard(conn)
        conn.close()

    async def close(self) -> None:
        self.closed = True
        conns = list(self._open)
        for conn in conns:
            self._drop(conn)
        self._idle.clear()
        # Let the sockets really shut (connection_lost) before the loop may go away.
        if conns:
            await asyncio.wait([c.gone for c in conns], timeout=1.0)


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _RankedSlots:
    """At most ``size`` holders at once; a freed slot goes to the waiter of lowest rank (ties:
    the first to ask)."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def take(self, rank: float) -> Awaitable[None] | None:
        """None when a slot was free and is now the caller's; else a future to await, done
        once a slot passed to the caller. Either way the caller ends with ``give_back()``
        (a plain call and a future, not an async context manager: this runs per request)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank, next(self._order), waiter))
        return self._wait(waiter)

    async def _wait(self, waiter: asyncio.Future[None]) -> None:
        try:
            await waiter
        except BaseException:
            # A cancelled waiter stays in the heap, skipped; one handed a slot just as it was
            # cancelled passes the slot on.
            if waiter.done() and not waiter.cancelled():
                self.give_back()
            raise

    def give_back(self) -> None:
        while self._waiting:
            _rank, _order, waiter = heapq.heappop(self._waiting)
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to it directly
                return
        self._free += 1
