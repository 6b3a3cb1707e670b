"""S2/S3 administration pages for users: list, add, edit, delete, action history."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from crm import groups as group_service
from crm import users
from crm.errors import CrmError
from crm.models import Role, User
from crm.stats.agent_activity import agent_action_history
from crm.stats.periods import QuickRange, local_today, quick_range
from crm.stats.types import StatsConfig
from crm.users import NewUser, UserPatch
from web.api.registry import parse_id
from web.appkeys import SETTINGS_KEY
from web.audit_view import audit_rows
from web.formatting import duration, phone_display
from web.i18n import gettext
from web.pages.common import (
    crm_failure,
    form_data,
    page_fields,
    pages_info,
    pagination,
    redirect,
    text,
)
from web.reasons import reason_labels
from web.render import render
from web.security.auth import client_ip, request_user, require_role
from web.security.sessions import flash

routes = web.RouteTableDef()


def _user_id(request: web.Request) -> int:
    value = parse_id(request.match_info["user_id"])
    if value is None:
        raise web.HTTPNotFound()
    return value


@routes.get("/admin")
@require_role(Role.ADMIN)
async def admin_home(request: web.Request) -> web.StreamResponse:
    raise redirect("/admin/users")


@routes.get("/admin/users")
@require_role(Role.ADMIN)
async def list_users(request: web.Request) -> web.StreamResponse:
    page = pagination(request)
    search = request.query.get("q", "")[:64]
    rows, total = await users.list_users(limit=page.limit, offset=page.offset, search=search)
    memberships = await users.memberships_of([u.id for u in rows])
    context = {"users": rows, "memberships": memberships, "q": search,
               "page": pages_info(total, page)}
    # htmx live search swaps only the table.
    template = "admin/_users_table.html" if request.headers.get("HX-Request") else \
        "admin/users.html"
    return await render(request, template, context)


def _form_values(form: MultiDictProxy[Any], *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: text(form, name)
        for name in ("login", "name", "email", "role", "extension", "language")
    }
    values["active"] = form.get("active") == "on"
    password = text(form, "password")
    if creating or password:
        values["password"] = password
    values["groups"] = [
        {"group_id": gid, "penalty": text(form, f"penalty_{gid}") or "0"}
        for gid in form.getall("group", [])
    ]
    return values


async def _render_form(request: web.Request, *, user: User | None, values: dict[str, Any],
                       errors: dict[str, str] | None = None, message: str = "",
                       status: int = 200) -> web.Response:
    all_groups = await group_service.all_groups()
    chosen = {str(g["group_id"]): g["penalty"] for g in values.get("groups", [])}
    return await render(request, "admin/user_form.html", {
        "user": user, "values": values, "errors": errors or {}, "message": message,
        "all_groups": all_groups, "chosen": chosen, "roles": list(Role),
    }, status=status)


@routes.get("/admin/users/new")
@require_role(Role.ADMIN)
async def new_user_form(request: web.Request) -> web.StreamResponse:
    values = {"login": "", "name": "", "email": "", "role": Role.AGENT.value, "active": True,
              "extension": "", "language": "", "groups": []}
    return await _render_form(request, user=None, values=values)


@routes.post("/admin/users/new")
@require_role(Role.ADMIN)
async def create_user(request: web.Request) -> web.StreamResponse:
    values = _form_values(await form_data(request), creating=True)
    try:
        data = NewUser.model_validate(values)
    except ValidationError as exc:
        return await _render_form(request, user=None, values=values, errors=page_fields(exc),
                                  message=gettext("Please correct the fields below."),
                                  status=422)
    try:
        user = await users.create_user(data, actor=request_user(request),
                                       ip=client_ip(request))
    except CrmError as exc:
        status, message, fields = crm_failure(exc)
        return await _render_form(request, user=None, values=values, errors=fields,
                                  message=message, status=status)
    await flash(request, gettext("User %(login)s created.") % {"login": user.login})
    raise redirect("/admin/users")


@routes.get("/admin/users/{user_id}")
@require_role(Role.ADMIN)
async def edit_user_form(request: web.Request) -> web.StreamResponse:
    user = await users.get_user(_user_id(request))
    memberships = (await users.memberships_of([user.id]))[user.id]
    values = {"login": user.login, "name": user.name, "email": user.email,
              "role": user.role.value, "active": user.active, "extension": user.extension,
              "language": user.language,
              "groups": [{"group_id": m.group.id, "penalty": m.penalty} for m in memberships]}
    return await _render_form(request, user=user, values=values)


@routes.post("/admin/users/{user_id}")
@require_role(Role.ADMIN)
async def update_user(request: web.Request) -> web.StreamResponse:
    user = await users.get_user(_user_id(request))
    values = _form_values(await form_data(request), creating=False)
    try:
        data = UserPatch.model_validate(values)
    except ValidationError as exc:
        return await _render_form(request, user=user, values=values, errors=page_fields(exc),
                                  message=gettext("Please correct the fields below."),
                                  status=422)
    try:
        await users.update_user(user.id, data, actor=request_user(request),
                                ip=client_ip(request))
    except CrmError as exc:
        status, message, fields = crm_failure(exc)
        return await _render_form(request, user=user, values=values, errors=fields,
                                  message=message, status=status)
    await flash(request, gettext("User %(login)s saved.") % {"login": values["login"]})
    raise redirect("/admin/users")


@routes.post("/admin/users/{user_id}/delete")
@require_role(Role.ADMIN)
async def delete_user(request: web.Request) -> web.StreamResponse:
    user = await users.get_user(_user_id(request))
    try:
        outcome = await users.delete_user(user.id, actor=request_user(request),
                                          ip=client_ip(request))
    except CrmError as exc:
        await flash(request, crm_failure(exc)[1], "error")
        raise redirect("/admin/users") from None
    if outcome.outcome == "deactivated":
        await flash(request, gettext(
            "User %(login)s has history, so it was deactivated instead of deleted."
        ) % {"login": user.login}, "warning")
    else:
        await flash(request, gettext("User %(login)s deleted.") % {"login": user.login})
    raise redirect("/admin/users")


@routes.get("/admin/users/{user_id}/history")
@require_role(Role.ADMIN)
async def user_history(request: web.Request) -> web.StreamResponse:
    user = await users.get_user(_user_id(request))
    page = pagination(request)
    rows, total = await users.user_history(user.id, limit=page.limit, offset=page.offset)
    return await render(request, "admin/user_history.html", {
        "user": user, "entries": await audit_rows(rows), "page": pages_info(total, page),
        "activity": await _recent_activity(request, user.id),
    })


ACTIVITY_PREVIEW = 15
ACTIVITY_KINDS = ("call", "intervention", "rejection", "transfer", "pause", "login", "logout")


async def _recent_activity(request: web.Request, user_id: int) -> list[dict[str, Any]]:
    """S3's preview of what the user did in the call centre (calls, records, rejections,
    transfers, pauses, logins) over 30 days; the account changes are the audit below."""
    cfg = StatsConfig.from_settings(request.app[SETTINGS_KEY])
    iv = quick_range(QuickRange.LAST_30_DAYS, local_today(cfg.tz))
    found = await agent_action_history(cfg, user_id, iv, ACTIVITY_KINDS, limit=ACTIVITY_PREVIEW)
    region = request.app[SETTINGS_KEY].default_region
    reasons = await reason_labels()
    return [{"at": a.at, "kind": a.kind.value, "summary": _summary(a.details, region, reasons)}
            for a in found.items]


def _summary(details: dict[str, Any], region: str, reasons: dict[str, str]) -> str:
    """The few facts of an action a person reads first, written as everywhere else."""
    parts = []
    if details.get("caller_number"):
        parts.append(phone_display(str(details["caller_number"]), region))
    parts += [str(details[key]) for key in ("client", "excerpt") if details.get(key)]
    if details.get("reason"):
        parts.append(reasons.get(details["reason"], details["reason"]))
    if details.get("extension"):
        parts.append(gettext("Extension %(ext)s") % {"ext": details["extension"]})
    for key in ("talk_s", "duration_s"):
        if details.get(key) is not None:
            parts.append(duration(float(details[key])))
    return " · ".join(parts)
