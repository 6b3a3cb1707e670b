"""While the database is away, pages and API calls that need it answer a clear 503 (with
Retry-After) instead of a 500 with a traceback in the log: the call centre keeps taking
calls (the ACD does not wait on the database) and the pages say why they cannot show more.

Registered just inside web.errors.error_middleware (which would turn the error into a 500),
outside the session and auth middlewares (which read the database themselves).
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from crm.db import is_unavailable
from crm.errors import N_
from web.errors import Handler, is_api, json_error, render_error_page
from web.i18n import gettext

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
CODE = "database_unavailable"
MESSAGE = N_("The database is unavailable for the moment; calls are still being handled. "
             "Try again in a few seconds.")
_LOG_EVERY_S = 10.0
_last_log = [0.0]


@web.middleware
async def database_unavailable_middleware(request: web.Request, handler: Handler
                                          ) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        now = time.monotonic()
        if now - _last_log[0] >= _LOG_EVERY_S:  # one line per outage burst, not per request
            _last_log[0] = now
            log.warning("database unavailable (%s): answering 503 to %s %s", exc,
                        request.method, request.path)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if is_api(request):
            return json_error(503, CODE, MESSAGE, headers=headers)
        response = await render_error_page(request, 503, gettext(MESSAGE))
        response.headers.update(headers)
        return response
