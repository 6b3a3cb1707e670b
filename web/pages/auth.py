"""S1 pages: the login form, logout, the language switch and the landing redirect."""

from __future__ import annotations

from aiohttp import web

from crm.models import Role
from crm.users import set_language as save_user_language
from web.acd_exit import OnCall, leave_acd
from web.i18n import LANG_COOKIE, LANGUAGES, gettext
from web.pages.common import form_data, redirect, text
from web.render import render
from web.security.auth import (
    current_user,
    landing_for,
    public,
    request_user,
    require_role,
    safe_next,
)
from web.security.login import attempt_login, logout
from web.security.sessions import flash

routes = web.RouteTableDef()


@routes.get("/")
@public
async def home(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    raise redirect(landing_for(user) if user else "/login")


@routes.get("/login")
@public
async def login_form(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    next_path = safe_next(request.query.get("next"))
    if user is not None:
        raise redirect(next_path or landing_for(user))
    return await render(request, "auth/login.html",
                        {"next": next_path or "", "login": "", "error": ""})


@routes.post("/login")
@public
async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    login, password = text(form, "login"), text(form, "password")
    next_path = safe_next(text(form, "next"))
    if not login.strip() or not password:
        return await _form_again(request, login, next_path,
                                 gettext("Enter your login and your password."), 400)
    attempt = await attempt_login(request, login, password)
    if attempt.outcome == "rate_limited":
        response = await _form_again(
            request, login, next_path,
            gettext("Too many failed attempts. Try again in %(s)s seconds.")
            % {"s": attempt.retry_after}, 429)
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    if attempt.user is None:
        message = (gettext("This account is deactivated. Ask an administrator.")
                   if attempt.outcome == "inactive" else gettext("Wrong login or password."))
        return await _form_again(request, login, next_path, message, 401)
    raise redirect(next_path or landing_for(attempt.user))


async def _form_again(request: web.Request, login: str, next_path: str | None, error: str,
                      status: int) -> web.Response:
    return await render(request, "auth/login.html",
                        {"next": next_path or "", "login": login[:64], "error": error},
                        status=status)


@routes.post("/logout")
@require_role(Role.AGENT)
async def logout_submit(request: web.Request) -> web.StreamResponse:
    """S9 from any page: leave the ACD first; refused during a call, with a message."""
    try:
        await leave_acd(request.app, request_user(request).id)
    except OnCall:
        await flash(request, gettext("You are on a call: finish it (and its wrap-up) "
                                     "before logging out."), "error")
        raise redirect("/agent") from None
    await logout(request)
    raise redirect("/login")


@routes.post("/lang")
@public
async def switch_language(request: web.Request) -> web.StreamResponse:
    form = await form_data(request)
    language = text(form, "lang")
    target = safe_next(text(form, "next")) or "/"
    response = redirect(target)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="Lax",
                            httponly=True)
        user = current_user(request)
        if user is not None:
            # The user's own setting wins over the cookie, so the switch must change it too.
            await save_user_language(user, language)
    raise response
