"""The REST pool reads HTTP/1.1 responses as Asterisk's server (or a proxy) may send them:
in pieces, chunked, closed early, too slow, or with bytes nobody asked for."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from stasis_app.ari.rest_pool import RestPool, RestUnavailable

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


async def _pool(serve: Serve, timeout: float = 5.0) -> tuple[RestPool, asyncio.Server]:
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return RestPool(f"http://127.0.0.1:{port}/ari", {"Authorization": "Basic x"}, size=2,
                    timeout=timeout), server


async def test_a_response_in_pieces_and_then_chunked_on_the_same_socket() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        for piece in (b"HTTP/1.1 200 OK\r\nContent-", b"Length: 7\r\nServer: A",
                      b"sterisk\r\n\r\n[1,", b"2,3]"):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        await _read_request(reader)
        writer.write(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"4\r\n{\"me\r\n")
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(b"9;x=y\r\nssage\":1}\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()  # until the client closes

    pool, server = await _pool(serve)
    try:
        assert await pool.request("GET", "/channels", None, None) == (200, b"[1,2,3]")
        assert await pool.request("POST", "/channels/x/answer", {"a": "b c"}, {"k": 1}) == (
            404, b'{"message":1}')
        assert len(pool._open) == 1  # both on one kept-alive socket
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()


async def test_a_socket_closed_mid_response_is_unavailable_and_not_reused() -> None:
    sockets = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sockets
        sockets += 1
        await _read_request(reader)
        if sockets == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
            await writer.drain()
            writer.close()
            return
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        await reader.read()

    pool, server = await _pool(serve)
    try:
        with pytest.raises(RestUnavailable):
            await pool.request("POST", "/bridges", None, None)
        assert await pool.request("POST", "/bridges", None, None) == (204, b"")
        assert sockets == 2
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()


async def test_no_answer_times_out_and_garbage_is_refused() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        if b"/slow" in request:
            await reader.read()
            return
        writer.write(b"SIP/2.0 200 OK\r\n\r\n")
        await writer.drain()
        await reader.read()

    pool, server = await _pool(serve, timeout=0.2)
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(RestUnavailable, match="TimeoutError"):
            await pool.request("GET", "/slow", None, None)
        assert 0.15 < loop.time() - started < 2.0
        with pytest.raises(RestUnavailable, match="not an HTTP response"):
            await pool.request("GET", "/garbage", None, None)
        assert not pool._idle  # neither socket is kept
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("case", [test_a_response_in_pieces_and_then_chunked_on_the_same_socket,
                                  test_a_socket_closed_mid_response_is_unavailable_and_not_reused,
                                  test_no_answer_times_out_and_garbage_is_refused])
def test_the_same_on_uvloop(case: Callable[[], Awaitable[None]]) -> None:
    """`prowebcrm serve` runs on uvloop by default, whose transports differ from asyncio's."""
    import uvloop

    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(case())
    finally:
        loop.close()
