"""Administration pages: API tokens, the audit log, pause reasons and dispositions."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from crm import reference, tokens
from crm import users as user_service
from crm.errors import CrmError
from crm.models import Role
from crm.reference import EntryPatch, Kind, NewEntry
from crm.tokens import NewToken
from web.api.audit import audit_page
from web.api.registry import parse_id
from web.api.schemas import AuditQuery
from web.audit_view import audit_rows
from web.i18n import gettext
from web.pages.common import crm_failure, form_data, page_fields, pages_info, redirect, text
from web.render import render
from web.security.auth import client_ip, request_user, require_role
from web.security.sessions import flash

routes = web.RouteTableDef()

KINDS: dict[str, Kind] = {"pause-reasons": "pause_reason", "dispositions": "disposition"}


def _int_param(request: web.Request, name: str) -> int:
    value = parse_id(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound()
    return value


# --- API tokens -------------------------------------------------------------------------------

async def _tokens_page(request: web.Request, *, new_token: str = "", values: dict[str, Any]
                       | None = None, errors: dict[str, str] | None = None, message: str = "",
                       status: int = 200) -> web.Response:
    all_users, _ = await user_service.list_users(limit=10_000, active=True)
    return await render(request, "admin/tokens.html", {
        "tokens": await tokens.list_tokens(), "users": all_users, "new_token": new_token,
        "values": values or {"user_id": "", "name": ""}, "errors": errors or {},
        "message": message,
    }, status=status)


@routes.get("/admin/tokens")
@require_role(Role.ADMIN)
async def tokens_page(request: web.Request) -> web.StreamResponse:
    return await _tokens_page(request)


@routes.post("/admin/tokens")
@require_role(Role.ADMIN)
async def create_token(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    values = {"user_id": text(form, "user_id"), "name": text(form, "name")}
    try:
        data = NewToken.model_validate(values)
        _, plain = await tokens.create_token(data, actor=request_user(request),
                                             ip=client_ip(request))
    except ValidationError as exc:
        return await _tokens_page(request, values=values, errors=page_fields(exc),
                                  message=gettext("Please correct the fields below."),
                                  status=422)
    except CrmError as exc:
        status, message, fields = crm_failure(exc)
        return await _tokens_page(request, values=values, errors=fields, message=message,
                                  status=status)
    # Shown on this response only (not via redirect): the value is never stored in clear.
    return await _tokens_page(request, new_token=plain)


@routes.post("/admin/tokens/{token_id}/revoke")
@require_role(Role.ADMIN)
async def revoke_token(request: web.Request) -> web.StreamResponse:
    token = await tokens.revoke_token(_int_param(request, "token_id"),
                                      actor=request_user(request), ip=client_ip(request))
    await flash(request, gettext("Token %(name)s revoked.") % {"name": token.name})
    raise redirect("/admin/tokens")


# --- Audit log --------------------------------------------------------------------------------

@routes.get("/admin/audit")
@require_role(Role.ADMIN)
async def audit_log(request: web.Request) -> web.StreamResponse:
    try:
        query = AuditQuery(actor=request.query.get("actor", "")[:64],
                           action=request.query.get("action", "")[:64],
                           offset=int(request.query.get("offset", "0")))
    except (ValueError, ValidationError):
        query = AuditQuery()
    result = await audit_page(query)
    return await render(request, "admin/audit.html", {
        "entries": await audit_rows(result.items), "actor": query.actor,
        "action": query.action,
        "page": pages_info(result.total, query),
    })


# --- Pause reasons and dispositions -----------------------------------------------------------

async def _reference_page(request: web.Request, *, errors: dict[str, dict[str, str]] | None
                          = None, values: dict[str, dict[str, Any]] | None = None,
                          message: str = "", status: int = 200) -> web.Response:
    lists = {slug: await reference.list_entries(kind) for slug, kind in KINDS.items()}
    return await render(request, "admin/reference.html", {
        "lists": lists, "errors": errors or {}, "values": values or {}, "message": message,
        "field_names": {"code": gettext("Code"), "label": gettext("English label"),
                        "label_fr": gettext("French label"), "position": gettext("Order")},
    }, status=status)


@routes.get("/admin/reference")
@require_role(Role.ADMIN)
async def reference_page(request: web.Request) -> web.StreamResponse:
    return await _reference_page(request)


def _kind(request: web.Request) -> tuple[str, Kind]:
    slug = request.match_info["kind"]
    if slug not in KINDS:
        raise web.HTTPNotFound()
    return slug, KINDS[slug]


def _entry_values(form: Any) -> dict[str, Any]:
    values = {"code": text(form, "code"), "label": text(form, "label"),
              "position": text(form, "position") or "0", "active": form.get("active") == "on"}
    if "label_fr" in form:  # absent from a form of before the French label existed
        values["label_fr"] = text(form, "label_fr")
    return values


@routes.post("/admin/reference/{kind}")
@require_role(Role.ADMIN)
async def create_entry(request: web.Request) -> web.StreamResponse:
    slug, kind = _kind(request)
    values = _entry_values(await form_data(request))
    try:
        await reference.create_entry(kind, NewEntry.model_validate(values),
                                     actor=request_user(request), ip=client_ip(request))
    except ValidationError as exc:
        return await _reference_page(request, errors={slug: page_fields(exc)},
                                     values={slug: values},
                                     message=gettext("Please correct the fields below."),
                                     status=422)
    except CrmError as exc:
        status, message, fields = crm_failure(exc)
        return await _reference_page(request, errors={slug: fields}, values={slug: values},
                                     message=message, status=status)
    await flash(request, gettext("%(code)s added.") % {"code": values["code"]})
    raise redirect("/admin/reference")


@routes.post("/admin/reference/{kind}/{entry_id}")
@require_role(Role.ADMIN)
async def update_entry(request: web.Request) -> web.StreamResponse:
    _, kind = _kind(request)
    values = _entry_values(await form_data(request))
    try:
        await reference.update_entry(kind, _int_param(request, "entry_id"),
                                     EntryPatch.model_validate(values),
                                     actor=request_user(request), ip=client_ip(request))
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in page_fields(exc).items())
        await flash(request, message, "error")
    except CrmError as exc:
        await flash(request, crm_failure(exc)[1], "error")
    else:
        await flash(request, gettext("%(code)s saved.") % {"code": values["code"]})
    raise redirect("/admin/reference")


@routes.post("/admin/reference/{kind}/{entry_id}/delete")
@require_role(Role.ADMIN)
async def delete_entry(request: web.Request) -> web.StreamResponse:
    _, kind = _kind(request)
    outcome = await reference.delete_entry(kind, _int_param(request, "entry_id"),
                                           actor=request_user(request), ip=client_ip(request))
    if outcome == "deactivated":
        await flash(request, gettext("Already used, so it was deactivated instead of deleted."),
                    "warning")
    else:
        await flash(request, gettext("Deleted."))
    raise redirect("/admin/reference")
