"""The lease that lets exactly one process run the ACD of a Stasis application name.

Rows are changed by compare-and-swap only (an UPDATE whose WHERE names what the caller last
saw), so two processes can never both believe they hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from crm.models import AcdLease


@dataclass(frozen=True)
class LeaseState:
    holder: str  # "" when released
    beat: int


async def read(name: str) -> LeaseState | None:
    row = await AcdLease.get_or_none(name=name)
    return LeaseState(row.holder, row.beat) if row is not None else None


async def take(name: str, holder: str, seen: LeaseState | None) -> bool:
    """Take the lease if it is still exactly as ``seen`` (None: no row yet)."""
    now = datetime.now(UTC)
    if seen is None:
        try:
            await AcdLease.create(name=name, holder=holder, beat=1, updated_at=now)
            return True
        except IntegrityError:
            return False
    changed = await AcdLease.filter(name=name, holder=seen.holder, beat=seen.beat).update(
        holder=holder, beat=seen.beat + 1, updated_at=now)
    return changed == 1


async def renew(name: str, holder: str, beat: int) -> bool:
    """The holder's heartbeat; False when somebody else holds the lease now."""
    changed = await AcdLease.filter(name=name, holder=holder).update(
        beat=beat, updated_at=datetime.now(UTC))
    return changed == 1


async def release(name: str, holder: str) -> None:
    await AcdLease.filter(name=name, holder=holder).update(holder="", updated_at=datetime.now(UTC))
