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
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from crm import audit
from crm.hub import agent_topic
from crm.models import Group, Role, User
from crm.stats.periods import Interval, local_today
from crm.stats.reports import kpi_report
from crm.stats.types import Filters
from stasis_app.service import AcdRefused, TransferTarget
from web.api.registry import ApiRouteTable, path_id
from web.api.stats import stats_config
from web.appkeys import HUB_KEY, RUNTIME_KEY
from web.errors import ApiError
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Supervision")

ACD_DOWN = "the call distribution is not running (no ARI connection is configured)"


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
    queued_today: int
    answered_today: int
    abandoned_today: int
    service_level: float | None
    service_level_s: int
    abandon_rate: float | None


class WallboardOut(BaseModel):
    acd: bool
    date: str
    timezone: str
    waiting: int
    longest_wait_s: float | None
    agents_by_state: dict[str, int]
    groups: list[GroupBoard]
    service_level: float | None
    abandon_rate: float | None
    thresholds: dict[str, int]


class CallAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=128)


class TransferIn(CallAction):
    kind: Literal["agent", "group", "number"]
    value: str = Field(min_length=1, max_length=64,
                       description="agent id, group id or outside number")


class SpyIn(CallAction):
    mode: Literal["listen", "whisper", "barge"]
    extension: str = Field(min_length=1, max_length=64,
                           description="the supervisor's phone, rung to listen")


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


def acd_of(request: web.Request) -> Any:
    acd = request.app[RUNTIME_KEY]
    if acd is None:
        raise ApiError(503, "acd_unavailable", ACD_DOWN)
    return acd


async def names() -> Names:
    agents = await User.filter(role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN]).values(
        "id", "name", "login", "role")
    groups = await Group.all().values("id", "name")
    return Names(
        agents={str(a["id"]): {"name": a["name"], "login": a["login"],
                               "role": str(a["role"])} for a in agents},
        groups={str(g["id"]): g["name"] for g in groups},
    )


async def snapshot_out(request: web.Request) -> SnapshotOut:
    acd = request.app[RUNTIME_KEY]
    known = await names()
    if acd is None:
        return SnapshotOut(acd=False, server_time=time.time(), names=known)
    snap = acd.snapshot()
    return SnapshotOut(acd=True, at=snap["at"], server_time=time.time(),
                       agents=snap["agents"], calls=snap["calls"], queues=snap["queues"],
                       names=known)


async def _refused(exc: AcdRefused) -> ApiError:
    return ApiError(409, exc.code, exc.message)


async def _done(request: web.Request, action: str, *, agent_id: int | None,
                target_type: str, target_id: str | int, details: dict[str, Any],
                message: str) -> ActionOut:
    """Audit the forced action and tell the agent concerned (if any) on their live page."""
    supervisor = request_user(request)
    await audit.record(f"supervision.{action}", actor=supervisor, target_type=target_type,
                       target_id=target_id, details={**details, "agent_id": agent_id},
                       ip=client_ip(request))
    hub = request.app[HUB_KEY]
    if agent_id is not None and hub is not None:
        hub.publish("supervisor.action", {
            "action": action,
            "agent_id": agent_id,
            "supervisor_id": supervisor.id,
            "supervisor_name": supervisor.name,
            "message": message,
            **details,
        }, [agent_topic(agent_id)])
    return ActionOut(action=action, message=message, details=details)


def _logged_in(acd: Any, agent_id: int) -> None:
    view = acd.agent(agent_id)
    if view is None or view.state.value == "logged_out":
        raise ApiError(404, "not_found", f"agent {agent_id} is not logged in to the ACD")


def _call_agent(acd: Any, call_id: str) -> int | None:
    """The agent on (or being offered) the call, before the action changes it."""
    view = acd.call(call_id)
    if view is None:
        raise ApiError(404, "not_found", f"no call {call_id} in progress")
    if view.agent_id is not None:
        return int(view.agent_id)
    # an offered call has no agent yet: the ringing agent is the one it concerns
    for agent in acd.snapshot()["agents"]:
        if agent.get("call_id") == call_id:
            return int(agent["agent_id"])
    return None


# -- live views ------------------------------------------------------------------------------


@routes.get("/api/v1/supervision/snapshot", role=Role.SUPERVISOR, response=SnapshotOut,
            summary="S5 live picture: queues (call ids in order), agents and their state, "
                    "calls in progress, with the names of agents and groups")
