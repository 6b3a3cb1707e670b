"""S2/S3 users over JSON: list, create, read, change, delete (or deactivate), history."""

from __future__ import annotations

from aiohttp import web

from crm import users
from crm.models import Role, User
from crm.users import NewUser, UserPatch
from web.api.registry import ApiRouteTable, path_id
from web.api.schemas import (
    AuditEntryOut,
    AuditList,
    Pagination,
    ResultOut,
    UserList,
    UserOut,
    UserQuery,
)
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Users")


async def user_out(user: User) -> UserOut:
    memberships = await users.memberships_of([user.id])
    return UserOut.build(user, memberships[user.id])


@routes.get("/api/v1/users", role=Role.ADMIN, query=UserQuery, response=UserList,
            summary="List users (filter by search text, role, active)")
async def list_users(request: web.Request, query: UserQuery) -> UserList:
    rows, total = await users.list_users(limit=query.limit, offset=query.offset,
                                         search=query.search, role=query.role,
                                         active=query.active)
    memberships = await users.memberships_of([u.id for u in rows])
    return UserList(items=[UserOut.build(u, memberships[u.id]) for u in rows], total=total,
                    limit=query.limit, offset=query.offset)


@routes.post("/api/v1/users", role=Role.ADMIN, request=NewUser, response=UserOut, status=201,
             summary="Create a user, with group memberships", errors=(409, 422))
async def create_user(request: web.Request, body: NewUser) -> UserOut:
    user = await users.create_user(body, actor=request_user(request), ip=client_ip(request))
    return await user_out(user)


@routes.get("/api/v1/users/{user_id}", role=Role.ADMIN, response=UserOut,
            summary="One user", errors=(404,))
async def get_user(request: web.Request) -> UserOut:
    return await user_out(await users.get_user(path_id(request, "user_id")))


@routes.patch("/api/v1/users/{user_id}", role=Role.ADMIN, request=UserPatch, response=UserOut,
              summary="Change a user; `groups` replaces all memberships",
              errors=(403, 404, 409, 422))
async def update_user(request: web.Request, body: UserPatch) -> UserOut:
    user = await users.update_user(path_id(request, "user_id"), body,
                                   actor=request_user(request), ip=client_ip(request))
    return await user_out(user)


@routes.delete("/api/v1/users/{user_id}", role=Role.ADMIN, response=ResultOut,
               summary="Delete a user; one with history (calls, states, audit…) is deactivated",
               errors=(403, 404))
async def delete_user(request: web.Request) -> ResultOut:
    outcome = await users.delete_user(path_id(request, "user_id"),
                                      actor=request_user(request), ip=client_ip(request))
    if outcome.outcome == "deactivated":
        return ResultOut(result="deactivated",
                         message=f"the user has history ({outcome.reason}) so it was "
                                 "deactivated instead of deleted; its history is kept")
    return ResultOut(result="deleted", message="the user was deleted")


@routes.get("/api/v1/users/{user_id}/history", role=Role.ADMIN, query=Pagination,
            response=AuditList, summary="S3 action history: entries by or about the user",
            errors=(404,))
async def user_history(request: web.Request, query: Pagination) -> AuditList:
    user = await users.get_user(path_id(request, "user_id"))
    rows, total = await users.user_history(user.id, limit=query.limit, offset=query.offset)
    return AuditList(items=[AuditEntryOut.build(r) for r in rows], total=total,
                     limit=query.limit, offset=query.offset)
