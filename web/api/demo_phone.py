"""Demo mode only: the softphone panel of the console drives the simulated phone of the
agent's own extension (ring, answer, reject, hang up), since a demo has no real phone."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web

from crm.models import Role
from web.api.registry import ApiRouteTable
from web.api.schemas import Out
from web.appkeys import RUNTIME_KEY, SERVICES_KEY, SETTINGS_KEY
from web.errors import ApiError
from web.security.auth import request_user

routes = ApiRouteTable("Demo softphone")


class PhoneStateOut(Out):
    extension: str
    state: Literal["idle", "ringing", "in_call", "absent"]


def _phone(request: web.Request) -> tuple[Any, str]:
    """The simulator and the extension the agent is logged in with (404 outside the demo,
    so a production server does not even admit the feature exists)."""
    world = request.app[SERVICES_KEY].get("demo")
    if not request.app[SETTINGS_KEY].demo or world is None:
        raise ApiError(404, "not_found", "the softphone exists in demo mode only")
    acd = request.app[RUNTIME_KEY]
    view = acd.logged_in_agent(request_user(request).id) if acd is not None else None
    if view is None:
        raise ApiError(409, "not_logged_in", "log in to the call distribution first")
    return world.simulator, view.extension


def _state(sim: Any, ext: str) -> PhoneStateOut:
    phone = sim.phones.get(ext)
    if phone is None:
        return PhoneStateOut(extension=ext, state="absent")
    return PhoneStateOut(extension=ext, state=phone.state)


@routes.get("/api/v1/demo/phone", role=Role.AGENT, response=PhoneStateOut,
            summary="Demo: the simulated phone of my extension", errors=(404, 409))
async def phone_state(request: web.Request) -> PhoneStateOut:
    sim, ext = _phone(request)
    if sim.phones.get(ext) is None:
        # A demo agent may type any extension: give it a phone a person answers by hand.
        sim.phones.add(ext, behaviour="manual")
    return _state(sim, ext)


@routes.post("/api/v1/demo/phone/{action}", role=Role.AGENT, response=PhoneStateOut,
             summary="Demo: answer, reject or hang up my simulated phone",
             errors=(404, 409))
async def phone_action(request: web.Request) -> PhoneStateOut:
    action = request.match_info["action"]
    if action not in ("answer", "reject", "hangup"):
        raise ApiError(404, "not_found", "action must be answer, reject or hangup")
    sim, ext = _phone(request)
    if sim.phones.get(ext) is None:
        raise ApiError(409, "no_phone", "no simulated phone on this extension")
    handle = sim.phone(ext)
    try:
        getattr(handle, action)()
    except Exception as exc:  # the simulator refuses e.g. "answer" on an idle phone
        raise ApiError(409, "phone_refused", f"the phone cannot {action} now: {exc}") from None
    return _state(sim, ext)
