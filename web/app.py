"""The aiohttp application factory: one process serves the pages, the JSON API and, through
the extra cleanup contexts, the ARI/ACD runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web

from crm import dialstrings
from crm.db import close_db, init_db
from crm.settings import Settings
from web import i18n
from web.api.registry import MAX_BODY_ATTR
from web.appkeys import (
    HUB_KEY,
    LOGIN_AUDIT_KEY,
    LOGIN_THROTTLE_KEY,
    RUNTIME_KEY,
    SERVICES_KEY,
    SETTINGS_KEY,
)
from web.errors import error_middleware
from web.routes import setup_routes
from web.security.auth import auth_middleware
from web.security.csrf import csrf_middleware
from web.security.login import LoginAudit
from web.security.ratelimit import LoginThrottle
from web.security.sessions import session_middleware_for
from web.unavailable import database_unavailable_middleware

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    settings: Settings,
    *,
    cleanup_contexts: Sequence[CleanupContext] = (),
) -> web.Application:
    # Order matters: headers on everything, errors next (catches everything), then the
    # session (auth needs it), then who-is-calling + role checks, then CSRF (after auth, so
    # anonymous callers get 401 rather than a CSRF 403).
    app = web.Application(middlewares=[
        security_headers_middleware,
        error_middleware,
        database_unavailable_middleware,
        body_limit_middleware,
        session_middleware_for(settings),
        auth_middleware,
        csrf_middleware,
        security_headers_middleware,
    ])
    dialstrings.configure(settings.extension_pattern)
    app[SETTINGS_KEY] = settings
    app[LOGIN_THROTTLE_KEY] = LoginThrottle(settings.login_attempts_per_minute,
                                            account_limit=settings.login_attempts_per_account)
    app[LOGIN_AUDIT_KEY] = LoginAudit.default()
    app[HUB_KEY] = None
    app[RUNTIME_KEY] = None
    app[SERVICES_KEY] = {}

    i18n.load_catalogs()
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    # newstyle: {{ _("Hello %(name)s", name=x) }} formats and escapes in one step.
    # added to the environment at run time by the jinja2.ext.i18n extension
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )

    # Stored in UTC, shown in the call centre's time zone.
    env.filters["localtime"] = partial(_local_time, settings.tz)

    # The database comes first: the runtime contexts given by the caller persist calls through it.
    app.cleanup_ctx.append(_database_context(settings))
    for context in cleanup_contexts:
        app.cleanup_ctx.append(context)
    setup_routes(app)
    return app


def _database_context(settings: Settings) -> CleanupContext:
    async def database(app: web.Application) -> AsyncIterator[None]:
        await init_db(settings.database_url)
        try:
            yield
        finally:
            await close_db()

    return database


def _local_time(tz: ZoneInfo, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return value.astimezone(tz).strftime(fmt) if value is not None else "—"


@web.middleware
async def body_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The 1 MiB default stays for every route but those that declare more (the CSV import):
    their request is cloned with the larger limit before anything reads the body."""
    limit = getattr(request.match_info.handler, MAX_BODY_ATTR, None)
    if limit is not None and limit != request.client_max_size:
        request = request.clone(client_max_size=limit)
    return await handler(request)


# Only the site's own files run and style: no inline script or style attribute, no other
# origin, no plugin, no framing, forms and <base> only to ourselves. Two allowances, each
# for a vendored library:
# - 'unsafe-eval' in script-src: Alpine.js evaluates its x-data/@click attributes with
#   new Function(). Its "CSP build" avoids that but only accepts registered components,
#   which means rewriting every Alpine attribute of the templates; the risk 'unsafe-eval'
#   adds is an attacker who can already write markup on our pages, which autoescaping and
#   the stored-XSS tests keep out, while script-src 'self' still refuses any injected
#   <script> and any script from elsewhere.
# - img-src data:: Chart.js and flatpickr draw nothing from data: URLs today, but a chart
#   exported as an image is one; harmless for images.
# htmx's injected indicator <style> is turned off in base.html (htmx-config meta).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler
                                      ) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
