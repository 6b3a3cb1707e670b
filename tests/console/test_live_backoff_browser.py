"""The live WebSocket of every page (web/static/js/lib/core.js, live()) in a real browser:
when the server goes away the page retries with a growing, capped delay (0.5 s, 1 s, 2 s…
up to 30 s, each ±20 % jitter), not a fixed one, and connects again once the server is
back.

The server is really stopped (its listening socket closed, its open connections cut) and
started again on the same port; the page runs on Playwright's fake clock, so the 30 s
steps take no real time. The page is not changed: an init script only wraps WebSocket to
note, on the page's own clock, when each socket was created, opened and closed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from crm.models import Role
from tests.console.browsing import launch, log_in, needs_chromium, shot
from tests.console.conftest import Product, free_port, product_app
from tests.web.webtools import make_user
from web.appkeys import HUB_KEY

pytestmark = needs_chromium

FIRST_MS = 500
MAX_MS = 30000
JITTER = 0.2

# Observation only: the sockets' times on the page's (fake) clock, in creation order.
SOCKET_LOG = """(() => {
  const Native = window.WebSocket;
  const log = (window.__sockets = []);
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const entry = { created: Date.now(), opened: null, closed: null, code: null };
      log.push(entry);
      this.addEventListener("open", () => { entry.opened = Date.now(); });
      this.addEventListener("close", (e) => { entry.closed = Date.now(); entry.code = e.code; });
    }
  };
})()"""


@dataclass
class Server:
    """The full product on a fixed loopback port that the test can stop and start again."""

    prod: Product
    runner: web.AppRunner
    port: int
    site: web.TCPSite | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await self.site.start()

    async def stop(self) -> None:
        """Stop listening (new connections are refused) and cut the open ones."""
        assert self.site is not None
        await self.site.stop()
        self.site = None
        server = self.runner.server
        assert server is not None
        for handler in server.connections:
            handler.force_close()


@pytest.fixture
async def server(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Server]:
    full, sim, settings = product_app(tmp_path, sqlite_template)
    runner = web.AppRunner(full, access_log=None)
    await runner.setup()
    running = Server(Product(full, sim, settings), runner, free_port())
    await running.start()
    try:
        yield running
    finally:
        await runner.cleanup()


def bounds(step: int) -> tuple[float, float]:
    """The delay before reconnect attempt `step` (0: the first after a drop), jitter included."""
    nominal = min(FIRST_MS * 2**step, MAX_MS)
    return nominal * (1 - JITTER), nominal * (1 + JITTER)


async def sockets(page: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate("window.__sockets")
    return found


async def wait_closed(page: Any, count: int) -> None:
    """Until the page has created `count` sockets and the last one has closed."""
    await page.wait_for_function(
        f"window.__sockets.length === {count} && window.__sockets[{count - 1}].closed !== null")


async def next_attempt(page: Any, count: int, step: int) -> None:
    """Runs the page's (paused) clock from the close of socket `count` until its retry: not
    before the shortest delay allowed for this step, and by the longest.

    The delays count from that close, not from where the clock stands: a refused socket
    can close while the clock is still running through the previous step's window, and
    the page's retry timer starts then."""
    low, high = bounds(step)
    closed = (await sockets(page))[count - 1]["closed"]
    assert closed is not None, f"socket {count} is still open"
    await run_until(page, closed + int(low) - 1)
    assert len(await sockets(page)) == count, f"retry {step} came before {low} ms"
    # The next delay is at least 0.8 × twice this one (or 24 s at the cap): only one retry
    # can fall in this window, even when it is refused at once.
    await run_until(page, closed + int(high) + 1)
    created = len(await sockets(page))
    assert created == count + 1, f"retry {step}: {created - count} socket(s) by {high} ms"


async def run_until(page: Any, moment_ms: float) -> None:
    """Runs the page's paused clock up to `moment_ms` (its Date.now()), if not there yet."""
    now = await page.evaluate("Date.now()")
    if moment_ms > now:
        await page.clock.run_for(int(moment_ms - now))


