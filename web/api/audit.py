"""B8: the audit log, newest first, filtered by actor login and action prefix."""

from __future__ import annotations

from aiohttp import web

from crm import audit
from crm.models import Role
from crm.users import find_by_login
from web.api.registry import ApiRouteTable
from web.api.schemas import AuditEntryOut, AuditList, AuditQuery

routes = ApiRouteTable("Audit log")


async def audit_page(query: AuditQuery) -> AuditList:
    """Shared by the API and the audit page."""
    actor_id: int | None = None
    if query.actor:
        actor = await find_by_login(query.actor)
        if actor is None:
            return AuditList(items=[], total=0, limit=query.limit, offset=query.offset)
        actor_id = actor.id
    rows, total = await audit.history(actor_id=actor_id, action_prefix=query.action,
                                      limit=query.limit, offset=query.offset)
    return AuditList(items=[AuditEntryOut.build(r) for r in rows], total=total,
                     limit=query.limit, offset=query.offset)


@routes.get("/api/v1/audit", role=Role.ADMIN, query=AuditQuery, response=AuditList,
            summary="Audit log entries, newest first")
async def list_audit(request: web.Request, query: AuditQuery) -> AuditList:
    return await audit_page(query)
