"""ARI REST routes (/ari/...), thin wrappers turning HTTP into Engine calls."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .engine import Engine, int_param
from .errors import AriError
from .model import ari_time

if TYPE_CHECKING:
    from .simulator import Simulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ARI_BODY = web.ResponseKey("ari_body", object)  # the JSON body, for recording hooks


def reply(status: int, body: Any = None) -> web.Response:
    """A response that remembers its JSON body for the recording hooks."""
    if status == 204 or body is None:
        resp = web.Response(status=status)
    else:
        resp = web.json_response(body, status=status, dumps=json.dumps)
    resp[ARI_BODY] = body
    return resp


async def read_params(request: web.Request) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Query parameters plus a JSON body object, as Asterisk merges them.

    Asterisk fills missing query parameters from a JSON body; for originate and
    create the body's "variables" key holds channel variables.
    """
    params = {k: v for k, v in request.query.items()}
    variables: dict[str, Any] | None = None
    if request.can_read_body:
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise AriError(400, "Request body is not valid JSON") from None
            if isinstance(body, dict):
                for key, value in body.items():
                    if key == "variables" and isinstance(value, dict):
                        variables = value
                        continue
                    if key not in params and value is not None:
                        params[key] = _as_param(value)
    if variables is not None and any(not isinstance(v, str) for v in variables.values()):
        raise AriError(400, "Only string values in the 'variables' object allowed")
    return params, variables


def _as_param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def asterisk_info(sim: Simulator) -> dict[str, Any]:
    started = ari_time_from_epoch(sim.engine.started_at)
    return {
        "build": {
            "os": "Linux",
            "kernel": "simulated",
            "options": "",
            "machine": "x86_64",
            "date": "2025-01-01 00:00:00 UTC",
            "user": "asterisk_sim",
        },
        "system": {"version": "22.10.1", "entity_id": sim.engine.registry.asterisk_id},
        "config": {
            "name": "asterisk_sim",
            "default_language": "en",
            "setid": {"user": "asterisk", "group": "asterisk"},
        },
        "status": {"startup_time": started, "last_reload_time": started},
    }


def ari_time_from_epoch(epoch: float) -> str:
    from datetime import UTC, datetime

    return ari_time(datetime.fromtimestamp(epoch, UTC))


