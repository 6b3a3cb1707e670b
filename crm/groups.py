"""Groups (S2/S3, C8): a group is a queue, with every queue setting and its members."""

from __future__ import annotations

from typing import Annotated, Any, cast

from pydantic import Field, StringConstraints, field_validator
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crm import audit, revisions
from crm.dialstrings import CALLER_ID_PATTERN
from crm.errors import N_, Conflict, InvalidInput, NotFound
from crm.ids import MAX_ID
from crm.models import Call, Group, GroupMember, OverflowKind, RecordingMode, Strategy, User
from crm.phones import InvalidPhoneNumber, normalize
from crm.stats.rollups import SL_THRESHOLDS
from crm.users import MAX_PENALTY, InputModel

GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
GroupNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32,
                                               pattern=r"^[0-9]*$")]
# What a group's outbound legs present (see CALLER_ID_PATTERN), or empty for the global one.
OutboundCallerId = Annotated[str, StringConstraints(
    strip_whitespace=True, max_length=80, pattern=CALLER_ID_PATTERN.replace("^(", "^(|", 1))]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
MohClass = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9_.-]+$")]
OverflowTarget = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class Member(InputModel):
    user_id: int = Field(ge=1, le=MAX_ID)
    penalty: int = Field(default=0, ge=0, le=MAX_PENALTY)


def _unique_members(value: list[Member] | None) -> list[Member] | None:
    if value is not None:
        ids = [m.user_id for m in value]
        if len(ids) != len(set(ids)):
            raise ValueError(N_("a user is listed twice"))
    return value


class NewGroup(InputModel):
    name: GroupName
    # Empty means no number; the dialplan then names the group by its name.
    number: GroupNumber = ""
    description: Description = ""
    # Empty: the global PROWEBCRM_OUTBOUND_CALLER_ID applies.
    outbound_caller_id: OutboundCallerId = ""
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout_s: int = Field(default=20, ge=5, le=300)
    # At least 1 s: a phone that answers busy in milliseconds must not be rung in a loop.
    retry_s: int = Field(default=5, ge=1, le=3600)
    wrapup_s: int = Field(default=10, ge=0, le=3600)
    autopause_after: int = Field(default=3, ge=0, le=100)
    max_wait_s: int = Field(default=0, ge=0, le=86400)
    max_callers: int = Field(default=0, ge=0, le=10000)
    overflow_kind: OverflowKind = OverflowKind.NONE
    overflow_target: OverflowTarget = ""
    moh_class: MohClass = "default"
    join_empty: bool = True
    leave_when_empty: bool = False
    sticky_s: int = Field(default=0, ge=0, le=86400)
    recording: RecordingMode = RecordingMode.OFF
    service_level_s: int = Field(default=20, ge=1, le=3600)
    wrapup_extend_s: int = Field(default=30, ge=5, le=600)
    wrapup_requires_outcome: bool = False
    wait_warn_s: int = Field(default=30, ge=1, le=86400)
    wait_alert_s: int = Field(default=60, ge=1, le=86400)
    sl_warn_pct: int = Field(default=80, ge=0, le=100)
    sl_alert_pct: int = Field(default=60, ge=0, le=100)
    active: bool = True
    members: list[Member] = Field(default_factory=list, max_length=5000)

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[Member]) -> list[Member]:
        return _unique_members(value) or []

    @field_validator("service_level_s")
    @classmethod
    def _service_level(cls, value: int) -> int:
        return _stored_threshold(value)


class GroupPatch(InputModel):
    name: GroupName | None = None
    number: GroupNumber | None = None
    outbound_caller_id: OutboundCallerId | None = None
    description: Description | None = None
    strategy: Strategy | None = None
    ring_timeout_s: int | None = Field(default=None, ge=5, le=300)
    retry_s: int | None = Field(default=None, ge=1, le=3600)
    wrapup_s: int | None = Field(default=None, ge=0, le=3600)
    autopause_after: int | None = Field(default=None, ge=0, le=100)
    max_wait_s: int | None = Field(default=None, ge=0, le=86400)
    max_callers: int | None = Field(default=None, ge=0, le=10000)
    overflow_kind: OverflowKind | None = None
    overflow_target: OverflowTarget | None = None
    moh_class: MohClass | None = None
    join_empty: bool | None = None
    leave_when_empty: bool | None = None
    sticky_s: int | None = Field(default=None, ge=0, le=86400)
    recording: RecordingMode | None = None
    service_level_s: int | None = Field(default=None, ge=1, le=3600)
    wrapup_extend_s: int | None = Field(default=None, ge=5, le=600)
    wrapup_requires_outcome: bool | None = None
    wait_warn_s: int | None = Field(default=None, ge=1, le=86400)
    wait_alert_s: int | None = Field(default=None, ge=1, le=86400)
    sl_warn_pct: int | None = Field(default=None, ge=0, le=100)
    sl_alert_pct: int | None = Field(default=None, ge=0, le=100)
    active: bool | None = None
    members: list[Member] | None = Field(default=None, max_length=5000)

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[Member] | None) -> list[Member] | None:
        return _unique_members(value)

    @field_validator("service_level_s")
    @classmethod
    def _service_level(cls, value: int | None) -> int | None:
        return None if value is None else _stored_threshold(value)


