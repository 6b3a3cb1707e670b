"""API tokens for integrators (B6): shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from crm import audit
from crm.clock import utcnow
from crm.errors import N_, NotFound
from crm.ids import MAX_ID
from crm.models import ApiToken, User
from crm.textcheck import check_printable
from crm.users import InputModel, get_user

TOKEN_PREFIX = "pwc_"
PREFIX_LENGTH = 12
# Writing last_used_at on every call would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
                      AfterValidator(check_printable)]


class NewToken(InputModel):
    user_id: int = Field(ge=1, le=MAX_ID)
    name: TokenName


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(data: NewToken, *, actor: User, ip: str = "") -> tuple[ApiToken, str]:
    """The new token and its only plain-text copy, for the caller to show once."""
    user = await get_user(data.user_id)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = await ApiToken.create(
        user=user, name=data.name, token_hash=_digest(plain), prefix=plain[:PREFIX_LENGTH]
    )
    await audit.record("token.create", actor=actor, target_type="user", target_id=user.id,
                       details={"token_id": token.id, "name": token.name, "login": user.login,
                                "prefix": token.prefix}, ip=ip)
    return token, plain


async def list_tokens(*, user_id: int | None = None, include_revoked: bool = True
                      ) -> list[ApiToken]:
    query = ApiToken.all().prefetch_related("user")
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if not include_revoked:
        query = query.filter(revoked_at__isnull=True)
    return await query.order_by("-created_at", "-id")


async def get_token(token_id: int) -> ApiToken:
    token = await ApiToken.get_or_none(id=token_id).prefetch_related("user")
    if token is None:
        raise NotFound(N_("token {id} does not exist"), id=token_id)
    return token


async def revoke_token(token_id: int, *, actor: User, ip: str = "") -> ApiToken:
    token = await get_token(token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await token.save(update_fields=["revoked_at"])
        await audit.record("token.revoke", actor=actor, target_type="user",
                           target_id=token.user.id,
                           details={"token_id": token.id, "name": token.name,
                                    "login": token.user.login, "prefix": token.prefix}, ip=ip)
    return token


async def authenticate_token(plain: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked, user inactive)."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = await ApiToken.get_or_none(token_hash=_digest(plain), revoked_at__isnull=True
                                       ).prefetch_related("user")
    if token is None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        await token.save(update_fields=["last_used_at"])
    return token.user
