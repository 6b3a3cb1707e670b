"""The audit log (B8): every administrative or forced action, and S3's per-user history."""

from __future__ import annotations

from typing import Any

from crm.clock import utcnow
from crm.models import AuditLog, User


async def record(
    action: str,
    *,
    actor: User | None,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditLog:
    return await AuditLog.create(
        at=utcnow(),
        actor=actor,
        actor_login=actor.login if actor else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=details or {},
        ip=ip,
    )


async def history(
    *,
    actor_id: int | None = None,
    target: tuple[str, str | int] | None = None,
    action_prefix: str = "",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditLog], int]:
    """A page of entries, newest first, and the total count for pagination."""
    query = AuditLog.all()
    if actor_id is not None:
        query = query.filter(actor_id=actor_id)
    if target is not None:
        query = query.filter(target_type=target[0], target_id=str(target[1]))
    if action_prefix:
        query = query.filter(action__startswith=action_prefix)
    total = await query.count()
    rows = await query.order_by("-at", "-id").offset(offset).limit(limit)
    return rows, total