def _stored_threshold(value: int) -> int:
    # The statistics keep answered-within-T counts for these T only: any other T would
    # make every service-level report fall back to scanning raw calls (slow on a big history).
    if value not in SL_THRESHOLDS:
        raise ValueError("choose one of " + ", ".join(map(str, SL_THRESHOLDS)) + " seconds")
    return value


SETTING_FIELDS = tuple(name for name in NewGroup.model_fields if name != "members")


async def get_group(group_id: int) -> Group:
    group = await Group.get_or_none(id=group_id)
    if group is None:
        raise NotFound(N_("group {id} does not exist"), id=group_id)
    return group


async def list_groups(
    *, limit: int = 50, offset: int = 0, active: bool | None = None
) -> tuple[list[Group], int]:
    query = Group.all()
    if active is not None:
        query = query.filter(active=active)
    total = await query.count()
    rows = await query.order_by("name").offset(offset).limit(limit)
    return rows, total


async def all_groups() -> list[Group]:
    return await Group.all().order_by("name")


async def members_of(group_ids: list[int]) -> dict[int, list[GroupMember]]:
    """Members (with their user loaded) per group, in one query."""
    result: dict[int, list[GroupMember]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return result
    rows = await GroupMember.filter(group_id__in=group_ids).prefetch_related("user")
    for row in sorted(rows, key=lambda m: (m.penalty, m.user.login)):
        result[row.group_id].append(row)
    return result


async def create_group(data: NewGroup, *, actor: User | None, region: str = "FR",
                       ip: str = "") -> Group:
    values = data.model_dump(exclude={"members"})
    values["number"] = values["number"] or None
    values["outbound_caller_id"] = values["outbound_caller_id"] or None
    await _check_unique(values["name"], values["number"])
    values["overflow_target"] = await _overflow_target(
        values["overflow_kind"], values["overflow_target"], region, self_id=None
    )
    _check_policy(values)
    await _check_users_exist([m.user_id for m in data.members])
    try:
        async with in_transaction("default"):
            group = await Group.create(**values)
            await _set_members(group, data.members)
    except IntegrityError:
        raise _taken(values["name"], values["number"]) from None
    details = {name: _plain(getattr(group, name)) for name in SETTING_FIELDS}
    details["members"] = _member_summary(data.members)
    await audit.record("group.create", actor=actor, target_type="group", target_id=group.id,
                       details=details, ip=ip)
    await revisions.bump(revisions.ACD_CONFIG)  # the running ACD takes it within a second
    return group


async def update_group(group_id: int, data: GroupPatch, *, actor: User, region: str = "FR",
                       ip: str = "") -> Group:
    group = await get_group(group_id)
    changes = data.model_dump(exclude_unset=True, exclude={"members"})
    if "number" in changes:
        changes["number"] = changes["number"] or None
    if "outbound_caller_id" in changes:
        changes["outbound_caller_id"] = changes["outbound_caller_id"] or None
    await _check_unique(changes.get("name"), changes.get("number"), exclude_id=group.id)
    kind = changes.get("overflow_kind", group.overflow_kind)
    target = changes.get("overflow_target", group.overflow_target)
    if "overflow_kind" in changes or "overflow_target" in changes:
        changes["overflow_target"] = await _overflow_target(kind, target, region,
                                                            self_id=group.id)
    _check_policy({name: changes.get(name, getattr(group, name)) for name in POLICY_FIELDS})
    if data.members is not None:
        await _check_users_exist([m.user_id for m in data.members])

    summary: dict[str, Any] = {}
    for name, value in changes.items():
        if value != getattr(group, name):
            summary[name] = {"from": _plain(getattr(group, name)), "to": _plain(value)}
            setattr(group, name, value)
    try:
        async with in_transaction("default"):
            await group.save()
            if data.members is not None:
                before = await _current_members(group.id)
                after = _member_summary(data.members)
                if before != after:
                    await _set_members(group, data.members)
                    summary["members"] = {"from": before, "to": after}
    except IntegrityError:
        raise _taken(group.name, group.number) from None
    if summary:
        await audit.record("group.update", actor=actor, target_type="group", target_id=group.id,
                           details={"name": group.name, "changes": summary}, ip=ip)
        await revisions.bump(revisions.ACD_CONFIG)
    return group


async def delete_group(group_id: int, *, actor: User, ip: str = "") -> str:
    """Returns "deleted", or "deactivated" when calls refer to the group (history is kept)."""
    group = await get_group(group_id)
    # tortoise types flat values_list as tuples
    dependants = cast("list[str]", await Group.filter(
        overflow_kind=OverflowKind.GROUP, overflow_target=str(group.id)
    ).exclude(id=group.id).values_list("name", flat=True))
    if dependants:
        raise Conflict(N_("groups {names} overflow to this group; change them first"),
                       names=", ".join(sorted(dependants)))
    if await Call.filter(group_id=group.id).exists():
        if group.active:
            group.active = False
            await group.save(update_fields=["active", "updated_at"])
        await audit.record("group.deactivate", actor=actor, target_type="group",
                           target_id=group.id,
                           details={"name": group.name, "reason": "calls"}, ip=ip)
        await revisions.bump(revisions.ACD_CONFIG)
        return "deactivated"
    name = group.name
    await group.delete()
    await audit.record("group.delete", actor=actor, target_type="group", target_id=group_id,
                       details={"name": name}, ip=ip)
    await revisions.bump(revisions.ACD_CONFIG)
    return "deleted"


async def _overflow_target(kind: OverflowKind, target: str, region: str,
                           self_id: int | None) -> str:
    """The stored target: a group's id for kind=group, E.164 for kind=number, else empty."""
    target = (target or "").strip()
    if kind == OverflowKind.GROUP:
        if not target:
            raise _bad_target(N_("choose the group calls overflow to"))
        # A name made of digits is possible, so an id that matches nothing falls back to names.
        by_id = target.isascii() and target.isdigit() and len(target) <= 9  # not "²"
        other = await Group.filter(id=int(target)).first() if by_id else None
        if other is None:
            other = await Group.filter(name=target).first()
        if other is None:
            raise _bad_target(N_("no such group"))
        if self_id is not None and other.id == self_id:
            raise _bad_target(N_("a group cannot overflow to itself"))
        return str(other.id)
    if kind == OverflowKind.NUMBER:
        try:
            return normalize(target, region)
        except InvalidPhoneNumber:
            raise _bad_target(N_("not a valid phone number")) from None
    return ""


POLICY_FIELDS = ("wrapup_s", "wrapup_requires_outcome", "wait_warn_s", "wait_alert_s",
                 "sl_warn_pct", "sl_alert_pct")


def _check_policy(values: dict[str, Any]) -> None:
    """Settings that only make sense together (a form may change any one of them)."""
    if values["wrapup_requires_outcome"] and not values["wrapup_s"]:
        # Without a wrap-up time the agent is offered the next call at once: nothing
        # would wait for the outcome.
        raise InvalidInput(N_("an outcome can be required only with a wrap-up time"),
                           fields={"wrapup_requires_outcome": N_(
                               "give the group a wrap-up time first")})
    if values["wait_alert_s"] < values["wait_warn_s"]:
        raise InvalidInput(N_("the red wait threshold is below the amber one"),
                           fields={"wait_alert_s": N_("must be at least the amber threshold")})
    if values["sl_alert_pct"] > values["sl_warn_pct"]:
        raise InvalidInput(N_("the red service level threshold is above the amber one"),
                           fields={"sl_alert_pct": N_("must be at most the amber threshold")})


def _bad_target(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"overflow_target": message})


