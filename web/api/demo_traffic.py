"""Demo mode only: the administrator drives the simulated callers (pause, rates, bursts).

The demo (prowebcrm/demo.py) puts its world in ``app[SERVICES_KEY]["demo"]``; outside the
demo these routes answer 404, so a production server does not even admit they exist.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Protocol

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm import audit
from crm.errors import N_
from crm.models import Role
from web.api.registry import ApiRouteTable
from web.api.schemas import Out
from web.appkeys import SERVICES_KEY, SETTINGS_KEY
from web.errors import ApiError
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Demo traffic")

# Keep in step with prowebcrm.demo (MAX_RATE_PER_GROUP, MAX_BURST): the web layer validates
# first so a person gets field errors, the demo refuses anything else anyway.
MAX_RATE = 60.0
MAX_BURST = 50
NOT_DEMO = N_("The traffic controls exist in demo mode only (prowebcrm demo).")

Rate = Annotated[float, Field(ge=0, le=MAX_RATE, description="calls per minute")]


class TrafficWorld(Protocol):
    """What this module needs of prowebcrm.demo.DemoWorld."""

    def set_traffic(self, calls_per_minute: float | None = None, running: bool | None = None,
                    rates: dict[str, float] | None = None) -> dict[str, Any]: ...

    def burst(self, count: int, group: str | None = None) -> int: ...

    def status(self) -> dict[str, Any]: ...


class TrafficIn(BaseModel):
    """Any of: pause or resume, and new rates for some groups (by group number)."""

    model_config = ConfigDict(extra="forbid")
    running: bool | None = Field(default=None, description="false pauses, true resumes")
    rates: dict[str, Rate] | None = Field(
        default=None, max_length=50, description="calls per minute by group number")

    @field_validator("rates")
    @classmethod
    def _finite(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and any(not math.isfinite(v) for v in value.values()):
            raise ValueError("must be a number")
        return value


class BurstIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, le=MAX_BURST, description="calls placed at once")
    group: str | None = Field(default=None, max_length=32,
                              description="group number; none spreads them over every group")


class GroupRateOut(Out):
    number: str
    name: str
    calls_per_minute: float


class TrafficOut(Out):
    running: bool
    calls_per_minute: float = Field(description="over every group")
    groups: list[GroupRateOut]
    placed: int = Field(description="calls generated since the demo started")
    waiting: int = Field(description="simulated callers waiting in a queue now")
    mean_talk_s: float
    mean_patience_s: float


class BurstOut(Out):
    placed_now: int
    traffic: TrafficOut


def demo_world(request: web.Request) -> TrafficWorld | None:
    world: TrafficWorld | None = request.app[SERVICES_KEY].get("demo")
    if not request.app[SETTINGS_KEY].demo or world is None:
        return None
    return world


def _world(request: web.Request) -> TrafficWorld:
    world = demo_world(request)
    if world is None:
        raise ApiError(404, "not_found", NOT_DEMO)
    return world


def traffic_out(status: dict[str, Any]) -> TrafficOut:
    names = status.get("group_names", {})
    groups = [GroupRateOut(number=n, name=names.get(n, n), calls_per_minute=round(r, 2))
              for n, r in status["rates"].items()]
    return TrafficOut(
        running=status["running"],
        calls_per_minute=round(sum(g.calls_per_minute for g in groups), 2),
        groups=groups, placed=status["placed"], waiting=status["waiting"],
        mean_talk_s=status["mean_talk_s"], mean_patience_s=status["mean_patience_s"],
    )


def unknown_groups(world: TrafficWorld, numbers: list[str | None]) -> dict[str, str]:
    known = world.status()["rates"]
    return {str(n): "unknown group" for n in numbers if n is not None and n not in known}


async def apply_change(request: web.Request, world: TrafficWorld, change: TrafficIn
                       ) -> dict[str, Any]:
    status = world.set_traffic(running=change.running, rates=change.rates)
    await audit.record("demo.traffic", actor=request_user(request), target_type="demo",
                       details=change.model_dump(exclude_none=True), ip=client_ip(request))
    return status


async def apply_burst(request: web.Request, world: TrafficWorld, burst: BurstIn) -> int:
    placed = world.burst(burst.count, burst.group)
    await audit.record("demo.burst", actor=request_user(request), target_type="demo",
                       details=burst.model_dump(), ip=client_ip(request))
    return placed


@routes.get("/api/v1/demo/traffic", role=Role.ADMIN, response=TrafficOut, errors=(404,),
            summary="Demo: the call generator's state and rate per group")
async def get_traffic(request: web.Request) -> TrafficOut:
    return traffic_out(_world(request).status())


@routes.post("/api/v1/demo/traffic", role=Role.ADMIN, request=TrafficIn, response=TrafficOut,
             errors=(404, 422),
             summary="Demo: pause or resume the call generator, change rates per group")
async def change_traffic(request: web.Request, body: TrafficIn) -> TrafficOut:
    world = _world(request)
    unknown = unknown_groups(world, list(body.rates or {}))
    if unknown:
        raise ApiError(422, "validation_error", "some fields are invalid",
                       {f"rates.{n}": m for n, m in unknown.items()})
    return traffic_out(await apply_change(request, world, body))


@routes.post("/api/v1/demo/traffic/burst", role=Role.ADMIN, request=BurstIn,
             response=BurstOut, errors=(404, 422),
             summary="Demo: place a burst of calls at once (to one group or spread)")
async def burst_traffic(request: web.Request, body: BurstIn) -> BurstOut:
    world = _world(request)
    if unknown_groups(world, [body.group]):
        raise ApiError(422, "validation_error", "some fields are invalid",
                       {"group": "unknown group"})
    placed = await apply_burst(request, world, body)
    return BurstOut(placed_now=placed, traffic=traffic_out(world.status()))
