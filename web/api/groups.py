"""S2/S3 groups (queues, C8) over JSON."""

from __future__ import annotations

from aiohttp import web

from crm import groups
from crm.groups import GroupPatch, NewGroup
from crm.models import Group, Role
from web.api.registry import ApiRouteTable, path_id
from web.api.schemas import GroupList, GroupOut, Pagination, ResultOut
from web.appkeys import SETTINGS_KEY
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Groups")


async def group_out(group: Group) -> GroupOut:
    members = await groups.members_of([group.id])
    return GroupOut.build(group, members[group.id])


@routes.get("/api/v1/groups", role=Role.SUPERVISOR, query=Pagination, response=GroupList,
            summary="List groups with their settings and members")
async def list_groups(request: web.Request, query: Pagination) -> GroupList:
    rows, total = await groups.list_groups(limit=query.limit, offset=query.offset)
    members = await groups.members_of([g.id for g in rows])
    return GroupList(items=[GroupOut.build(g, members[g.id]) for g in rows], total=total,
                     limit=query.limit, offset=query.offset)


@routes.post("/api/v1/groups", role=Role.ADMIN, request=NewGroup, response=GroupOut,
             status=201, summary="Create a group (queue) with members", errors=(409, 422))
async def create_group(request: web.Request, body: NewGroup) -> GroupOut:
    group = await groups.create_group(body, actor=request_user(request),
                                      region=request.app[SETTINGS_KEY].default_region,
                                      ip=client_ip(request))
    return await group_out(group)


@routes.get("/api/v1/groups/{group_id}", role=Role.SUPERVISOR, response=GroupOut,
            summary="One group", errors=(404,))
async def get_group(request: web.Request) -> GroupOut:
    return await group_out(await groups.get_group(path_id(request, "group_id")))


@routes.patch("/api/v1/groups/{group_id}", role=Role.ADMIN, request=GroupPatch,
              response=GroupOut, summary="Change a group; `members` replaces all members",
              errors=(404, 409, 422))
async def update_group(request: web.Request, body: GroupPatch) -> GroupOut:
    group = await groups.update_group(path_id(request, "group_id"), body,
                                      actor=request_user(request),
                                      region=request.app[SETTINGS_KEY].default_region,
                                      ip=client_ip(request))
    return await group_out(group)


@routes.delete("/api/v1/groups/{group_id}", role=Role.ADMIN, response=ResultOut,
               summary="Delete a group; one with call history is deactivated",
               errors=(404, 409))
async def delete_group(request: web.Request) -> ResultOut:
    outcome = await groups.delete_group(path_id(request, "group_id"),
                                        actor=request_user(request), ip=client_ip(request))
    if outcome == "deactivated":
        return ResultOut(result="deactivated", message="the group has call history so it was "
                                                       "deactivated instead of deleted")
    return ResultOut(result="deleted", message="the group was deleted")
