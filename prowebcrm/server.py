"""The composition root: one process with the web app and, when an ARI is configured, the
Stasis application, sharing one event hub."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web

from crm.hub import Hub, LocalHub
from crm.settings import Settings
from prowebcrm.commands import ensure_schema
from stasis_app.controller import CallerDirectory
from stasis_app.directory import CrmDirectory
from stasis_app.runtime import AcdRuntime, AcdSupervisor
from web.app import CleanupContext, create_app
from web.appkeys import HUB_KEY, RUNTIME_KEY

log = logging.getLogger("prowebcrm")


def build_app(
    settings: Settings,
    *,
    before_acd: Sequence[CleanupContext] = (),
    takeover: bool = False,
    on_acd_ready: Callable[[web.Application, AcdRuntime], None] | None = None,
) -> web.Application:
    """The web app; with ``settings.ari_url`` also the ACD (after the database, and after
    ``before_acd`` contexts such as the demo's simulated Asterisk)."""
    hub = LocalHub()
    contexts: list[CleanupContext] = list(before_acd)
    if settings.ari_configured:

        def ready(app: web.Application, runtime: AcdRuntime | None) -> None:
            # None while this process stands by: the ACD's pages and API answer 503.
            app[RUNTIME_KEY] = runtime.service if runtime is not None else None
            if on_acd_ready is not None and runtime is not None:
                on_acd_ready(app, runtime)

        contexts.append(
            acd_context(
                settings, hub, CrmDirectory(settings.default_region), on_ready=ready,
            )
        )
    contexts.append(recording_purge_context(settings))
    app = create_app(settings, cleanup_contexts=contexts)
    app[HUB_KEY] = hub
    return app


PURGE_EVERY_S = 3600.0
PURGE_FIRST_AFTER_S = 60.0


def recording_purge_context(settings: Settings) -> CleanupContext:
    """B9: every hour, the recordings older than PROWEBCRM_RECORDING_RETENTION_DAYS go."""

    async def purge_forever() -> None:
        from crm import recordings

        await asyncio.sleep(PURGE_FIRST_AFTER_S)
        while True:
            try:
                await recordings.purge(settings.recordings_dir,
                                       settings.recording_retention_days)
            except Exception as exc:  # the database away: next hour
                log.warning("recordings purge failed: %s", exc)
            await asyncio.sleep(PURGE_EVERY_S)

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(purge_forever(), name="recordings-purge")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return context


def acd_context(
    settings: Settings,
    hub: Hub,
    directory: CallerDirectory | None = None,
    *,
    on_ready: Callable[[web.Application, AcdRuntime | None], None] | None = None,
) -> CleanupContext:
    """An aiohttp cleanup context running the ACD; registered after the ORM's.
    ``on_ready`` publishes the runtime to the web layer (None while this process stands by).
    It lives here, not in stasis_app, so that the ACD knows nothing of the web framework."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        def changed(runtime: AcdRuntime | None) -> None:
            if on_ready is not None:
                on_ready(app, runtime)

        supervisor = AcdSupervisor(settings, hub, directory, changed)
        await supervisor.start()
        try:
            yield
        finally:
            await supervisor.stop()

    return context


# The cyclic collector's defaults cost a burst of callers a tenth of the app's CPU and pauses
# of ~40 ms (each full pass walks the ~100 000 objects startup made, which never die): those
# are frozen out of the passes once the app is up, and the young generation is collected
# after 10x more allocations. Cyclic garbage waits a little longer; memory stays flat (soak).
GC_THRESHOLDS = (7000, 10, 10)


async def _freeze_startup_objects(app: web.Application) -> None:
    gc.collect()
    gc.freeze()


def serve(settings: Settings, *, takeover: bool = False) -> None:
    if settings.event_loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(ensure_schema(settings))
    if not settings.ari_configured:
        log.warning("PROWEBCRM_ARI_URL is not set: serving the CRM without call distribution")
    app = build_app(settings, takeover=takeover)
    gc.set_threshold(*GC_THRESHOLDS)
    app.on_startup.append(_freeze_startup_objects)  # after the ACD's start (cleanup contexts)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=lambda _: log.info("PROWEBCRM on http://%s:%d", settings.host, settings.port),
        access_log=None,
    )
