"""S5 real-time supervision and B2 wallboard over JSON, and the supervisors' forced actions.

Live changes reach the pages over ``/ws/live`` (web.live); these routes give the same
snapshot on demand (first paint, integrators) with the names of agents and groups the ACD
does not know, and carry out the supervisor's actions on the ACD.

Every forced action is written to the audit log and told to the agent concerned (a
``supervisor.action`` event on the agent's own topic), so nobody's call or state changes
without them seeing who did it. Call ids are strings, so they travel in the JSON body rather
than the path (the OpenAPI generator types path parameters as integers).
"""

from __future__ import annotations

import time
from typing import Any, Literal, cast

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from crm import audit
from crm.dialstrings import Extension, check_transfer_target, is_number
from crm.errors import N_
from crm.floor_names import floor_names
from crm.models import Group, Role, User
from crm.stats.board import day_board
from crm.stats.kpi import METHODS
from crm.stats.periods import local_today
from crm.users import extension_owner
from stasis_app.service import AcdRefused, AcdService, TransferTarget
from web.api.registry import ApiRouteTable, parse_id, path_id
from web.api.stats import stats_config
from web.appkeys import RUNTIME_KEY, SETTINGS_KEY
from web.errors import ApiError
from web.formatting import phone_display
from web.i18n import gettext as _
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Supervision")

ACD_DOWN = N_("The call distribution is not running.")

# The ACD refuses with a code and an English sentence for the log; the supervisor reads
# the code's sentence in their own language (the ACD's own words for an unknown code).
REFUSALS: dict[str, str] = {
    "unknown_call": N_("This call is no longer in progress."),
    "nothing_to_reject": N_(
        "This call has no agent to take it back from: it is already waiting in the queue."
    ),
    "target_unavailable": N_("That agent is not available: only an available agent can "
                             "take a transferred call."),
    "same_agent": N_("The call is already with that agent."),
    "unknown_group": N_("That group does not take calls (unknown or inactive)."),
    "bad_number": N_("That number cannot be dialled."),
    "unsupported": N_("Click-to-call calls cannot be transferred."),
    "bad_state": N_("The call cannot be transferred in its current state."),
    "call_not_connected": N_(
        "This call is not connected to an agent yet: there is nothing to listen to."
    ),
    "no_extension": N_("Give the extension of your phone."),
    "supervisor_phone_failed": N_("Your phone {extension} could not be rung: is a phone "
                                  "connected on this extension? ({reason})"),
    "agent_not_logged_in": N_("This agent is not logged in to the call distribution."),
    "acd_unavailable": ACD_DOWN,
}


# -- models ----------------------------------------------------------------------------------


class Names(BaseModel):
    agents: dict[str, dict[str, Any]] = Field(description="id → {name, login, extension…}")
    groups: dict[str, str] = Field(description="id → name")


class SnapshotOut(BaseModel):
    acd: bool = Field(description="false when the call distribution is not running")
    at: float | None = Field(default=None, description="the ACD clock (seconds)")
    server_time: float = Field(description="UNIX time on the server, to align the clocks")
    agents: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    queues: dict[str, list[str]] = {}
    names: Names


class GroupBoard(BaseModel):
    group_id: int
    name: str
    waiting: int
    longest_wait_s: float | None
    agents_by_state: dict[str, int] = Field(description="the group's logged-in members")
    queued_today: int
    answered_today: int
    abandoned_today: int = Field(description="abandons after the short-abandon threshold")
    short_abandoned_today: int
    service_level: float | None = Field(description="percent; null when nothing to measure")
    service_level_s: int = Field(description="the group's threshold T")
    abandon_rate: float | None
    asa_s: float | None


class WallboardOut(BaseModel):
    acd: bool
    date: str
    timezone: str
    waiting: int
    longest_wait_s: float | None
    agents_by_state: dict[str, int]
    groups: list[GroupBoard]
    queued_today: int
    answered_today: int
    abandoned_today: int
    service_level: float | None
    abandon_rate: float | None
    thresholds: dict[str, int]
    methods: dict[str, str] = Field(description="how the figures are counted")


class CallAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=128)


class TransferIn(CallAction):
    kind: Literal["agent", "group", "number"]
    value: str = Field(min_length=1, max_length=64,
                       description="agent id, group id or outside number")

    @field_validator("value")
    @classmethod
    def _value_fits_kind(cls, value: str, info: ValidationInfo) -> str:
        return check_transfer_target(info.data.get("kind", ""), value)


class SpyIn(CallAction):
    mode: Literal["listen", "whisper", "barge"]
    extension: Extension = Field(description="the supervisor's phone, rung to listen")


class SpyStopIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spy_id: str = Field(min_length=1, max_length=128)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="supervisor", max_length=64)


class NoBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionOut(BaseModel):
    ok: bool = True
    action: str
    message: str
    details: dict[str, Any] = {}


# -- helpers ---------------------------------------------------------------------------------


def acd_of(request: web.Request) -> AcdService:
    acd = request.app[RUNTIME_KEY]
    if acd is None:
        raise ApiError(503, "acd_unavailable", _(ACD_DOWN))
    return acd


async def names() -> Names:
    agents, groups = await floor_names()
    return Names(agents=agents, groups=groups)


async def snapshot_out(request: web.Request) -> SnapshotOut:
    acd = request.app[RUNTIME_KEY]
    known = await names()
    if acd is None:
        return SnapshotOut(acd=False, server_time=time.time(), names=known)
    snap = acd.snapshot()
    region = request.app[SETTINGS_KEY].default_region
    calls = [{**c, "caller_display": phone_display(c["caller_number"], region)}
             for c in snap["calls"]]
    return SnapshotOut(acd=True, at=snap["at"], server_time=time.time(),
                       agents=snap["agents"], calls=calls, queues=snap["queues"],
                       names=known)


def _refused(exc: AcdRefused, **params: str) -> ApiError:
    message = REFUSALS.get(exc.code)
    if message is None:
        return ApiError(409, exc.code, exc.message)
    # The ACD's own words stay as the detail of what went wrong ("{reason}").
    reason = exc.message.split(": ", 1)[-1]
    return ApiError(409, exc.code, _(message).format(reason=reason, **params))


async def _done(request: web.Request, action: str, *, agent_id: int | None,
                target_type: str, target_id: str | int, details: dict[str, Any],
                message: str, done: str) -> ActionOut:
    """Audit the forced action and tell the agent concerned (if any) on their live page.
    ``message`` is the agent's (English; the console words it from ``action``), ``done``
    the supervisor's, already in their language."""
    supervisor = request_user(request)
    await audit.record(f"supervision.{action}", actor=supervisor, target_type=target_type,
                       target_id=target_id, details={**details, "agent_id": agent_id},
                       ip=client_ip(request))
    acd = request.app[RUNTIME_KEY]
    if agent_id is not None and acd is not None:
        acd.tell_agent(agent_id, action, supervisor_id=supervisor.id,
                       supervisor_name=supervisor.name, message=message, details=details)
    return ActionOut(action=action, message=done, details=details)


async def _name_of(agent_id: int | None) -> str:
    if agent_id is None:
        return ""
    user = await User.get_or_none(id=agent_id).only("id", "name", "login")
    return (user.name or user.login) if user else f"#{agent_id}"


def _logged_in(acd: AcdService, agent_id: int) -> None:
    if not acd.is_logged_in(agent_id):
        raise ApiError(404, "not_found", _(REFUSALS["agent_not_logged_in"]))


def _call_agent(acd: AcdService, call_id: str) -> int | None:
    """The agent on (or being offered) the call, before the action changes it."""
    if acd.call(call_id) is None:
        raise ApiError(404, "not_found", _(REFUSALS["unknown_call"]))
    return acd.agent_concerned(call_id)


# -- live views ------------------------------------------------------------------------------


@routes.get("/api/v1/supervision/snapshot", role=Role.SUPERVISOR, response=SnapshotOut,
            summary="S5 live picture: queues (call ids in order), agents and their state, "
                    "calls in progress, with the names of agents and groups")
async def get_snapshot(request: web.Request) -> SnapshotOut:
    return await snapshot_out(request)


