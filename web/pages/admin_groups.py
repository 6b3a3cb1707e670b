"""S2/S3 administration pages for groups (queues): list, add, edit with members, delete."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from crm import groups
from crm import users as user_service
from crm.errors import N_, CrmError
from crm.groups import SETTING_FIELDS, GroupPatch, NewGroup
from crm.models import Group, OverflowKind, Role, Strategy
from crm.stats.rollups import SL_THRESHOLDS
from web.api.registry import parse_id
from web.appkeys import SETTINGS_KEY
from web.formatting import phone_display
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
from web.render import render
from web.security.auth import client_ip, request_user, require_role
from web.security.sessions import flash

routes = web.RouteTableDef()

# The strategies by what they do, not by their code (the English page showed "ringall").
STRATEGY_LABELS = {
    "ringall": N_("Ring all"), "longest_idle": N_("Longest idle first"),
    "fewest_calls": N_("Fewest calls first"), "round_robin": N_("Round robin (with memory)"),
    "random": N_("Random"), "linear": N_("In the order of the list"),
    "penalty": N_("By penalty (skill)"),
}


def strategy_labels() -> dict[str, str]:
    return {code: gettext(label) for code, label in STRATEGY_LABELS.items()}


RECORDING_LABELS = {
    "off": N_("Never"), "all": N_("Every call"), "on_demand": N_("On demand by the agent"),
}


def recording_labels() -> dict[str, str]:
    return {code: gettext(label) for code, label in RECORDING_LABELS.items()}


BOOL_FIELDS = ("join_empty", "leave_when_empty", "active",
               "wrapup_requires_outcome")


def _group_id(request: web.Request) -> int:
    value = parse_id(request.match_info["group_id"])
    if value is None:
        raise web.HTTPNotFound()
    return value


@routes.get("/admin/groups")
@require_role(Role.ADMIN)
async def list_groups(request: web.Request) -> web.StreamResponse:
    page = pagination(request)
    rows, total = await groups.list_groups(limit=page.limit, offset=page.offset)
    members = await groups.members_of([g.id for g in rows])
    names = {str(g.id): g.name for g in await groups.all_groups()}
    region = request.app[SETTINGS_KEY].default_region
    numbers = {g.id: phone_display(g.overflow_target, region) for g in rows
               if g.overflow_kind == OverflowKind.NUMBER}
    return await render(request, "admin/groups.html", {
        "groups": rows, "members": members, "group_names": names, "overflow_numbers": numbers,
        "strategy_labels": strategy_labels(),
        "page": pages_info(total, page),
    })


def _form_values(form: MultiDictProxy[Any]) -> dict[str, Any]:
    # A setting the form does not carry at all (a page from before the setting existed)
    # keeps its default or current value; one sent empty is an error to show.
    values: dict[str, Any] = {
        name: text(form, name) for name in SETTING_FIELDS
        if name not in BOOL_FIELDS and name in form
    }
    for name in BOOL_FIELDS:
        values[name] = form.get(name) == "on"
    values["members"] = [
        {"user_id": uid, "penalty": text(form, f"mpenalty_{uid}") or "0"}
        for uid in form.getall("member", [])
    ]
    return values


async def _group_values(group: Group, region: str) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(group, name) for name in SETTING_FIELDS}
    values["number"] = group.number or ""
    values["outbound_caller_id"] = group.outbound_caller_id or ""
    values["strategy"] = group.strategy.value
    values["overflow_kind"] = group.overflow_kind.value
    values["recording"] = group.recording.value
    if group.overflow_kind == OverflowKind.NUMBER:
        values["overflow_target"] = phone_display(group.overflow_target, region)
    if group.overflow_kind == OverflowKind.GROUP and group.overflow_target.isdigit():
        names = {str(g.id): g.name for g in await groups.all_groups()}
        values["overflow_target"] = names.get(group.overflow_target, group.overflow_target)
    members = (await groups.members_of([group.id]))[group.id]
    values["members"] = [{"user_id": m.user.id, "penalty": m.penalty} for m in members]
    return values


def _new_values() -> dict[str, Any]:
    # A required field (the name) has no default: the form starts it empty rather than
    # showing pydantic's "undefined" marker as a value.
    values: dict[str, Any] = {
        name: "" if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in NewGroup.model_fields.items() if name in SETTING_FIELDS}
    values["strategy"] = values["strategy"].value
    values["overflow_kind"] = values["overflow_kind"].value
    values["recording"] = values["recording"].value
    values["members"] = []
    return values


async def _render_form(request: web.Request, *, group: Group | None, values: dict[str, Any],
                       errors: dict[str, str] | None = None, message: str = "",
                       status: int = 200) -> web.Response:
    region = request.app[SETTINGS_KEY].default_region
    base = await _group_values(group, region) if group is not None else _new_values()
    values = {**base, **values}
    all_users, _ = await user_service.list_users(limit=10_000)
    chosen = {str(m["user_id"]): m["penalty"] for m in values.get("members", [])}
    all_groups = [g for g in await groups.all_groups() if group is None or g.id != group.id]
    return await render(request, "admin/group_form.html", {
        "group": group, "values": values, "errors": errors or {}, "message": message,
        "all_users": all_users, "chosen": chosen, "strategies": list(Strategy),
        "strategy_labels": strategy_labels(), "recording_labels": recording_labels(),
        "overflow_kinds": list(OverflowKind), "other_groups": all_groups,
        "sl_choices": [(str(t), str(t)) for t in SL_THRESHOLDS],
    }, status=status)


@routes.get("/admin/groups/new")
@require_role(Role.ADMIN)
async def new_group_form(request: web.Request) -> web.StreamResponse:
    return await _render_form(request, group=None, values=_new_values())


@routes.post("/admin/groups/new")
@require_role(Role.ADMIN)
async def create_group(request: web.Request) -> web.StreamResponse:
    values = _form_values(await form_data(request))
    try:
        data = NewGroup.model_validate(values)
    except ValidationError as exc:
        return await _render_form(request, group=None, values=values, errors=page_fields(exc),
                                  message=gettext("Please correct the fields below."),
                                  status=422)
    try:
        group = await groups.create_group(data, actor=request_user(request),
                                          region=request.app[SETTINGS_KEY].default_region,
                                          ip=client_ip(request))
    except CrmError as exc:
        status, message, fields = crm_failure(exc)
        return await _render_form(request, group=None, values=values, errors=fields,
                                  message=message, status=status)
    await flash(request, gettext("Group %(name)s created.") % {"name": group.name})
    raise redirect("/admin/groups")


@routes.get("/admin/groups/{group_id}")
@require_role(Role.ADMIN)
async def edit_group_form(request: web.Request) -> web.StreamResponse:
    group = await groups.get_group(_group_id(request))
    return await _render_form(request, group=group, values=await _group_values(
        group, request.app[SETTINGS_KEY].default_region))


@routes.post("/admin/groups/{group_id}")
@require_role(Role.ADMIN)
async def update_group(request: web.Request) -> web.StreamResponse:
    group = await groups.get_group(_group_id(request))
    values = _form_values(await form_data(request))
    try:
        data = GroupPatch.model_validate(values)
    except ValidationError as exc:
        return await _render_form(request, group=group, values=values, errors=page_fields(exc),
                                  message=gettext("Please correct the fields below."),
                                  status=422)
    try:
        await groups.update_group(group.id, data, actor=request_user(request),
                                  region=request.app[SETTINGS_KEY].default_region,
                                  ip=client_ip(request))
    except CrmError as exc:
        status, message, fields = crm_failure(exc)
        return await _render_form(request, group=group, values=values, errors=fields,
                                  message=message, status=status)
    await flash(request, gettext("Group %(name)s saved.") % {"name": values["name"]})
    raise redirect("/admin/groups")


@routes.post("/admin/groups/{group_id}/delete")
@require_role(Role.ADMIN)
async def delete_group(request: web.Request) -> web.StreamResponse:
    group = await groups.get_group(_group_id(request))
    try:
        outcome = await groups.delete_group(group.id, actor=request_user(request),
                                            ip=client_ip(request))
    except CrmError as exc:
        await flash(request, crm_failure(exc)[1], "error")
        raise redirect("/admin/groups") from None
    if outcome == "deactivated":
        await flash(request, gettext(
            "Group %(name)s has call history, so it was deactivated instead of deleted."
        ) % {"name": group.name}, "warning")
    else:
        await flash(request, gettext("Group %(name)s deleted.") % {"name": group.name})
    raise redirect("/admin/groups")
