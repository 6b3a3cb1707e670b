"""S2/S3 administration pages: the same services through plain HTML forms."""

from __future__ import annotations

from datetime import date

from crm.clock import utcnow
from crm.models import ApiToken, AuditLog, Call, Group, GroupMember, PauseReason, Role, User
from tests.web.webtools import make_user, page_csrf

GROUP_FORM = {"name": "Sales", "number": "100", "description": "", "strategy": "ringall",
              "ring_timeout_s": "20", "wrapup_s": "5", "autopause_after": "3",
              "max_wait_s": "0", "max_callers": "0", "overflow_kind": "none",
              "overflow_target": "", "moh_class": "default", "sticky_s": "0",
              "service_level_s": "20", "active": "on", "join_empty": "on"}


async def test_admin_pages_render(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    await make_user("agent1")
    for path in ("/admin/users", "/admin/users/new", "/admin/groups", "/admin/groups/new",
                 "/admin/tokens", "/admin/audit", "/admin/reference", "/admin/users/1/history"):
        response = await client.get(path)
        assert response.status == 200, path
        html = await response.text()
        assert 'action="/logout"' in html and "hx-headers" in html
    admin_redirect = await client.get("/admin", allow_redirects=False)
    assert admin_redirect.headers["Location"] == "/admin/users"


async def test_create_user_through_the_form(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    group = await Group.create(name="Sales")
    token = await page_csrf(client, "/admin/users/new")
    response = await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "carol", "name": "Carol", "email": "", "password":
        "carol-secret", "role": "supervisor", "extension": "2001", "language": "fr",
        "active": "on", "group": str(group.id), f"penalty_{group.id}": "3"},
        allow_redirects=False)
    assert response.status == 303
    carol = await User.get(login="carol")
    assert carol.role == Role.SUPERVISOR and carol.extension == "2001" and carol.active
    member = await GroupMember.get(user=carol)
    assert member.penalty == 3
    listing = await (await client.get("/admin/users")).text()
    assert "User carol created." in listing and "Sales" in listing


async def test_user_form_reshown_with_field_errors(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    token = await page_csrf(client, "/admin/users/new")
    response = await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "a b", "name": "", "password": "short", "role": "king",
        "email": "nope"})
    assert response.status == 422
    html = await response.text()
    assert "Please correct the fields below." in html
    assert "contains characters that are not allowed" in html  # login
    assert "at least 8 characters" in html  # password
    assert "not a valid e-mail address" in html
    assert 'value="a b"' in html  # what was typed is kept
    assert await User.all().count() == 1


async def test_duplicate_login_in_form_shows_the_field(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    token = await page_csrf(client, "/admin/users/new")
    response = await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "admin", "name": "X", "password": "long-enough",
        "role": "agent"})
    assert response.status == 409
    assert "this login is already taken" in await response.text()


