"""Helpers shared by the HTML pages: form parsing, field errors, pagination, redirects."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from crm.errors import CrmError
from web.api.schemas import Pagination
from web.errors import crm_error_status, translate_crm, validation_fields

PAGE_SIZE = 50


async def form_data(request: web.Request) -> MultiDictProxy[Any]:
    return await request.post()


def text(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def page_fields(exc: ValidationError) -> dict[str, str]:
    """Field errors keyed by the form's field name ("groups.0.penalty" → "groups")."""
    fields: dict[str, str] = {}
    for key, message in validation_fields(exc).items():
        fields.setdefault(key.split(".")[0], message)
    return fields


def crm_failure(exc: CrmError) -> tuple[int, str, dict[str, str]]:
    status, _ = crm_error_status(exc)
    message, fields = translate_crm(exc)
    return status, message, fields


def pagination(request: web.Request, page_size: int = PAGE_SIZE) -> Pagination:
    """Pages are forgiving: a hand-edited bad ?offset= just shows the first page."""
    try:
        return Pagination(limit=page_size, offset=int(request.query.get("offset", "0")))
    except (ValueError, ValidationError):
        return Pagination(limit=page_size, offset=0)


def pages_info(total: int, page: Pagination) -> dict[str, Any]:
    return {
        "total": total,
        "offset": page.offset,
        "limit": page.limit,
        "prev_offset": max(0, page.offset - page.limit) if page.offset > 0 else None,
        "next_offset": page.offset + page.limit if page.offset + page.limit < total else None,
    }


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)