async def test_live_socket_backs_off_while_the_server_is_down(server: Server) -> None:
    from playwright.async_api import async_playwright, expect

    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        await context.add_init_script(SOCKET_LOG)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            await page.clock.install()
            await log_in(page, server.base, "sophie", landing="/supervision")
            conn = page.locator("#sv-conn")
            await expect(conn).to_have_attribute("data-state", "open")
            assert len(await sockets(page)) == 1
            # From here on the page's timers only fire when the test runs its clock.
            await page.clock.pause_at(await page.evaluate("Date.now() / 1000 + 1"))  # seconds

            # The server goes away: the page says so and retries, further and further apart.
            await server.stop()
            await wait_closed(page, 1)
            await expect(conn).to_have_attribute("data-state", "closed")
            await shot(page, "98-live-disconnected")
            retries = 9  # 0.5, 1, 2, 4, 8, 16 s, then 30 s three times
            for n in range(1, retries + 1):
                await next_attempt(page, n, n - 1)
                await wait_closed(page, n + 1)
            log = await sockets(page)
            assert all(s["opened"] is None for s in log[1:]), log  # all refused
            delays = [log[n]["created"] - log[n - 1]["closed"] for n in range(1, len(log))]
            assert len(delays) == retries, delays
            for step, delay in enumerate(delays):
                low, high = bounds(step)
                assert low <= delay <= high, (step, delay, delays)
            growing = delays[:6]
            assert growing == sorted(growing) and len(set(growing)) == len(growing), delays
            assert max(delays) <= MAX_MS * (1 + JITTER), delays  # capped
            assert all(d >= MAX_MS * (1 - JITTER) for d in delays[6:]), delays  # and kept there

            # The server is back: the next retry connects, the snapshot arrives.
            events_before = await page.evaluate("window.svEvents || 0")
            await server.start()
            count = len(log)
            await next_attempt(page, count, retries)
            await expect(conn).to_have_attribute("data-state", "open")
            await page.wait_for_function(f"(window.svEvents || 0) > {events_before}")
            log = await sockets(page)
            assert log[-1]["opened"] is not None and log[-1]["closed"] is None, log[-1]

            # A connection that worked starts the backoff over: the next drop retries at 0.5 s.
            await server.stop()
            await wait_closed(page, count + 1)
            await next_attempt(page, count + 1, 0)
            await wait_closed(page, count + 2)
            await server.start()
            await next_attempt(page, count + 2, 1)
            await expect(conn).to_have_attribute("data-state", "open")
        finally:
            await browser.close()
    assert not errors, errors


async def test_live_socket_backs_off_when_the_server_accepts_then_drops(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the socket and fails at once (here the event hub refusing the
    subscription) must not be hammered every 0.5 s: opening alone is no proof it is back."""
    from playwright.async_api import async_playwright, expect

    await make_user("sophie", Role.SUPERVISOR, name="Sophie Lambert")
    hub = server.prod.app[HUB_KEY]
    assert hub is not None
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 1366, "height": 768})
        await context.add_init_script(SOCKET_LOG)
        page = await context.new_page()
        try:
            await page.clock.install()
            await log_in(page, server.base, "sophie", landing="/supervision")
            conn = page.locator("#sv-conn")
            await expect(conn).to_have_attribute("data-state", "open")
            await page.clock.pause_at(await page.evaluate("Date.now() / 1000 + 1"))  # seconds

            def refuse(*_args: Any, **_kwargs: Any) -> Any:
                raise RuntimeError("event hub unavailable")

            monkeypatch.setattr(hub, "subscribe", refuse)
            # cut the working connection; the retries are accepted, then dropped at once
            await server.stop()
            await server.start()
            await wait_closed(page, 1)
            retries = 8
            for n in range(1, retries + 1):
                await next_attempt(page, n, n - 1)
                await wait_closed(page, n + 1)
            log = await sockets(page)
            assert all(s["opened"] is not None for s in log[1:]), log  # accepted each time
            delays = [log[n]["created"] - log[n - 1]["closed"] for n in range(1, len(log))]
            for step, delay in enumerate(delays):
                low, high = bounds(step)
                assert low <= delay <= high, (step, delay, delays)

            monkeypatch.undo()  # the hub works again: the next retry stays connected
            await next_attempt(page, len(log), retries)
            await expect(conn).to_have_attribute("data-state", "open")
            await page.clock.run_for(2000)
            log = await sockets(page)
            assert log[-1]["closed"] is None, log[-1]
        finally:
            await browser.close()
