"""Revision counters: how a process learns that something it caches changed in another one.

The ACD keeps groups and memberships in memory; the web (possibly another process) bumps
``ACD_CONFIG`` after changing them, and the active ACD reloads when it sees a new value.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from crm.models import Revision

ACD_CONFIG = "acd_config"


async def bump(name: str) -> None:
    """One more change (atomic: concurrent bumps are all counted)."""
    if await Revision.filter(name=name).update(value=F("value") + 1):
        return
    try:
        await Revision.create(name=name, value=1)
    except IntegrityError:  # created meanwhile by another process
        await Revision.filter(name=name).update(value=F("value") + 1)


async def current(name: str) -> int:
    row = await Revision.get_or_none(name=name)
    return row.value if row is not None else 0
