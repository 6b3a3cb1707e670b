"""Users (S2/S3): accounts, roles, group memberships, authentication and action history.

Input models live here, not in ``web``, so every caller (API, pages, CLI seeding) gets the same
rules. Every change is written to the audit log with a summary of what changed; passwords are
never logged, only the fact that one was set.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from crm import audit, revisions
from crm.clock import utcnow
from crm.dialstrings import OptionalExtension
from crm.errors import N_, Conflict, InvalidInput, NotAllowed, NotFound
from crm.ids import MAX_ID
from crm.models import (
    AgentState,
    ApiToken,
    AuditLog,
    Call,
    Group,
    GroupMember,
    Intervention,
    Offer,
    Role,
    User,
)
from crm.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    password_problem,
    verify_password,
)
from crm.transactions import retry_on_lock_conflict

LOGIN_PATTERN = r"^[A-Za-z0-9._-]+$"
# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is not our call.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_PENALTY = 1000

Login = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=64, pattern=LOGIN_PATTERN),
]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
Password = Annotated[str, StringConstraints(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]
Language = Literal["", "fr", "en"]


def _check_email(value: str | None) -> str | None:
    if value and not EMAIL_RE.match(value):
        raise ValueError(N_("not a valid e-mail address"))
    return value


class InputModel(BaseModel):
    """Strict about unknown fields, and ``null`` never means "leave unchanged"."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(N_("must not be null"))
        return value


class Membership(InputModel):
    group_id: int = Field(ge=1, le=MAX_ID)
    penalty: int = Field(default=0, ge=0, le=MAX_PENALTY)


def _unique_groups(value: list[Membership] | None) -> list[Membership] | None:
    if value is not None:
        ids = [m.group_id for m in value]
        if len(ids) != len(set(ids)):
            raise ValueError(N_("a group is listed twice"))
    return value


def _check_password(value: str | None, info: ValidationInfo) -> str | None:
    if value is not None:
        problem = password_problem(value, login=info.data.get("login") or "")
        if problem:
            raise ValueError(problem)
    return value


class NewUser(InputModel):
    login: Login
    name: PersonName
    email: Email = ""
    password: Password
    role: Role = Role.AGENT
    active: bool = True
    extension: OptionalExtension = ""
    language: Language = ""
    groups: list[Membership] = Field(default_factory=list, max_length=500)

    _email = field_validator("email")(_check_email)
    _groups = field_validator("groups")(_unique_groups)
    _password = field_validator("password")(_check_password)


class UserPatch(InputModel):
    login: Login | None = None
    name: PersonName | None = None
    email: Email | None = None
    password: Password | None = None
    role: Role | None = None
    active: bool | None = None
    extension: OptionalExtension | None = None
    language: Language | None = None
    groups: list[Membership] | None = Field(default=None, max_length=500)

    _email = field_validator("email")(_check_email)
    _groups = field_validator("groups")(_unique_groups)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # "ok", "bad_credentials" or "inactive"
    outcome: str


@dataclass(frozen=True)
class DeleteResult:
    # "deleted", or "deactivated" when history must be kept
    outcome: str
    reason: str = ""


_AUDITED_FIELDS = ("login", "name", "email", "role", "active", "extension", "language")


def password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so sessions opened before a change stop working."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


async def authenticate(login: str, password: str) -> LoginResult:
    user = await User.get_or_none(login=login.strip()) if login.strip() else None
    # verify_password runs even for unknown logins so timing does not reveal which exist.
    ok = await verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        return LoginResult(None, "bad_credentials")
    if not user.active:
        return LoginResult(user, "inactive")
    user.last_login_at = utcnow()
    await user.save(update_fields=["last_login_at"])
    return LoginResult(user, "ok")


async def get_user(user_id: int) -> User:
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound(N_("user {id} does not exist"), id=user_id)
    return user


async def find_by_login(login: str) -> User | None:
    return await User.get_or_none(login=login)


async def get_active_user(user_id: int) -> User | None:
    return await User.get_or_none(id=user_id, active=True)


async def list_users(
    *,
    limit: int = 50,
    offset: int = 0,
    search: str = "",
    role: Role | None = None,
    active: bool | None = None,
) -> tuple[list[User], int]:
    query = User.all()
    if search:
        query = query.filter(Q(login__icontains=search) | Q(name__icontains=search))
    if role is not None:
        query = query.filter(role=role)
    if active is not None:
        query = query.filter(active=active)
    total = await query.count()
    rows = await query.order_by("login").offset(offset).limit(limit)
    return rows, total


