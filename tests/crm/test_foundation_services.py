"""crm services behind administration: users, groups, tokens, reference lists."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm import groups, reference, tokens, users
from crm.clock import utcnow
from crm.errors import Conflict, InvalidInput, NotAllowed, NotFound
from crm.models import AgentState, AgentStateName, ApiToken, AuditLog, Role, User


async def _admin() -> User:
    return await users.create_user(users.NewUser(login="root", name="Root",
                                                 password="root-pass", role=Role.ADMIN),
                                   actor=None)


async def test_authenticate_outcomes(db: str) -> None:
    await _admin()
    assert (await users.authenticate("root", "root-pass")).outcome == "ok"
    assert (await users.authenticate("root", "wrong-pass")).outcome == "bad_credentials"
    assert (await users.authenticate("nobody", "root-pass")).outcome == "bad_credentials"
    root = await User.get(login="root")
    assert root.last_login_at is not None
    root.active = False
    await root.save()
    assert (await users.authenticate("root", "root-pass")).outcome == "inactive"


async def test_user_rules(db: str) -> None:
    admin = await _admin()
    with pytest.raises(Conflict) as taken:
        await users.create_user(users.NewUser(login="root", name="X", password="x-pass-w0"),
                                actor=admin)
    assert "login" in taken.value.fields
    with pytest.raises(InvalidInput):
        await users.create_user(users.NewUser(login="bob", name="B", password="x-pass-w0",
                                              groups=[users.Membership(group_id=42)]),
                                actor=admin)
    assert not await User.filter(login="bob").exists()
    with pytest.raises(NotAllowed):
        await users.update_user(admin.id, users.UserPatch(role=Role.AGENT), actor=admin)
    with pytest.raises(NotAllowed):
        await users.delete_user(admin.id, actor=admin)
    with pytest.raises(NotFound):
        await users.get_user(999)


async def test_delete_without_history_deletes_with_history_deactivates(db: str) -> None:
    admin = await _admin()
    fresh = await users.create_user(users.NewUser(login="fresh", name="F", password="x-pass-w0"),
                                    actor=admin)
    assert (await users.delete_user(fresh.id, actor=admin)).outcome == "deleted"
    worker = await users.create_user(users.NewUser(login="worker", name="W", password="x-pass-w0"),
                                     actor=admin)
    await AgentState.create(agent=worker, state=AgentStateName.AVAILABLE, started_at=utcnow(),
                            local_date=utcnow().date(), local_hour=0)
    result = await users.delete_user(worker.id, actor=admin)
    assert result.outcome == "deactivated" and result.reason == "agent states"
    assert not (await User.get(id=worker.id)).active
    entries, total = await users.user_history(worker.id)
    assert [e.action for e in entries] == ["user.deactivate", "user.create"] and total == 2


async def test_group_overflow_and_delete_rules(db: str) -> None:
    admin = await _admin()
    backup = await groups.create_group(groups.NewGroup(name="Backup"), actor=admin)
    main = await groups.create_group(groups.NewGroup(
        name="Main", overflow_kind="group", overflow_target="Backup"), actor=admin)
    assert main.overflow_target == str(backup.id)
    with pytest.raises(InvalidInput):
        await groups.update_group(main.id, groups.GroupPatch(overflow_target="Main"),
                                  actor=admin)
    with pytest.raises(Conflict):
        await groups.delete_group(backup.id, actor=admin)  # Main overflows to it
    cleared = await groups.update_group(main.id, groups.GroupPatch(overflow_kind="goodbye"),
                                        actor=admin)
    assert cleared.overflow_target == ""
    assert await groups.delete_group(backup.id, actor=admin) == "deleted"


async def test_tokens(db: str) -> None:
    admin = await _admin()
    token, plain = await tokens.create_token(tokens.NewToken(user_id=admin.id, name="erp"),
                                             actor=admin)
    stored = await ApiToken.get(id=token.id)
    assert plain.startswith(stored.prefix) and plain not in stored.token_hash
    assert (await tokens.authenticate_token(plain)).id == admin.id
    first_use = (await ApiToken.get(id=token.id)).last_used_at
    assert first_use is not None
    await tokens.authenticate_token(plain)  # within a minute: not written again
    assert (await ApiToken.get(id=token.id)).last_used_at == first_use
    stored.last_used_at = utcnow() - timedelta(minutes=5)
    await stored.save()
    await tokens.authenticate_token(plain)
    assert (await ApiToken.get(id=token.id)).last_used_at > stored.last_used_at
    assert await tokens.authenticate_token("pwc_wrong") is None
    await tokens.revoke_token(token.id, actor=admin)
    assert await tokens.authenticate_token(plain) is None
    assert {e.action for e in await AuditLog.filter(action__startswith="token.")} == {
        "token.create", "token.revoke"}


async def test_reference_in_use_is_deactivated(db: str) -> None:
    admin = await _admin()
    entry = await reference.create_entry("pause_reason", reference.NewEntry(
        code="lunch", label="Lunch"), actor=admin)
    await AgentState.create(agent=admin, state=AgentStateName.PAUSED, reason="lunch",
                            started_at=utcnow(), local_date=utcnow().date(), local_hour=0)
    assert await reference.delete_entry("pause_reason", entry.id, actor=admin) == "deactivated"
    other = await reference.create_entry("disposition", reference.NewEntry(
        code="sale", label="Sale"), actor=admin)
    assert await reference.delete_entry("disposition", other.id, actor=admin) == "deleted"