async def get_snapshot(request: web.Request) -> SnapshotOut:
    return await snapshot_out(request)


async def wallboard_out(request: web.Request) -> WallboardOut:
    cfg = stats_config(request)
    today = local_today(cfg.tz)
    report = await kpi_report(cfg, Interval(today, today), Filters(), "group")
    acd = request.app[RUNTIME_KEY]
    snap = acd.snapshot() if acd is not None else {"at": 0, "agents": [], "calls": [],
                                                    "queues": {}}
    calls = {c["call_id"]: c for c in snap["calls"]}
    waits: dict[int, list[float]] = {}
    for gid, ids in snap["queues"].items():
        waits[int(gid)] = [snap["at"] - calls[c]["entered_at"] for c in ids if c in calls]
    by_state: dict[str, int] = {}
    for agent in snap["agents"]:
        by_state[agent["state"]] = by_state.get(agent["state"], 0) + 1
    known = {int(k): v for k, v in (await names()).groups.items()}
    rows = {r["id"]: r for r in report.rows}
    boards = []
    for gid in sorted(set(rows) | set(waits) | set(known), key=lambda g: known.get(g, "")):
        if gid == 0:
            continue
        r = rows.get(gid, {})
        w = waits.get(gid, [])
        boards.append(GroupBoard(
            group_id=gid, name=known.get(gid, f"#{gid}"), waiting=len(w),
            longest_wait_s=round(max(w), 1) if w else None,
            queued_today=r.get("queued", 0), answered_today=r.get("answered", 0),
            abandoned_today=r.get("abandoned", 0), service_level=r.get("service_level"),
            service_level_s=r.get("service_level_s", cfg.service_level_s),
            abandon_rate=r.get("abandon_rate"),
        ))
    all_waits = [x for w in waits.values() for x in w]
    totals = {k.key: k.value for k in report.kpis}
    return WallboardOut(
        acd=acd is not None, date=today.isoformat(), timezone=str(cfg.tz),
        waiting=len(all_waits), longest_wait_s=round(max(all_waits), 1) if all_waits else None,
        agents_by_state=by_state, groups=boards,
        service_level=None if totals.get("service_level") is None
        else round(totals["service_level"], 1),
        abandon_rate=None if totals.get("abandon_rate") is None
        else round(totals["abandon_rate"], 1),
        thresholds=report.thresholds,
    )


@routes.get("/api/v1/supervision/wallboard", role=Role.SUPERVISOR, response=WallboardOut,
            summary="B2 wallboard figures: calls waiting, longest wait, agents by state, "
                    "today's service level and abandon rate per group")
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
        raise await _refused(exc) from None
    return await _done(request, "reject", agent_id=agent_id, target_type="call",
                       target_id=body.call_id, details={"call_id": body.call_id},
                       message="a supervisor sent the call back to the queue")


@routes.post("/api/v1/supervision/calls/hangup", role=Role.SUPERVISOR, request=CallAction,
             response=ActionOut, errors=(404, 409, 503),
             summary="Hang up a call in progress (waiting, ringing or connected)")
async def force_hangup(request: web.Request, body: CallAction) -> ActionOut:
    acd = acd_of(request)
    agent_id = _call_agent(acd, body.call_id)
    try:
        await acd.force_hangup(body.call_id, request_user(request).id)
    except AcdRefused as exc:
        raise await _refused(exc) from None
    return await _done(request, "hangup", agent_id=agent_id, target_type="call",
                       target_id=body.call_id, details={"call_id": body.call_id},
                       message="a supervisor hung up the call")


@routes.post("/api/v1/supervision/calls/transfer", role=Role.SUPERVISOR, request=TransferIn,
             response=ActionOut, errors=(404, 409, 503),
             summary="Force a blind transfer of any call to an agent, a group or a number")
async def force_transfer(request: web.Request, body: TransferIn) -> ActionOut:
    acd = acd_of(request)
    agent_id = _call_agent(acd, body.call_id)
    value: int | str = body.value
    if body.kind in ("agent", "group"):
        if not body.value.isdigit():
            raise ApiError(422, "validation_error", "an agent or group is given by its id",
                           {"value": "must be an id"})
        value = int(body.value)
        model = User if body.kind == "agent" else Group
        if not await model.exists(id=value):
            raise ApiError(404, "not_found", f"no {body.kind} {value}")
    try:
        await acd.transfer(body.call_id, TransferTarget(body.kind, value),
                           by_supervisor_id=request_user(request).id)
    except AcdRefused as exc:
        raise await _refused(exc) from None
    details = {"call_id": body.call_id, "to_kind": body.kind, "to": value}
    return await _done(request, "transfer", agent_id=agent_id, target_type="call",
                       target_id=body.call_id, details=details,
                       message=f"a supervisor transferred the call to {body.kind} {value}")


