"""The simulator's own control API under /sim (same server, same credentials)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .ari_rest import read_params, reply
from .errors import AriError
from .generator import GeneratorConfig

if TYPE_CHECKING:
    from .simulator import Simulator


async def _json_body(request: web.Request) -> dict[str, Any]:
    params, _ = await read_params(request)
    body: dict[str, Any] = dict(params)
    raw = await request.read()  # cached by aiohttp after read_params
    if raw.strip():
        try:
            data = json.loads(raw)
        except ValueError:
            raise AriError(400, "Request body is not valid JSON") from None
        if isinstance(data, dict):
            body.update(data)  # keep JSON types (numbers, dicts) for the control API
    return body


def _float(body: dict[str, Any], key: str, default: float | None) -> float | None:
    raw = body.get(key, default)
    if raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise AriError(400, f"{key} must be a number") from None


def build_routes(sim: Simulator) -> list[web.RouteDef]:
    async def phones_list(request: web.Request) -> web.Response:
        return reply(200, [p.to_json() for p in sim.phones.list()])

    async def phone_put(request: web.Request) -> web.Response:
        body = await _json_body(request)
        ext = request.match_info["ext"]
        existing = sim.phones.get(ext)
        try:
            phone = sim.phones.add(
                ext,
                body.get("behaviour", existing.behaviour if existing else "auto_answer"),
                _float(body, "answer_delay", None),
            )
        except ValueError as exc:
            raise AriError(400, str(exc)) from None
        return reply(200, phone.to_json())

    async def phone_get(request: web.Request) -> web.Response:
        phone = sim.phones.get(request.match_info["ext"])
        if phone is None:
            raise AriError(404, "Phone not found")
        return reply(200, phone.to_json())

    async def phone_delete(request: web.Request) -> web.Response:
        if not sim.phones.remove(request.match_info["ext"]):
            raise AriError(404, "Phone not found")
        return reply(204)

    def phone_action(action: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            ext = request.match_info["ext"]
            getattr(sim.engine, f"phone_{action}")(ext)
            return reply(204)

        return handler

    async def calls_list(request: web.Request) -> web.Response:
        return reply(200, [c.to_json() for c in sim.callers.calls.values()])

    async def calls_place(request: web.Request) -> web.Response:
        body = await _json_body(request)
        group = str(body.get("group") or body.get("exten") or "")
        call = sim.callers.place(
            group,
            str(body.get("caller_number") or "0600000000"),
            str(body.get("caller_name") or ""),
            app=body.get("app"),
            talk_time=_float(body, "talk_time", None),
            patience=_float(body, "patience", None),
        )
        return reply(201, call.to_json())

    async def call_hangup(request: web.Request) -> web.Response:
        sim.callers.hangup(request.match_info["id"])
        return reply(204)

    async def generator_get(request: web.Request) -> web.Response:
        return reply(200, sim.generator.status())

    async def generator_set(request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            cfg = GeneratorConfig.from_json(body, GeneratorConfig(**vars(sim.generator.config)))
        except (TypeError, ValueError) as exc:
            raise AriError(400, str(exc)) from None
        sim.generator.configure(cfg)
        if body.get("start"):
            sim.generator.start()
        return reply(200, sim.generator.status())

    def generator_action(action: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            getattr(sim.generator, action)()
            return reply(200, sim.generator.status())

        return handler

    async def generator_burst(request: web.Request) -> web.Response:
        body = await _json_body(request)
        count = int(_float(body, "count", 1) or 0)
        if count < 0:
            raise AriError(400, "count must be >= 0")
        group = body.get("group")
        sim.generator.burst(count, str(group) if group else None)
        return reply(200, sim.generator.status())

    async def snapshot(request: web.Request) -> web.Response:
        return reply(200, sim.snapshot())

    r = web
    return [
        r.get("/sim/phones", phones_list),
        r.get("/sim/phones/{ext}", phone_get),
        r.post("/sim/phones/{ext}", phone_put),
        r.delete("/sim/phones/{ext}", phone_delete),
        r.post("/sim/phones/{ext}/answer", phone_action("answer")),
        r.post("/sim/phones/{ext}/reject", phone_action("reject")),
        r.post("/sim/phones/{ext}/hangup", phone_action("hangup")),
        r.get("/sim/calls", calls_list),
        r.post("/sim/calls", calls_place),
        r.post("/sim/calls/{id}/hangup", call_hangup),
        r.get("/sim/generator", generator_get),
        r.post("/sim/generator", generator_set),
        r.post("/sim/generator/start", generator_action("start")),
        r.post("/sim/generator/stop", generator_action("stop")),
        r.post("/sim/generator/pause", generator_action("pause")),
        r.post("/sim/generator/resume", generator_action("resume")),
        r.post("/sim/generator/burst", generator_burst),
        r.get("/sim/snapshot", snapshot),
    ]
