"""What the command line does with the database, through the crm services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from crm import db as crm_db
from crm.errors import CrmError
from prowebcrm.settings import Settings

if TYPE_CHECKING:
    from crm.stats.rollups import RebuildResult


class CommandFailed(Exception):
    """Shown to the operator as one line."""


async def ensure_schema(settings: Settings) -> None:
    """Refuse to run on a database that is unreachable or not migrated, with one clear line."""
    await crm_db.init_db(settings.database_url)
    await crm_db.close_db()
    pending = await crm_db.pending_migrations(settings.database_url)
    if pending:
        raise CommandFailed(
            f"the database schema is not up to date ({len(pending)} migration(s) pending): "
            "run `prowebcrm migrate` first"
        )


async def create_user(settings: Settings, login: str, name: str, role: str, password: str) -> int:
    from crm.users import NewUser
    from crm.users import create_user as create

    await ensure_schema(settings)
    try:
        data = NewUser(login=login, name=name, role=role, password=password)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise CommandFailed(f"{field}: {first['msg']}") from None
    await crm_db.init_db(settings.database_url)
    try:
        user = await create(data, actor=None, ip="command line")
    except CrmError as exc:
        raise CommandFailed(exc.message) from None
    finally:
        await crm_db.close_db()
    return user.id


async def rebuild_stats(
    settings: Settings,
    start: date | None,
    end: date | None,
    progress: Callable[[str], None],
) -> RebuildResult | None:
    """Recompute every rollup from the raw records: the whole history when no date is
    given; None when there is nothing to rebuild."""
    from crm.stats import rollups

    await ensure_schema(settings)
    await crm_db.init_db(settings.database_url)
    try:
        if start is None and end is None:
            return await rollups.rebuild_all(settings.tz, progress)
        if start is None:
            start = await rollups.first_local_date()
            if start is None:
                return None
        if end is None:
            end = datetime.now(settings.tz).date()
        return await rollups.rebuild_rollups(start, end, settings.tz, progress)
    except CrmError as exc:
        raise CommandFailed(exc.message) from None
    finally:
        await crm_db.close_db()


async def purge_recordings(settings: Settings, days: int) -> int:
    """B9: delete the recordings older than ``days`` (files and rows)."""
    from crm import recordings

    await ensure_schema(settings)
    await crm_db.init_db(settings.database_url)
    try:
        return await recordings.purge(settings.recordings_dir, days)
    finally:
        await crm_db.close_db()
