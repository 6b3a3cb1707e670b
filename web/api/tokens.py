"""B6 API tokens: an administrator issues, lists and revokes integrators' bearer tokens."""

from __future__ import annotations

from aiohttp import web

from crm import tokens
from crm.models import Role
from crm.tokens import NewToken
from web.api.registry import ApiRouteTable, path_id
from web.api.schemas import TokenCreated, TokenList, TokenOut
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("API tokens")


@routes.get("/api/v1/tokens", role=Role.ADMIN, response=TokenList,
            summary="List API tokens (never their value)")
async def list_tokens(request: web.Request) -> TokenList:
    return TokenList(items=[TokenOut.build(t) for t in await tokens.list_tokens()])


@routes.post("/api/v1/tokens", role=Role.ADMIN, request=NewToken, response=TokenCreated,
             status=201, summary="Create a token for a user; the value is returned once",
             errors=(404, 422))
async def create_token(request: web.Request, body: NewToken) -> TokenCreated:
    token, plain = await tokens.create_token(body, actor=request_user(request),
                                             ip=client_ip(request))
    await token.fetch_related("user")
    return TokenCreated(**TokenOut.build(token).model_dump(), token=plain)


@routes.delete("/api/v1/tokens/{token_id}", role=Role.ADMIN, response=TokenOut,
               summary="Revoke a token (kept, marked revoked)", errors=(404,))
async def revoke_token(request: web.Request) -> TokenOut:
    token = await tokens.revoke_token(path_id(request, "token_id"),
                                      actor=request_user(request), ip=client_ip(request))
    return TokenOut.build(token)
