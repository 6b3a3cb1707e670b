"""Health for a load balancer or a service manager: is this process the active ACD, and does
the database answer. With two processes (active / stand-by), a reverse proxy sends traffic
to the one answering 200 here, so agents' and supervisors' ACD requests reach the active one.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel
from tortoise import Tortoise

from web.api.registry import ApiRouteTable
from web.appkeys import RUNTIME_KEY, SETTINGS_KEY

routes = ApiRouteTable("Health")


class HealthOut(BaseModel):
    acd: str  # active | standby | off (no ARI configured)
    database: str  # ok | down


@routes.get("/api/v1/health", role=None, response=HealthOut, errors=(503,),
            summary="200 when this process serves the ACD (or runs without one), 503 on a "
                    "stand-by or with the database down")
async def health(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    if not settings.ari_configured:
        acd = "off"
    else:
        acd = "active" if request.app[RUNTIME_KEY] is not None else "standby"
    try:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
        database = "ok"
    except Exception:
        database = "down"
    status = 200 if acd != "standby" and database == "ok" else 503
    return web.json_response(HealthOut(acd=acd, database=database).model_dump(), status=status)
