"""The one login procedure behind both the login page and the JSON login.

Order matters: the throttle is checked before the password (so a blocked caller learns
nothing), every outcome is audited, and only a full success opens a new session.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from crm import audit
from crm.models import User
from crm.users import authenticate, end_sessions
from web.appkeys import LOGIN_AUDIT_KEY, LOGIN_THROTTLE_KEY
from web.security.auth import client_ip, current_user
from web.security.ratelimit import AuditBudget, LoginThrottle
from web.security.sessions import end_session, start_session

# Anonymous callers write audit rows (failed and blocked logins): these bound how many.
ANONYMOUS_AUDIT_ROWS_PER_MINUTE = 120


@dataclass
class LoginAudit:
    """Failed logins: every one is audited up to the global cap per minute. Blocked
    logins: one row per account per throttle window (the row counts the ones it stands
    for), under the same kind of cap."""

    failed: AuditBudget
    blocked: AuditBudget

    @classmethod
    def default(cls) -> LoginAudit:
        return cls(failed=AuditBudget(60.0, ANONYMOUS_AUDIT_ROWS_PER_MINUTE),
                   blocked=AuditBudget(LoginThrottle.ACCOUNT_WINDOW_S,
                                       ANONYMOUS_AUDIT_ROWS_PER_MINUTE))


@dataclass(frozen=True)
class LoginAttempt:
    user: User | None
    # "ok", "bad_credentials", "inactive" or "rate_limited"
    outcome: str
    csrf_token: str = ""
    retry_after: int = 0


async def attempt_login(request: web.Request, login: str, password: str) -> LoginAttempt:
    throttle = request.app[LOGIN_THROTTLE_KEY]
    budget = request.app[LOGIN_AUDIT_KEY]
    ip = client_ip(request)
    login = login.strip()[:64]
    wait = await throttle.retry_after(login, ip)
    if wait:
        write, skipped = budget.blocked.allow(login.lower())
        if write:
            await audit.record("auth.login_blocked", actor=None, target_type="login",
                               target_id=login,
                               details={"retry_after_s": wait, **_unlogged(skipped)},
                               ip=ip)
        return LoginAttempt(None, "rate_limited", retry_after=wait)
    result = await authenticate(login, password)
    if result.outcome != "ok" or result.user is None:
        await throttle.failed(login, ip)
        write, skipped = budget.failed.allow()
        if write:
            await audit.record("auth.login_failed", actor=None, target_type="login",
                               target_id=login,
                               details={"reason": result.outcome, **_unlogged(skipped)},
                               ip=ip)
        return LoginAttempt(None, result.outcome)
    await throttle.succeeded(login, ip)
    token = await start_session(request, result.user)
    await audit.record("auth.login", actor=result.user, target_type="user",
                       target_id=result.user.id, details={"method": "password"}, ip=ip)
    return LoginAttempt(result.user, "ok", csrf_token=token)


def _unlogged(skipped: int) -> dict[str, int]:
    return {"earlier_unlogged": skipped} if skipped else {}


async def logout(request: web.Request) -> None:
    user = current_user(request)
    if user is not None:
        await audit.record("auth.logout", actor=user, target_type="user", target_id=user.id,
                           ip=client_ip(request))
        # Server-side: a copy of the cookie (another browser, a stolen one) dies too. API
        # tokens are separate credentials an administrator issued: they stay.
        await end_sessions(user, revoke_tokens=False)
    await end_session(request)
