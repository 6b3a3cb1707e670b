"""Reference lists agents pick from (B4): pause reasons and call dispositions.

Both share one shape (code, label, active, position) and one set of rules, so one service
serves both; ``kind`` is ``"pause_reason"`` or ``"disposition"``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints
from tortoise.exceptions import IntegrityError

from crm import audit
from crm.errors import N_, Conflict, NotFound
from crm.models import (
    AgentState,
    AgentStateName,
    Call,
    Disposition,
    Intervention,
    PauseReason,
    User,
)
from crm.users import InputModel

Kind = Literal["pause_reason", "disposition"]
MODELS: dict[str, type[PauseReason] | type[Disposition]] = {
    "pause_reason": PauseReason,
    "disposition": Disposition,
}

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                        pattern=r"^[a-z0-9_-]+$")]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


OptionalLabel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class NewEntry(InputModel):
    code: Code
    label: Label  # English; the fallback when a language has no label of its own
    label_fr: OptionalLabel = ""
    active: bool = True
    position: int = Field(default=0, ge=0, le=10000)


class EntryPatch(InputModel):
    code: Code | None = None
    label: Label | None = None
    label_fr: OptionalLabel | None = None
    active: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10000)


def label_in(entry: Any, language: str) -> str:
    """The entry's label in ``language`` (English when it has none in that language)."""
    if language == "fr" and entry.label_fr:
        return str(entry.label_fr)
    return str(entry.label)


async def labels(kind: Kind, language: str) -> dict[str, str]:
    """code -> label in ``language``, inactive entries included (history shows old codes)."""
    return {e.code: label_in(e, language) for e in await MODELS[kind].all()}


async def list_entries(kind: Kind, *, active_only: bool = False) -> list[Any]:
    query = MODELS[kind].all()
    if active_only:
        query = query.filter(active=True)
    return await query.order_by("position", "code")


async def get_entry(kind: Kind, entry_id: int) -> Any:
    entry = await MODELS[kind].get_or_none(id=entry_id)
    if entry is None:
        raise NotFound(N_("entry {id} does not exist"), id=entry_id)
    return entry


async def create_entry(kind: Kind, data: NewEntry, *, actor: User, ip: str = "") -> Any:
    model = MODELS[kind]
    await _check_code_free(kind, data.code)
    try:
        entry = await model.create(**data.model_dump())
    except IntegrityError:
        raise _code_taken(data.code) from None
    await audit.record(f"{kind}.create", actor=actor, target_type=kind, target_id=entry.id,
                       details=data.model_dump(), ip=ip)
    return entry


async def update_entry(kind: Kind, entry_id: int, data: EntryPatch, *, actor: User,
                       ip: str = "") -> Any:
    entry = await get_entry(kind, entry_id)
    changes = data.model_dump(exclude_unset=True)
    if "code" in changes and changes["code"] != entry.code:
        await _check_code_free(kind, changes["code"])
    summary = {}
    for name, value in changes.items():
        if value != getattr(entry, name):
            summary[name] = {"from": getattr(entry, name), "to": value}
            setattr(entry, name, value)
    if summary:
        try:
            await entry.save()
        except IntegrityError:
            raise _code_taken(entry.code) from None
        await audit.record(f"{kind}.update", actor=actor, target_type=kind, target_id=entry.id,
                           details={"code": entry.code, "changes": summary}, ip=ip)
    return entry


async def delete_entry(kind: Kind, entry_id: int, *, actor: User, ip: str = "") -> str:
    """Returns "deleted", or "deactivated" when past calls or states refer to it."""
    entry = await get_entry(kind, entry_id)
    if await _in_use(kind, entry):
        if entry.active:
            entry.active = False
            await entry.save(update_fields=["active"])
        await audit.record(f"{kind}.deactivate", actor=actor, target_type=kind,
                           target_id=entry.id, details={"code": entry.code}, ip=ip)
        return "deactivated"
    code = entry.code
    await entry.delete()
    await audit.record(f"{kind}.delete", actor=actor, target_type=kind, target_id=entry_id,
                       details={"code": code}, ip=ip)
    return "deleted"


async def _in_use(kind: Kind, entry: Any) -> bool:
    if kind == "disposition":
        return (await Call.filter(disposition_id=entry.id).exists()
                or await Intervention.filter(disposition_id=entry.id).exists())
    # Agent states keep the reason as text, the code at the time.
    return await AgentState.filter(state=AgentStateName.PAUSED, reason=entry.code).exists()


async def _check_code_free(kind: Kind, code: str) -> None:
    if await MODELS[kind].filter(code=code).exists():
        raise _code_taken(code)


def _code_taken(code: str) -> Conflict:
    return Conflict(N_("the code {code} is already taken"), code=code,
                    fields={"code": N_("this code is already taken")})
