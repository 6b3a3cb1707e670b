"""One error shape for the whole JSON API, and the middleware that guarantees it.

``{"error": {"code": ..., "message": ..., "fields": {field: message}}}``. Domain errors from crm
map to a status here; anything unexpected is logged with its traceback and answered with a
generic 500 that shows none of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from crm.errors import N_, Busy, Conflict, CrmError, InvalidInput, NotAllowed, NotFound
from crm.transactions import is_lock_conflict
from web.i18n import gettext

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CRM_STATUS: dict[type[CrmError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    InvalidInput: (422, "validation_error"),
    NotAllowed: (403, "forbidden"),
    Busy: (503, "busy"),
}
# Seconds a client should wait before retrying a 503.
RETRY_AFTER_S = 2

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


class ApiError(Exception):
    """Raised by API code to answer with a given status and the standard error body."""

    def __init__(self, status: int, code: str, message: str,
                 fields: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: Mapping[str, str] | None = None
               ) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def json_error(status: int, code: str, message: str, fields: Mapping[str, str] | None = None,
               headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(error_body(code, message, fields), status=status,
                             headers=headers)


def crm_error_status(exc: CrmError) -> tuple[int, str]:
    for kind, result in CRM_STATUS.items():
        if isinstance(exc, kind):
            return result
    return 400, "bad_request"


def translate_crm(exc: CrmError, translate: Callable[[str], str] = gettext
                  ) -> tuple[str, dict[str, str]]:
    """The error's message and field messages, translated then formatted with its params."""
    params = exc.params

    def text(template: str) -> str:
        translated = translate(template)
        return translated.format(**params) if params else translated

    return text(exc.template), {name: text(tpl) for name, tpl in exc.fields.items()}


# Pydantic's own wording, rewritten per error type so pages can show it in the user's language.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": N_("this field is required"),
    "extra_forbidden": N_("unknown field"),
    "string_too_short": N_("at least {min_length} characters"),
    "string_too_long": N_("at most {max_length} characters"),
    "string_pattern_mismatch": N_("contains characters that are not allowed"),
    "string_type": N_("must be a string"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than_equal": N_("must be at most {le}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than": N_("must be less than {lt}"),
    "enum": N_("must be one of {expected}"),
    "literal_error": N_("must be one of {expected}"),
    "list_type": N_("must be a list"),
    "too_long": N_("too many items (at most {max_length})"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "dict_type": N_("must be an object"),
    "json_invalid": N_("malformed JSON"),
}


def validation_fields(exc: ValidationError, translate: Callable[[str], str] = gettext
                      ) -> dict[str, str]:
    """``{"groups.0.penalty": "must be at most 1000"}`` from a pydantic error."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in error["loc"]) or "body"
        if loc in fields:
            continue
        ctx = error.get("ctx") or {}
        template = _PYDANTIC_MESSAGES.get(error["type"])
        if error["type"] == "string_too_short" and ctx.get("min_length") == 1:
            # "at least 1 characters" is what an empty required field is: say that.
            template = _PYDANTIC_MESSAGES["missing"]
        if error["type"] == "value_error" and isinstance(ctx.get("error"), ValueError):
            message = translate(str(ctx["error"]))
        elif template is not None:
            try:
                message = translate(template).format(**ctx)
            except (KeyError, IndexError):
                message = error["msg"]
        else:
            message = error["msg"]
        fields[loc] = message
    return fields


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.code, exc.message, exc.fields, exc.headers)
    except CrmError as exc:
        status, code = crm_error_status(exc)
        if is_api(request):
            message, fields = translate_crm(exc, translate=_english)
            headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
            return json_error(status, code, message, fields, headers=headers)
        return await render_error_page(request, status, translate_crm(exc)[0])
    except web.HTTPException as exc:
        if exc.status >= 400 and is_api(request):
            code = _HTTP_CODES.get(exc.status, "error")
            return json_error(exc.status, code, exc.reason, headers=_allow_header(exc))
        if exc.status in (403, 404, 405) and not is_api(request):
            return await render_error_page(request, exc.status, _page_message(exc.status))
        raise
    except Exception as exc:
        unavailable = _database_unavailable(exc)
        if unavailable is not None:
            # Not a bug: the database is down or keeps colliding; the client may retry.
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            if is_api(request):
                return json_error(503, unavailable, "the database is busy or unreachable; "
                                  "try again in a moment",
                                  headers={"Retry-After": str(RETRY_AFTER_S)})
            return await render_error_page(request, 503, gettext(
                "The service is busy. Try again in a moment."))
        log.exception("unexpected error on %s %s", request.method, request.path)
        if is_api(request):
            return json_error(500, "internal_error",
                              "internal error; the details are in the server log")
        return await render_error_page(request, 500, gettext(
            "Something went wrong on our side; the details are in the server log."))


def _english(message: str) -> str:
    return message


def _database_unavailable(exc: Exception) -> str | None:
    """The error code for a database that is unreachable or deadlocked, else None."""
    from tortoise.exceptions import DBConnectionError

    if isinstance(exc, DBConnectionError | ConnectionError):
        return "database_unavailable"
    if is_lock_conflict(exc):
        return "busy"
    return None


def _allow_header(exc: web.HTTPException) -> dict[str, str]:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else {}


def _page_message(status: int) -> str:
    if status == 403:
        return gettext("You do not have access to this page.")
    if status == 405:
        return gettext("This address does not accept that request.")
    return gettext("This page does not exist.")


async def render_error_page(request: web.Request, status: int, message: str) -> web.Response:
    from web.render import render  # late: render needs the session helpers, which need us

    try:
        return await render(request, "error.html", {"status": status, "message": message},
                            status=status)
    except Exception:  # the error page must never fail in turn
        log.exception("cannot render the error page")
        return web.Response(status=status, text=message, content_type="text/plain")