async def test_edit_and_delete_user_through_pages(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    agent = await make_user("agent1")
    token = await page_csrf(client, f"/admin/users/{agent.id}")
    response = await client.post(f"/admin/users/{agent.id}", data={
        "csrf_token": token, "login": "agent1", "name": "Renamed", "role": "agent",
        "active": "on", "password": ""}, allow_redirects=False)
    assert response.status == 303
    await agent.refresh_from_db()
    assert agent.name == "Renamed"
    old_hash = agent.password_hash
    assert old_hash == (await User.get(id=agent.id)).password_hash  # empty password kept it

    await Call.create(ref="c9", agent=agent, started_at=utcnow(), local_date=date.today(),
                      local_hour=8)
    response = await client.post(f"/admin/users/{agent.id}/delete", data={"csrf_token": token})
    assert response.status == 200
    assert "deactivated instead of deleted" in await response.text()
    await agent.refresh_from_db()
    assert agent.active is False


async def test_self_delete_from_page_is_refused(admin_client, admin) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    token = await page_csrf(client, "/admin/users")
    response = await client.post(f"/admin/users/{admin.id}/delete", data={"csrf_token": token})
    assert "you cannot delete your own account" in await response.text()
    assert await User.filter(id=admin.id, active=True).exists()


async def test_group_form_create_error_and_edit(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    agent = await make_user("agent1")
    token = await page_csrf(client, "/admin/groups/new")
    bad = await client.post("/admin/groups/new", data={**GROUP_FORM, "csrf_token": token,
                                                       "ring_timeout_s": "1"})
    assert bad.status == 422
    assert "must be at least 5" in await bad.text()
    assert await Group.all().count() == 0
    ok = await client.post("/admin/groups/new", data={
        **GROUP_FORM, "csrf_token": token, "member": str(agent.id),
        f"mpenalty_{agent.id}": "4"}, allow_redirects=False)
    assert ok.status == 303
    group = await Group.get(name="Sales")
    assert group.strategy.value == "ringall" and group.join_empty and group.recording.value == "off"
    assert (await GroupMember.get(group=group)).penalty == 4
    edit = await client.get(f"/admin/groups/{group.id}")
    assert 'value="Sales"' in await edit.text()
    bad_target = await client.post(f"/admin/groups/{group.id}", data={
        **GROUP_FORM, "csrf_token": token, "overflow_kind": "group",
        "overflow_target": "Nowhere"})
    assert bad_target.status == 422
    assert "no such group" in await bad_target.text()


async def test_tokens_page_create_and_revoke(admin_client, admin) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    token = await page_csrf(client, "/admin/tokens")
    response = await client.post("/admin/tokens", data={"csrf_token": token,
                                                        "user_id": str(admin.id),
                                                        "name": "erp"})
    html = await response.text()
    assert "it will not be shown again" in html
    stored = await ApiToken.get(name="erp")
    assert stored.prefix in html
    revoke = await client.post(f"/admin/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert revoke.status == 200
    await stored.refresh_from_db()
    assert stored.revoked_at is not None


async def test_reference_page_add_and_error(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    token = await page_csrf(client, "/admin/reference")
    ok = await client.post("/admin/reference/pause-reasons", data={
        "csrf_token": token, "code": "lunch", "label": "Lunch", "position": "1",
        "active": "on"}, allow_redirects=False)
    assert ok.status == 303
    assert await PauseReason.filter(code="lunch").exists()
    bad = await client.post("/admin/reference/pause-reasons", data={
        "csrf_token": token, "code": "lunch", "label": "Dup"})
    assert bad.status == 409
    assert "this code is already taken" in await bad.text()


async def test_audit_page_filters(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    html = await (await client.get("/admin/audit?actor=admin&action=auth.")).text()
    assert "auth.login" in html
    html = await (await client.get("/admin/audit?actor=nobody")).text()
    assert "No entry." in html
    assert await AuditLog.filter(action="auth.login").exists()


async def test_html_is_escaped(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    await make_user("xss", name="<script>alert(1)</script>")
    html = await (await client.get("/admin/users")).text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


async def test_user_history_previews_call_centre_activity_in_local_time(admin_client) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from crm.models import AgentState, AgentStateName, Call, CallOutcome, Direction, Role
    from tests.web.webtools import make_user

    client, _ = admin_client
    agent = await make_user("zoe", Role.AGENT, name="Zoé Agent")
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    await AgentState.create(agent_id=agent.id, state=AgentStateName.PAUSED, reason="lunch",
                            started_at=started, ended_at=started + timedelta(minutes=30),
                            local_date=started.date(), local_hour=started.hour)
    await Call.create(ref="h1", direction=Direction.INBOUND, caller_number="+33612345678",
                      agent_id=agent.id, started_at=started + timedelta(hours=1),
                      answered_at=started + timedelta(hours=1, seconds=5),
                      ended_at=started + timedelta(hours=1, seconds=125),
                      outcome=CallOutcome.ANSWERED, talk_s=120.0,
                      local_date=started.date(), local_hour=started.hour)

    response = await client.get(f"/admin/users/{agent.id}/history")
    html = await response.text()
    assert response.status == 200 and 'id="activity"' in html, html[-4000:]
    activity = html[html.index('id="activity"'):html.index("</table>", html.index('id="activity"'))]
    # the number as French agents write it (the centre's region), the duration m:ss
    assert 'data-kind="call"' in activity and "06 12 34 56 78" in activity and "2:00" in activity
    assert 'data-kind="pause"' in activity and "lunch" in activity
    from web.appkeys import SETTINGS_KEY

    answered = started + timedelta(hours=1, seconds=5)
    local = answered.astimezone(ZoneInfo(str(client.app[SETTINGS_KEY].tz)))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in activity
    assert "UTC" not in html.split('id="activity"')[1]  # the audit below is local time too


async def test_new_group_form_starts_empty(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    html = await (await client.get("/admin/groups/new")).text()
    assert "PydanticUndefined" not in html
    assert 'id="f-name" name="name" type="text" value=""' in html


async def test_default_extension_belongs_to_one_user(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    alice = await make_user("alice", name="Alice Martin", extension="2001")
    bob = await make_user("bob", name="Bob Durand", extension="2002")
    token = await page_csrf(client, "/admin/users/new")
    response = await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "carol", "name": "Carol", "password": "carol-secret",
        "role": "agent", "extension": "2001", "active": "on"})
    assert response.status == 409
    assert "already the extension of Alice Martin" in await response.text()
    assert not await User.filter(login="carol").exists()
    response = await client.post(f"/admin/users/{bob.id}", data={
        "csrf_token": token, "login": "bob", "name": "Bob Durand", "role": "agent",
        "extension": "2001", "active": "on"})
    assert response.status == 409
    assert (await User.get(id=bob.id)).extension == "2002"
    # Keeping one's own extension, or taking a free one, is fine.
    response = await client.post(f"/admin/users/{alice.id}", data={
        "csrf_token": token, "login": "alice", "name": "Alice M.", "role": "agent",
        "extension": "2001", "active": "on"}, allow_redirects=False)
    assert response.status == 303
    response = await client.post(f"/admin/users/{bob.id}", data={
        "csrf_token": token, "login": "bob", "name": "Bob Durand", "role": "agent",
        "extension": "2003", "active": "on"}, allow_redirects=False)
    assert response.status == 303
    assert (await User.get(id=bob.id)).extension == "2003"
