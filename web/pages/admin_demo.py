"""Demo mode only: the traffic page, where the administrator drives the simulated callers.

Same operations as /api/v1/demo/traffic, as plain forms (one per action), so it works
without JavaScript; outside the demo the page is a 404 that says why.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from crm.models import Role
from web.api.demo_traffic import (
    MAX_BURST,
    MAX_RATE,
    NOT_DEMO,
    BurstIn,
    TrafficIn,
    TrafficWorld,
    apply_burst,
    apply_change,
    demo_world,
    traffic_out,
)
from web.errors import render_error_page
from web.i18n import gettext
from web.pages.common import form_data, page_fields, redirect, text
from web.render import render
from web.security.auth import require_role
from web.security.sessions import flash

routes = web.RouteTableDef()

PATH = "/admin/traffic"
DEFAULT_BURST = 5


async def _page(request: web.Request, world: TrafficWorld, *, errors: dict[str, str]
                | None = None, values: dict[str, Any] | None = None, message: str = "",
                status: int = 200) -> web.Response:
    traffic = traffic_out(world.status())
    defaults: dict[str, Any] = {f"rate_{g.number}": _number(g.calls_per_minute)
                                for g in traffic.groups}
    defaults.update(count=str(DEFAULT_BURST), group="")
    defaults.update(values or {})
    return await render(request, "admin/traffic.html", {
        "traffic": traffic, "values": defaults, "errors": errors or {}, "message": message,
        "max_burst": MAX_BURST, "max_rate": MAX_RATE,
    }, status=status)


def _number(value: float) -> str:
    return f"{value:g}"


async def _world_or_404(request: web.Request) -> TrafficWorld | web.Response:
    world = demo_world(request)
    if world is None:
        return await render_error_page(request, 404, gettext(NOT_DEMO))
    return world


@routes.get(PATH)
@require_role(Role.ADMIN)
async def traffic_page(request: web.Request) -> web.StreamResponse:
    world = await _world_or_404(request)
    if isinstance(world, web.Response):
        return world
    return await _page(request, world)


@routes.post(PATH)
@require_role(Role.ADMIN)
async def change_traffic(request: web.Request) -> web.StreamResponse:
    world = await _world_or_404(request)
    if isinstance(world, web.Response):
        return world
    form = await form_data(request)
    action = text(form, "action")
    if action in ("pause", "resume"):
        await apply_change(request, world, TrafficIn(running=action == "resume"))
        await flash(request, gettext("Generated calls paused.") if action == "pause"
                    else gettext("Generated calls resumed."))
        raise redirect(PATH)
    if action == "rates":
        return await _change_rates(request, world, form)
    if action == "burst":
        return await _burst(request, world, form)
    return await _page(request, world, message=gettext("Unknown action."), status=400)


async def _change_rates(request: web.Request, world: TrafficWorld,
                        form: MultiDictProxy[Any]) -> web.StreamResponse:
    groups = traffic_out(world.status()).groups
    values = {f"rate_{g.number}": text(form, f"rate_{g.number}").strip() for g in groups}
    errors: dict[str, str] = {}
    rates: dict[str, float] = {}
    for g in groups:
        name = f"rate_{g.number}"
        try:
            rate = float(values[name].replace(",", "."))  # a French keyboard types 2,5
        except ValueError:
            errors[name] = gettext("must be a number of calls per minute")
            continue
        if not (math.isfinite(rate) and 0 <= rate <= MAX_RATE):
            errors[name] = gettext("must be between 0 and %(max)s") % {"max": f"{MAX_RATE:g}"}
            continue
        rates[g.number] = rate
    if errors:
        return await _page(request, world, errors=errors, values=values, status=422,
                           message=gettext("Please correct the fields below."))
    change = TrafficIn(rates=rates)
    await apply_change(request, world, change)
    await flash(request, gettext("Rates saved: %(total)s calls per minute in all.")
                % {"total": _number(sum(rates.values()))})
    raise redirect(PATH)


async def _burst(request: web.Request, world: TrafficWorld,
                 form: MultiDictProxy[Any]) -> web.StreamResponse:
    values = {"count": text(form, "count").strip(), "group": text(form, "group").strip()}
    known = {g.number for g in traffic_out(world.status()).groups}
    errors: dict[str, str] = {}
    if values["group"] and values["group"] not in known:
        errors["group"] = gettext("unknown group")
    try:
        burst = BurstIn.model_validate({"count": values["count"] or "0",
                                        "group": values["group"] or None})
    except ValidationError as exc:
        errors.update(page_fields(exc))
    if errors:
        return await _page(request, world, errors=errors, values=values, status=422,
                           message=gettext("Please correct the fields below."))
    placed = await apply_burst(request, world, burst)
    # one message for every count: the catalogs' checks do not cover plural forms
    await flash(request, gettext("Calls placed at once: %(n)s.") % {"n": placed})
    raise redirect(PATH)