async def memberships_of(user_ids: list[int]) -> dict[int, list[GroupMember]]:
    """Group memberships (with their group loaded) per user, in one query."""
    result: dict[int, list[GroupMember]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return result
    rows = await GroupMember.filter(user_id__in=user_ids).prefetch_related("group")
    for row in sorted(rows, key=lambda m: m.group.name):
        result[row.user_id].append(row)
    return result


async def create_user(data: NewUser, *, actor: User | None, ip: str = "") -> User:
    await _check_login_free(data.login)
    await check_extension_free(data.extension)
    await _check_groups_exist([m.group_id for m in data.groups])
    password_hash = await hash_password(data.password)

    async def insert() -> User:
        async with in_transaction("default"):
            user = await User.create(
                login=data.login,
                name=data.name,
                email=data.email,
                password_hash=password_hash,
                role=data.role,
                active=data.active,
                extension=data.extension,
                language=data.language,
            )
            await _set_memberships(user, data.groups, new=True)
            return user

    try:
        user = await retry_on_lock_conflict(insert)
    except IntegrityError:
        raise _login_taken(data.login) from None
    details = {name: _plain(getattr(user, name)) for name in _AUDITED_FIELDS}
    details["groups"] = _membership_summary(data.groups)
    await audit.record("user.create", actor=actor, target_type="user", target_id=user.id,
                       details=details, ip=ip)
    if data.groups:
        await revisions.bump(revisions.ACD_CONFIG)  # the running ACD takes it within a second
    return user


async def update_user(user_id: int, data: UserPatch, *, actor: User, ip: str = "") -> User:
    user = await get_user(user_id)
    changes = data.model_dump(exclude_unset=True)
    if user.id == actor.id:
        if "role" in changes and changes["role"] != user.role:
            raise NotAllowed(N_("you cannot change your own role"),
                             fields={"role": N_("you cannot change your own role")})
        if changes.get("active") is False:
            raise NotAllowed(N_("you cannot deactivate your own account"),
                             fields={"active": N_("you cannot deactivate your own account")})
    if "login" in changes and changes["login"] != user.login:
        await _check_login_free(changes["login"])
    await _check_password_against_login(user, data)
    if changes.get("extension") and changes["extension"] != user.extension:
        await check_extension_free(changes["extension"], user.id)
    if data.groups is not None:
        await _check_groups_exist([m.group_id for m in data.groups])

    summary: dict[str, Any] = {}
    changed = ["updated_at"]
    for name in _AUDITED_FIELDS:
        if name in changes and changes[name] != getattr(user, name):
            summary[name] = {"from": _plain(getattr(user, name)), "to": _plain(changes[name])}
            setattr(user, name, changes[name])
            changed.append(name)
    if data.password is not None:
        user.password_hash = await hash_password(data.password)
        summary["password"] = "changed"
        changed.append("password_hash")
    async def write() -> None:
        async with in_transaction("default"):
            # Only what changed: a full save would write back a stale session_version over
            # a logout that happened meanwhile.
            await user.save(update_fields=changed)
            if data.groups is not None:
                before = await _current_memberships(user.id)
                after = _membership_summary(data.groups)
                if before != after:
                    await _set_memberships(user, data.groups)
                    summary["groups"] = {"from": before, "to": after}

    try:
        await retry_on_lock_conflict(write)
    except IntegrityError:
        raise _login_taken(user.login) from None
    details: dict[str, Any] = {"login": user.login, "changes": summary}
    if any(name in summary for name in CREDENTIAL_CHANGES):
        details["sessions_ended"] = True
        details["tokens_revoked"] = await end_sessions(user)
    if summary:
        await audit.record("user.update", actor=actor, target_type="user", target_id=user.id,
                           details=details, ip=ip)
    if "groups" in summary or "active" in summary:
        await revisions.bump(revisions.ACD_CONFIG)  # the running ACD takes it within a second
    return user


# What a session or a token was granted on: when one of these changes, every session and
# every API token of the user ends (a reactivated user, too, starts from a new login).
CREDENTIAL_CHANGES = ("password", "role", "active")


async def end_sessions(user: User, *, revoke_tokens: bool = True) -> int:
    """Ends every browser session of ``user`` at once, everywhere, and (unless told not to)
    revokes their API tokens; returns how many tokens were revoked. The caller's own audit
    row says why.

    Sessions: the cookie carries the user's ``session_version`` from login, and every request
    compares it with the row it loads anyway (web.security.auth), so one UPDATE here ends
    them all with no extra query per request. Tokens are marked revoked, visibly, in the
    token list rather than silently failing."""
    await User.filter(id=user.id).update(session_version=F("session_version") + 1)
    await user.refresh_from_db(fields=["session_version"])
    if not revoke_tokens:
        return 0
    return await ApiToken.filter(user_id=user.id, revoked_at__isnull=True).update(
        revoked_at=utcnow())


async def delete_user(user_id: int, *, actor: User, ip: str = "") -> DeleteResult:
    user = await get_user(user_id)
    if user.id == actor.id:
        raise NotAllowed(N_("you cannot delete your own account"))
    reason = await _history_reason(user)
    if reason:
        if user.active:
            user.active = False
            await user.save(update_fields=["active", "updated_at"])
        revoked = await end_sessions(user)
        await audit.record("user.deactivate", actor=actor, target_type="user",
                           target_id=user.id,
                           details={"login": user.login, "reason": reason,
                                    "sessions_ended": True, "tokens_revoked": revoked}, ip=ip)
        await revisions.bump(revisions.ACD_CONFIG)
        return DeleteResult("deactivated", reason)
    login = user.login
    await user.delete()
    await audit.record("user.delete", actor=actor, target_type="user", target_id=user_id,
                       details={"login": login}, ip=ip)
    await revisions.bump(revisions.ACD_CONFIG)
    return DeleteResult("deleted")


async def set_language(user: User, language: str) -> None:
    if language in ("", "fr", "en") and user.language != language:
        user.language = language
        await user.save(update_fields=["language", "updated_at"])


async def user_history(user_id: int, *, limit: int = 50, offset: int = 0
                       ) -> tuple[list[AuditLog], int]:
    """S3's action history: what the user did, and what was done to their account."""
    query = AuditLog.filter(Q(actor_id=user_id) | Q(target_type="user", target_id=str(user_id)))
    total = await query.count()
    rows = await query.order_by("-at", "-id").offset(offset).limit(limit)
    return rows, total


async def _history_reason(user: User) -> str:
    checks = (
        (Call.filter(agent_id=user.id), "calls"),
        (Offer.filter(agent_id=user.id), "call offers"),
        (AgentState.filter(agent_id=user.id), "agent states"),
        (Intervention.filter(agent_id=user.id), "interventions"),
        (AuditLog.filter(actor_id=user.id), "audit entries"),
    )
    for query, label in checks:
        if await query.exists():
            return label
    return ""


async def _check_password_against_login(user: User, data: UserPatch) -> None:
    """The rule "not the login" holds whichever of the two changes."""
    login = data.login or user.login
    if data.password is not None:
        problem = password_problem(data.password, login=login)
        if problem:
            raise InvalidInput(problem, fields={"password": problem})
    elif data.login is not None and data.login != user.login and await verify_password(
            user.password_hash, data.login):
        message = N_("the password must not be the login")
        raise InvalidInput(message, fields={"login": message})


async def _check_login_free(login: str) -> None:
    if await User.filter(login=login).exists():
        raise _login_taken(login)


async def extension_owner(extension: str, exclude_user_id: int | None = None) -> User | None:
    """The active user whose default phone extension this is (one phone, one person)."""
    if not extension:
        return None
    query = User.filter(extension=extension, active=True)
    if exclude_user_id is not None:
        query = query.exclude(id=exclude_user_id)
    return await query.first()


async def check_extension_free(extension: str, exclude_user_id: int | None = None) -> None:
    """Two people with one default extension would have both their calls ring one phone."""
    owner = await extension_owner(extension, exclude_user_id)
    if owner is not None:
        raise Conflict(N_("extension {extension} already belongs to {name}"),
                       extension=extension, name=owner.name or owner.login,
                       fields={"extension": N_("already the extension of {name}")})


def _login_taken(login: str) -> Conflict:
    return Conflict(N_("the login {login} is already taken"), login=login,
                    fields={"login": N_("this login is already taken")})


async def _check_groups_exist(group_ids: list[int]) -> None:
    if not group_ids:
        return
    found = set(await Group.filter(id__in=group_ids).values_list("id", flat=True))
    missing = sorted(set(group_ids) - found)
    if missing:
        raise InvalidInput(N_("unknown group id(s): {ids}"),
                           ids=", ".join(map(str, missing)),
                           fields={"groups": N_("unknown group")})


async def _set_memberships(user: User, groups: list[Membership], *, new: bool = False
                           ) -> None:
    # A new user has no rows to delete; the DELETE would still take InnoDB gap locks that
    # deadlock concurrent creations.
    if not new:
        await GroupMember.filter(user_id=user.id).delete()
    if groups:
        await GroupMember.bulk_create([
            GroupMember(user_id=user.id, group_id=member.group_id, penalty=member.penalty,
                        position=position)
            for position, member in enumerate(groups)])


async def _current_memberships(user_id: int) -> list[dict[str, int]]:
    rows = await GroupMember.filter(user_id=user_id).order_by("group_id")
    return [{"group_id": r.group_id, "penalty": r.penalty} for r in rows]


def _membership_summary(groups: list[Membership]) -> list[dict[str, int]]:
    return sorted(({"group_id": m.group_id, "penalty": m.penalty} for m in groups),
                  key=lambda m: m["group_id"])


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Role) else value
