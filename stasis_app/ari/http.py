"""The connections to Asterisk: REST over a small kept-alive pool of our own (rest_pool), the
WebSocket over aiohttp; auth header, typed errors."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

from .errors import AppReplaced, AriUnavailable, error_for
from .rest_pool import RestPool, RestUnavailable

# Asterisk's HTTP server keeps a listen backlog of ~10: a burst of fresh connections gets
# refused, so the pool stays small and connections are kept alive and reused.
MAX_POOL = 8


def ari_root(base_url: str) -> str:
    """'http://h:8088' or 'http://h:8088/ari/' -> 'http://h:8088/ari'."""
    root = base_url.rstrip("/")
    if root.endswith("/ari"):
        root = root[:-4]
    return root + "/ari"


def seg(value: str) -> str:
    """One URL path segment (ids are ours, but never let one smuggle a '/' or '?')."""
    return quote(value, safe="")


def _query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not params:
        return None
    out: dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        if isinstance(v, bool):  # Asterisk wants lower-case booleans
            out[k] = "true" if v else "false"
        elif isinstance(v, list | tuple):
            out[k] = ",".join(v)
        else:
            out[k] = str(v)
    return out


class AriHttp:
    """Owns the aiohttp session (REST and the WebSocket share its connector)."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        *,
        max_connections: int = MAX_POOL,
        timeout: float = 10.0,
        keepalive: float = 15.0,
    ) -> None:
        self.root = ari_root(base_url)
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        # Built by hand: aiohttp 3.14 deprecates BasicAuth.
        self.headers = {"Authorization": f"Basic {token}"}
        self.max_connections = max(1, min(max_connections, MAX_POOL))
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        # Shorter than Asterisk's session_inactivity (30 s) so we drop idle sockets first.
        self._keepalive = keepalive
        self._session: aiohttp.ClientSession | None = None
        self._rest = RestPool(self.root, self.headers, size=self.max_connections,
                              timeout=timeout)
        self.refusal: str | None = None  # set once the app was taken over (R-single)
        self.closed = False

    @property
    def session(self) -> aiohttp.ClientSession:
        """The WebSocket's (REST requests go through the pool)."""
        if self.closed:  # never silently reopen a pool after close()
            raise AriUnavailable("ARI client is closed")
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                limit_per_host=self.max_connections,
                keepalive_timeout=self._keepalive,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, json_serialize=json.dumps
            )
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """Call ARI; returns decoded JSON (None for 204/empty) or raises an AriError."""
        if self.refusal is not None:
            raise AppReplaced(self.refusal, method=method, path=path)
        if self.closed:
            raise AriUnavailable("ARI client is closed", method=method, path=path)
        try:
            status, body = await self._rest.request(method, path, _query(params), json_body)
        except RestUnavailable as exc:
            raise AriUnavailable(str(exc), method=method, path=path) from exc
        if status >= 400:
            raise error_for(status, body, method, path)
        return orjson.loads(body) if body else None

    async def close(self) -> None:
        self.closed = True
        await self._rest.close()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        # Let the connector's transports finish closing before the loop goes away.
        await asyncio.sleep(0)
