"""One active ACD per Stasis application name; any other process stands by (R-single, B12).

Asterisk gives an application's events to the last WebSocket connected, so two processes on
one name would steal each other's calls. The lease (crm.acd_lease, in the shared database)
decides who may connect: the holder bumps a counter every ``BEAT_S``; a stand-by that sees
the counter unchanged for ``DEAD_AFTER_S`` (measured on its own clock: no clock is compared
between machines) takes the lease over by compare-and-swap, then connects. A holder on this
host whose process is gone is taken over at once (restart after a crash). A clean stop
releases the lease, so a stand-by takes over without waiting.

The database being down does not stop the active process (it keeps its calls; renewals are
retried); if another process took the lease meanwhile, Asterisk tells the old one
(ApplicationReplaced) and it stops acting.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable

from crm import acd_lease
from crm.acd_lease import LeaseState

log = logging.getLogger(__name__)

BEAT_S = 1.0
DEAD_AFTER_S = 3.0
POLL_S = 0.25


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _dead_here(holder: str) -> bool:
    """The holder ran on this host and its process is gone (a crash, a kill -9)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Leadership:
    def __init__(self, name: str, holder: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.holder = holder or new_holder_id()
        self._clock = clock
        self._beat = 0
        self.held = False

    async def try_now(self) -> bool:
        """Take the lease if nobody live holds it (free, released, or its holder's process on
        this host is gone); False when a live process may hold it."""
        seen = await acd_lease.read(self.name)
        if seen is None or not seen.holder or _dead_here(seen.holder):
            if await acd_lease.take(self.name, self.holder, seen):
                await self._held()
                return True
        return False

    async def _held(self) -> None:
        state = await acd_lease.read(self.name)
        self._beat = state.beat if state else 1
        self.held = True
        log.info("ACD of %r: this process (%s) is active", self.name, self.holder)

    async def acquire(self) -> None:
        """Wait (standing by) until this process holds the lease."""
        watched: LeaseState | None = None
        since = self._clock()
        announced = False
        while True:
            try:
                seen = await acd_lease.read(self.name)
                if seen is None or not seen.holder or seen.holder == self.holder or (
                        _dead_here(seen.holder)):
                    if await acd_lease.take(self.name, self.holder, seen):
                        break
                    await asyncio.sleep(POLL_S)
                    continue
                if seen != watched:
                    watched, since = seen, self._clock()
                elif self._clock() - since >= DEAD_AFTER_S:
                    log.warning("ACD of %r: %s stopped beating; taking over", self.name,
                                seen.holder)
                    if await acd_lease.take(self.name, self.holder, seen):
                        break
                if not announced:
                    log.info("ACD of %r is run by %s: standing by", self.name, seen.holder)
                    announced = True
            except Exception as exc:  # the database down: wait for it, never take blindly
                log.warning("ACD lease of %r unreadable (%s): waiting", self.name, exc)
            await asyncio.sleep(POLL_S)
        await self._held()

    async def renew(self) -> bool:
        """One heartbeat. False: another process holds the lease now (stop acting). A
        database error is raised (the caller keeps its calls and tries again)."""
        self._beat += 1
        still = await acd_lease.renew(self.name, self.holder, self._beat)
        if not still:
            self.held = False
        return still

    async def release(self) -> None:
        if self.held:
            self.held = False
            try:
                await acd_lease.release(self.name, self.holder)
            except Exception as exc:
                log.warning("releasing the ACD lease failed (%s): a stand-by will wait for "
                            "it to expire", exc)