@routes.post("/api/v1/supervision/calls/spy", role=Role.SUPERVISOR, request=SpyIn,
             response=ActionOut, errors=(404, 409, 501, 503),
             summary="B3: listen to, whisper to or barge into a call from the supervisor's "
                     "phone (501 while the ACD does not offer it)")
async def spy(request: web.Request, body: SpyIn) -> ActionOut:
    acd = acd_of(request)
    if not hasattr(acd, "spy"):
        raise ApiError(501, "not_implemented",
                       "listen, whisper and barge are not available yet in this version of "
                       "the call distribution")
    agent_id = _call_agent(acd, body.call_id)
    supervisor = request_user(request)
    try:
        started = await acd.spy(body.call_id, supervisor.id, body.extension, body.mode)
    except AcdRefused as exc:
        raise await _refused(exc) from None
    # the ACD answers {"spy_id", "call_id", "mode", "agent_id"}; a bare id is accepted too
    spy_id = started.get("spy_id") if isinstance(started, dict) else started
    details = {"call_id": body.call_id, "mode": body.mode, "extension": body.extension,
               "spy_id": str(spy_id)}
    # Listening is silent by design: only whisper and barge are announced to the agent.
    return await _done(request, body.mode, agent_id=agent_id if body.mode != "listen" else None,
                       target_type="call", target_id=body.call_id, details=details,
                       message=f"a supervisor started to {body.mode}")


@routes.post("/api/v1/supervision/spies/stop", role=Role.SUPERVISOR, request=SpyStopIn,
             response=ActionOut, errors=(404, 409, 501, 503),
             summary="B3: stop listening / whispering / barging")
async def stop_spy(request: web.Request, body: SpyStopIn) -> ActionOut:
    acd = acd_of(request)
    if not hasattr(acd, "stop_spy"):
        raise ApiError(501, "not_implemented",
                       "listen, whisper and barge are not available yet in this version of "
                       "the call distribution")
    try:
        stopped = await acd.stop_spy(body.spy_id)
    except AcdRefused as exc:
        raise await _refused(exc) from None
    if stopped is False:
        raise ApiError(404, "not_found", f"no spy {body.spy_id} in progress")
    return await _done(request, "spy_stop", agent_id=None, target_type="spy",
                       target_id=body.spy_id, details={"spy_id": body.spy_id},
                       message="the supervisor stopped listening")


# -- forced actions on agents ----------------------------------------------------------------


@routes.post("/api/v1/supervision/agents/{agent_id}/pause", role=Role.SUPERVISOR,
             request=PauseIn, response=ActionOut, errors=(404, 409, 503),
             summary="Pause an agent (deferred until their call ends)")
async def force_pause(request: web.Request, body: PauseIn) -> ActionOut:
    acd = acd_of(request)
    agent_id = path_id(request, "agent_id")
    _logged_in(acd, agent_id)
    reason = body.reason or "supervisor"
    try:
        await acd.force_pause(agent_id, request_user(request).id, reason)
    except AcdRefused as exc:
        raise await _refused(exc) from None
    return await _done(request, "pause", agent_id=agent_id, target_type="user",
                       target_id=agent_id, details={"reason": reason},
                       message=f"a supervisor paused you ({reason})")


@routes.post("/api/v1/supervision/agents/{agent_id}/logout", role=Role.SUPERVISOR,
             request=NoBody, response=ActionOut, errors=(404, 409, 503),
             summary="Log an agent out of the ACD (deferred until their call ends)")
async def force_logout(request: web.Request, body: NoBody) -> ActionOut:
    acd = acd_of(request)
    agent_id = path_id(request, "agent_id")
    _logged_in(acd, agent_id)
    try:
        await acd.force_logout(agent_id, request_user(request).id)
    except AcdRefused as exc:
        raise await _refused(exc) from None
    return await _done(request, "logout", agent_id=agent_id, target_type="user",
                       target_id=agent_id, details={},
                       message="a supervisor logged you out of the call distribution")
