"""B4 reference lists over JSON: pause reasons and dispositions (same shape, same routes)."""

from __future__ import annotations

from aiohttp import web

from crm import reference
from crm.models import Role
from crm.reference import EntryPatch, Kind, NewEntry
from web.api.registry import ApiRouteTable, path_id
from web.api.schemas import EntryList, EntryOut, ResultOut
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Pause reasons and dispositions")

PATHS: dict[Kind, tuple[str, str]] = {
    "pause_reason": ("/api/v1/pause-reasons", "pause reason"),
    "disposition": ("/api/v1/dispositions", "disposition"),
}


def _register(kind: Kind, base: str, label: str) -> None:
    @routes.get(base, role=Role.AGENT, response=EntryList, summary=f"List {label}s")
    async def list_entries(request: web.Request) -> EntryList:
        return EntryList(items=[EntryOut.build(e) for e in await reference.list_entries(kind)])

    @routes.post(base, role=Role.ADMIN, request=NewEntry, response=EntryOut, status=201,
                 summary=f"Create a {label}", errors=(409, 422))
    async def create_entry(request: web.Request, body: NewEntry) -> EntryOut:
        entry = await reference.create_entry(kind, body, actor=request_user(request),
                                             ip=client_ip(request))
        return EntryOut.build(entry)

    @routes.patch(base + "/{entry_id}", role=Role.ADMIN, request=EntryPatch,
                  response=EntryOut, summary=f"Change a {label}", errors=(404, 409, 422))
    async def update_entry(request: web.Request, body: EntryPatch) -> EntryOut:
        entry = await reference.update_entry(kind, path_id(request, "entry_id"), body,
                                             actor=request_user(request),
                                             ip=client_ip(request))
        return EntryOut.build(entry)

    @routes.delete(base + "/{entry_id}", role=Role.ADMIN, response=ResultOut,
                   summary=f"Delete a {label}; one already used is deactivated",
                   errors=(404,))
    async def delete_entry(request: web.Request) -> ResultOut:
        outcome = await reference.delete_entry(kind, path_id(request, "entry_id"),
                                               actor=request_user(request),
                                               ip=client_ip(request))
        if outcome == "deactivated":
            return ResultOut(result="deactivated",
                             message=f"the {label} is already used, so it was deactivated")
        return ResultOut(result="deleted", message=f"the {label} was deleted")


for _kind, (_base, _label) in PATHS.items():
    _register(_kind, _base, _label)