async def _check_unique(name: str | None, number: str | None, exclude_id: int | None = None
                        ) -> None:
    query = Group.all() if exclude_id is None else Group.exclude(id=exclude_id)
    if name is not None and await query.filter(name=name).exists():
        raise Conflict(N_("the group name {name} is already taken"), name=name,
                       fields={"name": N_("this name is already taken")})
    if number and await query.filter(number=number).exists():
        raise Conflict(N_("the group number {number} is already taken"), number=number,
                       fields={"number": N_("this number is already taken")})


def _taken(name: str, number: str | None) -> Conflict:
    return Conflict(N_("the group name or number is already taken"),
                    fields={"name": N_("this name is already taken")})


async def _check_users_exist(user_ids: list[int]) -> None:
    if not user_ids:
        return
    found = set(await User.filter(id__in=user_ids).values_list("id", flat=True))
    missing = sorted(set(user_ids) - found)
    if missing:
        raise InvalidInput(N_("unknown user id(s): {ids}"), ids=", ".join(map(str, missing)),
                           fields={"members": N_("unknown user")})


async def _set_members(group: Group, members: list[Member]) -> None:
    await GroupMember.filter(group_id=group.id).delete()
    for position, member in enumerate(members):
        await GroupMember.create(group_id=group.id, user_id=member.user_id,
                                 penalty=member.penalty, position=position)


async def _current_members(group_id: int) -> list[dict[str, int]]:
    rows = await GroupMember.filter(group_id=group_id).order_by("user_id")
    return [{"user_id": r.user_id, "penalty": r.penalty} for r in rows]


def _member_summary(members: list[Member]) -> list[dict[str, int]]:
    return sorted(({"user_id": m.user_id, "penalty": m.penalty} for m in members),
                  key=lambda m: m["user_id"])


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Strategy | OverflowKind) else value
