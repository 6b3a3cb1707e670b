"""B9: call recordings — the file itself (with HTTP Range: browsers seek in it) and the
supervisor's call history with a player per recorded segment.

Who hears what: supervisors and administrators every recording, and may download them; an
agent only the recordings of calls they took (another's answers 404, as one that does not
exist, so ids reveal nothing).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from crm import recordings
from crm.models import Role
from web.api.registry import parse_id
from web.appkeys import SETTINGS_KEY
from web.formatting import duration, phone_display
from web.pages.common import pages_info, pagination
from web.render import render
from web.security.auth import request_user, require_role

routes = web.RouteTableDef()


@routes.get("/recordings/{recording_id}")
@require_role(Role.AGENT)
async def recording_file(request: web.Request) -> web.StreamResponse:
    recording_id = parse_id(request.match_info["recording_id"])
    if recording_id is None:
        raise web.HTTPNotFound()
    user = request_user(request)
    row = await recordings.get_for(user, recording_id)
    if row is None or row.status.value != "ok":
        raise web.HTTPNotFound()
    download = request.query.get("download") == "1"
    if download and not Role(user.role).at_least(Role.SUPERVISOR):
        raise web.HTTPForbidden(text="only supervisors download recordings")
    try:
        path = recordings.file_path(request.app[SETTINGS_KEY].recordings_dir, row.name)
    except ValueError:
        raise web.HTTPNotFound() from None
    if not path.is_file():
        raise web.HTTPNotFound(text="the file of this recording is gone (retention?)")
    headers = {"Content-Type": "audio/wav", "Cache-Control": "private, max-age=3600",
               "Accept-Ranges": "bytes"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="recording-{row.id}.wav"'
    # FileResponse answers Range requests (206 + Content-Range) and If-Range by itself.
    return web.FileResponse(path, headers=headers)


@routes.get("/recordings")
@require_role(Role.SUPERVISOR)
async def recordings_page(request: web.Request) -> web.StreamResponse:
    page = pagination(request, page_size=50)
    agent_id = parse_id(request.query.get("agent", "")) if request.query.get("agent") else None
    rows, total = await recordings.history(limit=page.limit, offset=page.offset,
                                           agent_id=agent_id)
    region = request.app[SETTINGS_KEY].default_region
    items: list[dict[str, Any]] = [{
        "id": r.recording.id, "started_at": r.recording.started_at,
        "duration": duration(r.recording.duration_s),
        "status": r.recording.status, "error": r.recording.error,
        "caller": phone_display(r.caller_number, region) if r.caller_number else "",
        "agent": r.agent_name, "group": r.group_name, "client_id": r.client_id,
        "playable": r.recording.status == "ok",
    } for r in rows]
    base = f"/recordings?agent={agent_id}&" if agent_id else "/recordings?"
    return await render(request, "supervision/recordings.html", {
        "items": items, "page": pages_info(total, page), "base": base,
        "tz": request.app[SETTINGS_KEY].tz,
    })
