"""Response bodies of the JSON API (request bodies are the crm input models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm.models import (
    ApiToken,
    AuditLog,
    Group,
    GroupMember,
    OverflowKind,
    RecordingMode,
    Role,
    Strategy,
    User,
)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Out):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class ErrorOut(Out):
    error: ErrorDetail


class Pagination(BaseModel):
    """?limit=&offset= on every list."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


class UserQuery(Pagination):
    search: str = Field(default="", max_length=64)
    role: Role | None = None
    active: bool | None = None


class AuditQuery(Pagination):
    actor: str = Field(default="", max_length=64, description="actor login")
    action: str = Field(default="", max_length=64, description="action prefix, e.g. user.")


class MembershipOut(Out):
    group_id: int
    group_name: str
    penalty: int


class UserOut(Out):
    id: int
    login: str
    name: str
    email: str
    role: Role
    active: bool
    extension: str
    language: str
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    groups: list[MembershipOut]

    @classmethod
    def build(cls, user: User, memberships: list[GroupMember]) -> UserOut:
        return cls(
            id=user.id, login=user.login, name=user.name, email=user.email, role=user.role,
            active=user.active, extension=user.extension, language=user.language,
            created_at=user.created_at, updated_at=user.updated_at,
            last_login_at=user.last_login_at,
            groups=[MembershipOut(group_id=m.group.id, group_name=m.group.name,
                                  penalty=m.penalty) for m in memberships],
        )


class UserList(Out):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class SessionOut(Out):
    user: UserOut
    csrf_token: str = Field(description="send it as X-CSRF-Token on POST/PATCH/DELETE")
    landing: str = Field(description="the page this user's role lands on")


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ResultOut(Out):
    result: Literal["deleted", "deactivated", "logged_out"]
    message: str


class MemberOut(Out):
    user_id: int
    login: str
    name: str
    penalty: int


class GroupOut(Out):
    id: int
    name: str
    number: str | None
    outbound_caller_id: str | None = Field(
        description='what outside numbers see on this group\'s outbound legs: "Name" <number> '
                    "or a number; null: the global PROWEBCRM_OUTBOUND_CALLER_ID")
    description: str
    strategy: Strategy
    ring_timeout_s: int
    retry_s: int = Field(description="seconds before an agent who missed a caller (no answer, "
                                     "busy, refused) is offered that caller again")
    wrapup_s: int
    autopause_after: int
    max_wait_s: int
    max_callers: int
    overflow_kind: OverflowKind
    overflow_target: str = Field(
        description="kind=group: the target group's id; kind=number: an E.164 number")
    moh_class: str
    join_empty: bool
    leave_when_empty: bool
    sticky_s: int
    recording: RecordingMode = Field(
        description="B9: off, all (every conversation), on_demand (the agent presses Record)")
    service_level_s: int
    wrapup_extend_s: int
    wrapup_requires_outcome: bool
    wait_warn_s: int
    wait_alert_s: int
    sl_warn_pct: int
    sl_alert_pct: int
    active: bool
    created_at: datetime
    updated_at: datetime
    members: list[MemberOut]

    @classmethod
    def build(cls, group: Group, members: list[GroupMember]) -> GroupOut:
        values = {name: getattr(group, name) for name in cls.model_fields if name != "members"}
        return cls(**values, members=[
            MemberOut(user_id=m.user.id, login=m.user.login, name=m.user.name,
                      penalty=m.penalty) for m in members
        ])


class GroupList(Out):
    items: list[GroupOut]
    total: int
    limit: int
    offset: int


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    user_id: int
    user_login: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def build(cls, token: ApiToken) -> TokenOut:
        return cls(id=token.id, name=token.name, prefix=token.prefix, user_id=token.user.id,
                   user_login=token.user.login, created_at=token.created_at,
                   last_used_at=token.last_used_at, revoked_at=token.revoked_at)


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; only its SHA-256 is stored")


class TokenList(Out):
    items: list[TokenOut]


class AuditEntryOut(Out):
    id: int
    at: datetime
    actor_id: int | None
    actor_login: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    ip: str

    @classmethod
    def build(cls, entry: AuditLog) -> AuditEntryOut:
        return cls(id=entry.id, at=entry.at, actor_id=entry.actor_id,
                   actor_login=entry.actor_login, action=entry.action,
                   target_type=entry.target_type, target_id=entry.target_id,
                   details=entry.details if isinstance(entry.details, dict) else {},
                   ip=entry.ip)


class AuditList(Out):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class EntryOut(Out):
    id: int
    code: str
    label: str = Field(description="English, and the label of languages without their own")
    label_fr: str
    active: bool
    position: int

    @classmethod
    def build(cls, entry: Any) -> EntryOut:
        return cls(id=entry.id, code=entry.code, label=entry.label, label_fr=entry.label_fr,
                   active=entry.active, position=entry.position)


class EntryList(Out):
    items: list[EntryOut]
