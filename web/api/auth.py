"""S1 over JSON: log in (opens a browser session), log out, who am I."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from crm.models import Role
from crm.users import memberships_of
from web.acd_exit import ON_CALL_MESSAGE, OnCall, leave_acd
from web.api.registry import ApiRouteTable
from web.api.schemas import LoginIn, ResultOut, SessionOut, UserOut
from web.errors import ApiError
from web.security.auth import landing_for, request_user
from web.security.csrf import csrf_token
from web.security.login import attempt_login, logout

routes = ApiRouteTable("Authentication")

_FAILURES = {
    "bad_credentials": "wrong login or password",
    "inactive": "this account is deactivated; ask an administrator",
}


# CSRF-exempt because a cross-site HTML form cannot send Content-Type: application/json
# (it would need a CORS preflight we never grant), and this route accepts nothing else.
@routes.post("/api/v1/auth/login", role=None, request=LoginIn, response=SessionOut,
             csrf_exempt=True, summary="Log in with login and password; sets the session cookie",
             errors=(400, 401, 422, 429))
async def login(request: web.Request, body: LoginIn) -> SessionOut:
    attempt = await attempt_login(request, body.login, body.password)
    if attempt.outcome == "rate_limited":
        raise ApiError(429, "rate_limited",
                       f"too many failed logins; try again in {attempt.retry_after} s",
                       headers={"Retry-After": str(attempt.retry_after)})
    if attempt.user is None:
        raise ApiError(401, "unauthorized", _FAILURES.get(attempt.outcome, "login refused"))
    memberships = await memberships_of([attempt.user.id])
    return SessionOut(user=UserOut.build(attempt.user, memberships[attempt.user.id]),
                      csrf_token=attempt.csrf_token, landing=landing_for(attempt.user))


@routes.post("/api/v1/auth/logout", role=Role.AGENT, response=ResultOut,
             summary="S9: leave the call distribution, then end the session (refused "
                     "during a call)", errors=(409,))
async def logout_api(request: web.Request) -> ResultOut:
    try:
        await leave_acd(request.app, request_user(request).id)
    except OnCall:
        raise ApiError(409, "on_call", ON_CALL_MESSAGE) from None
    await logout(request)
    return ResultOut(result="logged_out", message="logged out")


@routes.get("/api/v1/auth/me", role=Role.AGENT, response=SessionOut,
            summary="The logged-in user, and the CSRF token to send on changes")
async def me(request: web.Request) -> SessionOut:
    user = request_user(request)
    memberships = await memberships_of([user.id])
    # A bearer-token caller has no session, hence no CSRF token to give.
    token = await csrf_token(request) if (await get_session(request)).get("uid") else ""
    return SessionOut(user=UserOut.build(user, memberships[user.id]), csrf_token=token,
                      landing=landing_for(user))