def _live_counts(acd: Any) -> tuple[dict[int, list[float]], list[dict[str, Any]]]:
    """Waits of the callers in each queue (seconds) and the logged-in agents."""
    if acd is None:
        return {}, []
    snap = acd.snapshot()
    calls = {c["call_id"]: c for c in snap["calls"]}
    waits = {
        int(gid): [snap["at"] - calls[c]["entered_at"] for c in ids if c in calls]
        for gid, ids in snap["queues"].items()
    }
    agents = [a for a in snap["agents"] if a["state"] != "logged_out"]
    return waits, agents


def _by_state(agents: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for agent in agents:
        counts[agent["state"]] = counts.get(agent["state"], 0) + 1
    return counts


def _longest(waits: list[float]) -> float | None:
    return round(max(waits), 1) if waits else None


async def wallboard_out(request: web.Request) -> WallboardOut:
    cfg = stats_config(request)
    today = local_today(cfg.tz)
    board = await day_board(cfg, today)
    acd = request.app[RUNTIME_KEY]
    waits, agents = _live_counts(acd)
    known = dict(await Group.all().values_list("id", "name"))
    active = set(cast("list[int]", await Group.filter(active=True).values_list(
        "id", flat=True)))  # tortoise types flat values_list as tuples
    # an inactive group stays on the board for the day it still had calls
    shown = active | set(waits) | {g for g, d in board.groups.items() if d.queued}
    boards = []
    for gid in sorted(shown, key=lambda g: (known.get(g, ""), g)):
        day = board.groups.get(gid)
        w = waits.get(gid, [])
        members = [a for a in agents if any(g == gid for g, _pen in a.get("groups", ()))]
        boards.append(GroupBoard(
            group_id=gid, name=known.get(gid, f"#{gid}"), waiting=len(w),
            longest_wait_s=_longest(w), agents_by_state=_by_state(members),
            queued_today=day.queued if day else 0,
            answered_today=day.answered if day else 0,
            abandoned_today=day.abandoned if day else 0,
            short_abandoned_today=day.short_abandoned if day else 0,
            service_level=day.service_level if day else None,
            service_level_s=day.service_level_s if day else cfg.service_level_s,
            abandon_rate=day.abandon_rate if day else None,
            asa_s=day.asa if day else None,
        ))
    every_wait = [x for w in waits.values() for x in w]
    total = board.total
    return WallboardOut(
        acd=acd is not None, date=today.isoformat(), timezone=str(cfg.tz),
        waiting=len(every_wait), longest_wait_s=_longest(every_wait),
        agents_by_state=_by_state(agents), groups=boards,
        queued_today=total.queued, answered_today=total.answered,
        abandoned_today=total.abandoned, service_level=total.service_level,
        abandon_rate=total.abandon_rate, thresholds=board.thresholds,
        methods={key: _(METHODS[method]).format(t=cfg.service_level_s,
                                                short=cfg.short_abandon_s)
                 for key, method in (("service_level", "service_level_own_t"),
                                     ("abandon_rate", "abandon_rate"))},
    )


@routes.get("/api/v1/supervision/wallboard", role=Role.SUPERVISOR, response=WallboardOut,
            summary="B2 wallboard figures: calls waiting, longest wait, agents by state, "
                    "today's service level and abandon rate per group (from the raw calls, "
                    "so a call counts as soon as it ends)")
async def get_wallboard(request: web.Request) -> WallboardOut:
    return await wallboard_out(request)


# -- forced actions on calls -----------------------------------------------------------------


@routes.post("/api/v1/supervision/calls/reject", role=Role.SUPERVISOR, request=CallAction,
             response=ActionOut, errors=(404, 409, 503),
             summary="Force-reject a call: its offer or its agent is dropped and the caller "
                     "goes back to the head of the queue")
async def force_reject(request: web.Request, body: CallAction) -> ActionOut:
    acd = acd_of(request)
    agent_id = _call_agent(acd, body.call_id)
    try:
        await acd.force_reject(body.call_id, request_user(request).id)
    except AcdRefused as exc:
        raise _refused(exc) from None
    return await _done(request, "reject", agent_id=agent_id, target_type="call",
                       target_id=body.call_id, details={"call_id": body.call_id},
                       message="a supervisor sent the call back to the queue",
                       done=_("The call is back at the head of its queue."))


@routes.post("/api/v1/supervision/calls/hangup", role=Role.SUPERVISOR, request=CallAction,
             response=ActionOut, errors=(404, 409, 503),
             summary="Hang up a call in progress (waiting, ringing or connected)")
async def force_hangup(request: web.Request, body: CallAction) -> ActionOut:
    acd = acd_of(request)
    agent_id = _call_agent(acd, body.call_id)
    try:
        await acd.force_hangup(body.call_id, request_user(request).id)
    except AcdRefused as exc:
        raise _refused(exc) from None
    return await _done(request, "hangup", agent_id=agent_id, target_type="call",
                       target_id=body.call_id, details={"call_id": body.call_id},
                       message="a supervisor hung up the call", done=_("Call hung up."))


async def _transfer_target(body: TransferIn) -> tuple[int | str, str]:
    """The target's engine value and its name for the messages; 4xx for a bad one."""
    if body.kind == "number":
        if not is_number(body.value):
            raise ApiError(422, "validation_error", _("That number cannot be dialled."),
                           {"value": _("digits, * and # only, optionally after +")})
        return body.value, body.value
    value = parse_id(body.value)
    if value is None:
        raise ApiError(422, "validation_error", _("Choose an agent or a group."),
                       {"value": _("must be an id")})
    if body.kind == "agent":
        user = await User.get_or_none(id=value)
        if user is None:
            raise ApiError(404, "not_found", _("Unknown agent."), {"value": _("unknown agent")})
        return value, user.name or user.login
    group = await Group.get_or_none(id=value)
    if group is None:
        raise ApiError(404, "not_found", _("Unknown group."), {"value": _("unknown group")})
    return value, group.name


@routes.post("/api/v1/supervision/calls/transfer", role=Role.SUPERVISOR, request=TransferIn,
             response=ActionOut, errors=(404, 409, 422, 503),
             summary="Force a blind transfer of any call to an agent, a group or a number")
async def force_transfer(request: web.Request, body: TransferIn) -> ActionOut:
    acd = acd_of(request)
    agent_id = _call_agent(acd, body.call_id)
    value, target_name = await _transfer_target(body)
    try:
        await acd.transfer(body.call_id, TransferTarget(body.kind, value),
                           by_supervisor_id=request_user(request).id)
    except AcdRefused as exc:
        raise _refused(exc) from None
    details = {"call_id": body.call_id, "to_kind": body.kind, "to": value,
               "to_name": target_name}
    return await _done(request, "transfer", agent_id=agent_id, target_type="call",
                       target_id=body.call_id, details=details,
                       message=f"a supervisor transferred the call to {body.kind} {value}",
                       done=_("Call transferred to {target}.").format(target=target_name))


SPY_DONE = {
    "listen": N_("Your phone {extension} is ringing: answer it to listen to the call."),
    "whisper": N_("Your phone {extension} is ringing: answer it to speak to the agent only."),
    "barge": N_("Your phone {extension} is ringing: answer it to join the conversation."),
}


@routes.post("/api/v1/supervision/calls/spy", role=Role.SUPERVISOR, request=SpyIn,
             response=ActionOut, errors=(404, 409, 501, 503),
             summary="B3: listen to, whisper to or barge into a call from the supervisor's "
                     "phone (ARI snoop channels; the phone rings first)")
async def spy(request: web.Request, body: SpyIn) -> ActionOut:
    acd = acd_of(request)
    if not hasattr(acd, "spy"):
        raise ApiError(501, "not_implemented",
                       _("Listening, whispering and barging are not available in this "
                         "version of the call distribution."))
    agent_id = _call_agent(acd, body.call_id)
    supervisor = request_user(request)
    try:
        started = await acd.spy(body.call_id, supervisor.id, body.extension, body.mode)
    except AcdRefused as exc:
        raise _refused(exc, extension=body.extension) from None
    # The supervisor's phone, remembered in their profile: asked once, not at every call
    # (unless it is somebody else's default extension).
    if supervisor.extension != body.extension and await extension_owner(
            body.extension, supervisor.id) is None:
        supervisor.extension = body.extension
        await User.filter(id=supervisor.id).update(extension=body.extension)
    # the ACD answers {"spy_id", "call_id", "mode", "agent_id"}; a bare id is accepted too
    spy_id = started.get("spy_id") if isinstance(started, dict) else started
    details = {"call_id": body.call_id, "mode": body.mode, "extension": body.extension,
               "spy_id": str(spy_id)}
    # Listening is silent by design (quality monitoring); whisper and barge are heard by
    # the agent, so they are announced on the console.
    return await _done(request, body.mode, agent_id=agent_id if body.mode != "listen" else None,
                       target_type="call", target_id=body.call_id, details=details,
                       message=f"a supervisor started to {body.mode}",
                       done=_(SPY_DONE[body.mode]).format(extension=body.extension))


@routes.post("/api/v1/supervision/spies/stop", role=Role.SUPERVISOR, request=SpyStopIn,
             response=ActionOut, errors=(404, 409, 501, 503),
             summary="B3: stop listening / whispering / barging")
async def stop_spy(request: web.Request, body: SpyStopIn) -> ActionOut:
    acd = acd_of(request)
    if not hasattr(acd, "stop_spy"):
        raise ApiError(501, "not_implemented",
                       _("Listening, whispering and barging are not available in this "
                         "version of the call distribution."))
    try:
        stopped = await acd.stop_spy(body.spy_id)
    except AcdRefused as exc:
        raise _refused(exc) from None
    if stopped is False:
        raise ApiError(404, "not_found", _("This listening session has already ended."))
    return await _done(request, "spy_stop", agent_id=None, target_type="spy",
                       target_id=body.spy_id, details={"spy_id": body.spy_id},
                       message="the supervisor stopped listening",
                       done=_("Stopped."))


# -- forced actions on agents ----------------------------------------------------------------


@routes.post("/api/v1/supervision/agents/{agent_id}/pause", role=Role.SUPERVISOR,
             request=PauseIn, response=ActionOut, errors=(404, 409, 503),
             summary="Pause an agent (deferred until their call ends)")
async def force_pause(request: web.Request, body: PauseIn) -> ActionOut:
    agent_id = path_id(request, "agent_id")  # a bad request is told so even without the ACD
    acd = acd_of(request)
    _logged_in(acd, agent_id)
    reason = body.reason or "supervisor"
    try:
        asked = await acd.force_pause(agent_id, request_user(request).id, reason)
    except AcdRefused as exc:
        raise _refused(exc) from None
    name = await _name_of(agent_id)
    deferred = asked.deferred
    done = (_("{agent} will be paused when the current call ends.") if deferred
            else _("{agent} is paused.")).format(agent=name)
    return await _done(request, "pause", agent_id=agent_id, target_type="user",
                       target_id=agent_id, details={"reason": reason, "deferred": deferred},
                       message=f"a supervisor paused you ({reason})", done=done)


@routes.post("/api/v1/supervision/agents/{agent_id}/logout", role=Role.SUPERVISOR,
             request=NoBody, response=ActionOut, errors=(404, 409, 503),
             summary="Log an agent out of the ACD (deferred until their call ends)")
async def force_logout(request: web.Request, body: NoBody) -> ActionOut:
    agent_id = path_id(request, "agent_id")
    acd = acd_of(request)
    _logged_in(acd, agent_id)
    try:
        asked = await acd.force_logout(agent_id, request_user(request).id)
    except AcdRefused as exc:
        raise _refused(exc) from None
    name = await _name_of(agent_id)
    deferred = asked.deferred
    done = (_("{agent} will be logged out when the current call ends.") if deferred
            else _("{agent} is logged out.")).format(agent=name)
    return await _done(request, "logout", agent_id=agent_id, target_type="user",
                       target_id=agent_id, details={"deferred": deferred},
                       message="a supervisor logged you out of the call distribution",
                       done=done)