def build_routes(sim: Simulator) -> list[web.RouteDef]:
    eng: Engine = sim.engine

    async def info(request: web.Request) -> web.Response:
        body = asterisk_info(sim)
        only = request.query.get("only")
        if only:
            body = {k: v for k, v in body.items() if k in only.split(",")}
        return reply(200, body)

    async def ping(request: web.Request) -> web.Response:
        return reply(
            200, {"asterisk_id": eng.registry.asterisk_id, "ping": "pong", "timestamp": ari_time()}
        )

    # --- applications ---------------------------------------------------------
    async def apps_list(request: web.Request) -> web.Response:
        eng.registry.collect_garbage()
        return reply(200, [eng.application_json(n) for n in eng.registry.names()])

    async def app_get(request: web.Request) -> web.Response:
        name = request.match_info["app"]
        eng.registry.collect_garbage()
        if not eng.registry.exists(name):
            raise AriError(404, "Application not found")
        return reply(200, eng.application_json(name))

    async def app_subscribe(request: web.Request) -> web.Response:
        name = request.match_info["app"]
        params, _ = await read_params(request)
        eng.subscribe(name, params.get("eventSource"), subscribe=request.method == "POST")
        return reply(200, eng.application_json(name))

    async def app_filter(request: web.Request) -> web.Response:
        name = request.match_info["app"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            raise AriError(400, "Invalid JSON body") from None
        eng.filter_events(name, body)
        return reply(200, eng.application_json(name))

    # --- channels -------------------------------------------------------------
    async def channels_list(request: web.Request) -> web.Response:
        return reply(200, [c.to_json() for c in eng.channels.values()])

    async def originate(request: web.Request) -> web.Response:
        params, variables = await read_params(request)
        if "channelId" in request.match_info:
            params["channelId"] = request.match_info["channelId"]
        return reply(200, eng.originate(params, variables))

    async def create(request: web.Request) -> web.Response:
        params, variables = await read_params(request)
        return reply(200, eng.create(params, variables))

    async def channel_get(request: web.Request) -> web.Response:
        return reply(200, eng.channel(request.match_info["channelId"]).to_json())

    async def channel_delete(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        ch = eng.channel(request.match_info["channelId"])
        cause = eng.hangup_reason(params.get("reason"), params.get("reason_code"))
        eng.hangup(ch, cause, explicit=True)
        return reply(204)

    async def answer(request: web.Request) -> web.Response:
        eng.answer(request.match_info["channelId"])
        return reply(204)

    def indicate(what: str, on: bool) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            eng.indicate(request.match_info["channelId"], what, on)
            return reply(204)

        return handler

    async def moh_start(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.start_moh(request.match_info["channelId"], params.get("mohClass"))
        return reply(204)

    async def mute(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.mute(request.match_info["channelId"], params.get("direction"),
                 on=request.method == "POST")
        return reply(204)

    async def send_dtmf(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.send_dtmf(request.match_info["channelId"], params.get("dtmf"))
        return reply(204)

    async def snoop(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        body = eng.snoop(request.match_info["channelId"], params, request.match_info.get("snoopId"))
        return reply(200, body)

    async def dial(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        timeout = int_param(params, "timeout", 0)
        eng.dial(request.match_info["channelId"], params.get("caller"), timeout)
        return reply(204)

    async def continue_(request: web.Request) -> web.Response:
        eng.continue_in_dialplan(request.match_info["channelId"])
        return reply(204)

    async def global_var(request: web.Request) -> web.Response:
        # No dialplan, no AstDB here: every global variable or function reads empty.
        return reply(200, {"value": ""})

    async def var_get(request: web.Request) -> web.Response:
        value = eng.get_var(request.match_info["channelId"], request.query.get("variable"))
        return reply(200, {"value": value})

    async def var_set(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.set_var(request.match_info["channelId"], params.get("variable"), params.get("value"))
        return reply(204)

    # --- bridges --------------------------------------------------------------
    async def bridges_list(request: web.Request) -> web.Response:
        return reply(200, [b.to_json() for b in eng.bridges.values()])

    async def bridge_create(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        br = eng.create_bridge(params, request.match_info.get("bridgeId"))
        return reply(200, br.to_json())

    async def bridge_get(request: web.Request) -> web.Response:
        return reply(200, eng.bridge(request.match_info["bridgeId"]).to_json())

    async def bridge_delete(request: web.Request) -> web.Response:
        eng.destroy_bridge(request.match_info["bridgeId"])
        return reply(204)

    async def add_channel(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.add_channels(request.match_info["bridgeId"], params.get("channel"))
        return reply(204)

    async def remove_channel(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.remove_channels(request.match_info["bridgeId"], params.get("channel"))
        return reply(204)

    async def bridge_moh(request: web.Request) -> web.Response:
        params, _ = await read_params(request)
        eng.bridge_moh(
            request.match_info["bridgeId"], params.get("mohClass"), on=request.method == "POST"
        )
        return reply(204)

    async def bridge_record(request: web.Request) -> web.Response:
        # B9: a live recording with RecordingStarted, then RecordingFinished on stop or when
        # the bridge goes (a silent wav in the engine's recording_dir when one is set).
        params, _ = await read_params(request)
        bid = request.match_info["bridgeId"]
        name, fmt = params.get("name"), params.get("format")
        if not name or not fmt:
            raise AriError(400, "Invalid parameters")
        return reply(201, eng.bridge_record(bid, name, fmt, params.get("ifExists") or "fail"))

    async def recording_live(request: web.Request) -> web.Response:
        return reply(200, eng.live_recording(request.match_info["name"]))

    async def recording_stop(request: web.Request) -> web.Response:
        eng.stop_recording(request.match_info["name"])
        return reply(204)

    r = web
    return [
        r.get("/ari/asterisk/info", info),
        r.get("/ari/asterisk/ping", ping),
        r.get("/ari/asterisk/variable", global_var),
        r.get("/ari/applications", apps_list),
        r.get("/ari/applications/{app}", app_get),
        r.post("/ari/applications/{app}/subscription", app_subscribe),
        r.delete("/ari/applications/{app}/subscription", app_subscribe),
        r.put("/ari/applications/{app}/eventFilter", app_filter),
        r.get("/ari/channels", channels_list),
        r.post("/ari/channels", originate),
        r.post("/ari/channels/create", create),
        r.get("/ari/channels/{channelId}", channel_get),
        r.post("/ari/channels/{channelId}", originate),
        r.delete("/ari/channels/{channelId}", channel_delete),
        r.post("/ari/channels/{channelId}/answer", answer),
        r.post("/ari/channels/{channelId}/ring", indicate("ring", True)),
        r.delete("/ari/channels/{channelId}/ring", indicate("ring", False)),
        r.post("/ari/channels/{channelId}/hold", indicate("hold", True)),
        r.delete("/ari/channels/{channelId}/hold", indicate("hold", False)),
        r.post("/ari/channels/{channelId}/moh", moh_start),
        r.delete("/ari/channels/{channelId}/moh", indicate("moh", False)),
        r.post("/ari/channels/{channelId}/mute", mute),
        r.delete("/ari/channels/{channelId}/mute", mute),
        r.post("/ari/channels/{channelId}/dtmf", send_dtmf),
        r.post("/ari/channels/{channelId}/snoop", snoop),
        r.post("/ari/channels/{channelId}/snoop/{snoopId}", snoop),
        r.post("/ari/channels/{channelId}/dial", dial),
        r.post("/ari/channels/{channelId}/continue", continue_),
        r.get("/ari/channels/{channelId}/variable", var_get),
        r.post("/ari/channels/{channelId}/variable", var_set),
        r.get("/ari/bridges", bridges_list),
        r.post("/ari/bridges", bridge_create),
        r.get("/ari/bridges/{bridgeId}", bridge_get),
        r.post("/ari/bridges/{bridgeId}", bridge_create),
        r.delete("/ari/bridges/{bridgeId}", bridge_delete),
        r.post("/ari/bridges/{bridgeId}/addChannel", add_channel),
        r.post("/ari/bridges/{bridgeId}/removeChannel", remove_channel),
        r.post("/ari/bridges/{bridgeId}/moh", bridge_moh),
        r.delete("/ari/bridges/{bridgeId}/moh", bridge_moh),
        r.post("/ari/bridges/{bridgeId}/record", bridge_record),
        r.get("/ari/recordings/live/{name}", recording_live),
        r.post("/ari/recordings/live/{name}/stop", recording_stop),
    ]
