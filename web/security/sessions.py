"""Browser sessions: an encrypted cookie (aiohttp-session + Fernet) keyed from the settings.

The cookie holds the user id, a fingerprint of the password hash, the user's session version
and the CSRF token. The cookie alone never keeps a session alive: every request checks the
version against the user's row (loaded anyway), and the server bumps that version on logout,
password or role change, deactivation and reactivation (crm.users.end_sessions), which ends
every copy of every cookie of that user at once. It is HttpOnly, SameSite=Lax, Secure when
the site is served over HTTPS, and lives at most 12 hours from login.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from aiohttp import web
from aiohttp_session import Session, get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from crm.models import User
from crm.settings import Settings
from crm.users import password_fingerprint

SESSION_COOKIE = "prowebcrm_session"
SESSION_MAX_AGE = 12 * 3600
UID = "uid"
PASSWORD_FP = "pwv"
# The user's session_version at login: bumped on the server, it ends this session.
VERSION = "sv"
CSRF = "csrf"
FLASH = "flash"


def session_middleware_for(settings: Settings) -> Any:
    storage = EncryptedCookieStorage(
        base64.urlsafe_b64decode(settings.secret_key.encode()),
        cookie_name=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.cookie_secure,
    )
    return session_middleware(storage)


async def start_session(request: web.Request, user: User) -> str:
    """A brand-new session for ``user`` (nothing carried over: no fixation); its CSRF token."""
    session = await new_session(request)
    session[UID] = user.id
    session[PASSWORD_FP] = password_fingerprint(user)
    session[VERSION] = user.session_version
    token = secrets.token_urlsafe(32)
    session[CSRF] = token
    return token


async def end_session(request: web.Request) -> None:
    session = await get_session(request)
    session.invalidate()


def session_user_id(session: Session) -> int | None:
    uid = session.get(UID)
    return uid if isinstance(uid, int) else None


def session_matches(session: Session, user: User) -> bool:
    return (session.get(PASSWORD_FP) == password_fingerprint(user)
            and session.get(VERSION) == user.session_version)


async def flash(request: web.Request, message: str, kind: str = "success") -> None:
    """A message shown once, on the next page (post/redirect/get)."""
    session = await get_session(request)
    session[FLASH] = [*session.get(FLASH, []), [kind, message]][-5:]


async def pop_flashes(request: web.Request) -> list[tuple[str, str]]:
    session = await get_session(request)
    messages = session.pop(FLASH, [])
    return [(kind, text) for kind, text in messages]
