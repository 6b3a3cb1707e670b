"""S2/S3 over the JSON API: users and groups CRUD, bad input matrix, delete vs deactivate."""

from __future__ import annotations

from datetime import date

from crm.clock import utcnow
from crm.models import AuditLog, Call, Group, GroupMember, Role, User
from tests.web.webtools import make_user

NEW_USER = {"login": "bob.smith", "name": "Bob Smith", "password": "secret-pass",
            "role": "agent", "email": "bob@example.com", "extension": "1001"}


async def test_user_crud_through_the_api(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    sales = await (await client.post("/api/v1/groups", json={"name": "Sales"}, headers=h)).json()
    created = await client.post("/api/v1/users", headers=h, json={
        **NEW_USER, "groups": [{"group_id": sales["id"], "penalty": 2}]})
    assert created.status == 201
    user = await created.json()
    assert user["login"] == "bob.smith" and user["extension"] == "1001"
    assert user["groups"] == [{"group_id": sales["id"], "group_name": "Sales", "penalty": 2}]
    assert "password" not in user

    listed = await (await client.get("/api/v1/users?search=bob")).json()
    assert [u["login"] for u in listed["items"]] == ["bob.smith"] and listed["total"] == 1

    changed = await client.patch(f"/api/v1/users/{user['id']}", headers=h, json={
        "role": "supervisor", "groups": [], "password": "new-secret-1"})
    assert changed.status == 200
    body = await changed.json()
    assert body["role"] == "supervisor" and body["groups"] == []

    entry = await AuditLog.filter(action="user.update").first()
    assert entry is not None
    assert entry.details["changes"]["role"] == {"from": "agent", "to": "supervisor"}
    assert entry.details["changes"]["password"] == "changed"
    assert "new-secret-1" not in str(entry.details)
    create_entry = await AuditLog.get(action="user.create", target_id=str(user["id"]))
    assert "secret-pass" not in str(create_entry.details)

    deleted = await client.delete(f"/api/v1/users/{user['id']}", headers=h)
    assert (await deleted.json())["result"] == "deleted"
    assert not await User.filter(login="bob.smith").exists()
    assert (await client.get(f"/api/v1/users/{user['id']}")).status == 404


async def test_delete_user_with_history_deactivates(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    agent = await make_user("agent1")
    await Call.create(ref="c1", agent=agent, started_at=utcnow(), local_date=date.today(),
                      local_hour=10)
    response = await client.delete(f"/api/v1/users/{agent.id}", headers={"X-CSRF-Token": csrf})
    assert response.status == 200
    body = await response.json()
    assert body["result"] == "deactivated" and "history" in body["message"]
    await agent.refresh_from_db()
    assert agent.active is False
    assert await AuditLog.filter(action="user.deactivate", target_id=str(agent.id)).exists()


async def test_admin_cannot_delete_or_demote_themselves(admin_client, admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    assert (await client.delete(f"/api/v1/users/{admin.id}", headers=h)).status == 403
    response = await client.patch(f"/api/v1/users/{admin.id}", headers=h, json={"role": "agent"})
    assert response.status == 403
    assert "role" in (await response.json())["error"]["fields"]
    response = await client.patch(f"/api/v1/users/{admin.id}", headers=h, json={"active": False})
    assert response.status == 403
    await admin.refresh_from_db()
    assert admin.role == Role.ADMIN and admin.active


BAD_USERS = [
    ({}, "login"),
    ({**NEW_USER, "login": ""}, "login"),
    ({**NEW_USER, "login": "ab"}, "login"),
    ({**NEW_USER, "login": "x" * 65}, "login"),
    ({**NEW_USER, "login": "bad login!"}, "login"),
    ({**NEW_USER, "name": ""}, "name"),
    ({**NEW_USER, "name": "n" * 129}, "name"),
    ({**NEW_USER, "password": "short"}, "password"),
    ({**NEW_USER, "password": "p" * 300}, "password"),
    ({**NEW_USER, "email": "not-an-email"}, "email"),
    ({**NEW_USER, "role": "king"}, "role"),
    ({**NEW_USER, "role": 3}, "role"),
    ({**NEW_USER, "active": "yes"}, "active"),
    ({**NEW_USER, "name": 42}, "name"),
    ({**NEW_USER, "name": None}, "name"),
    ({**NEW_USER, "extension": "10/01"}, "extension"),
    ({**NEW_USER, "groups": "Sales"}, "groups"),
    ({**NEW_USER, "groups": [{"group_id": "1"}]}, "groups.0.group_id"),
    ({**NEW_USER, "groups": [{"group_id": 1, "penalty": -1}]}, "groups.0.penalty"),
    ({**NEW_USER, "groups": [{"group_id": 999}]}, "groups"),
    ({**NEW_USER, "is_admin": True}, "is_admin"),
    ({**NEW_USER, "language": "de"}, "language"),
]


# One test per matrix (not one per case): each database test pays a fresh database.
async def test_bad_user_input_is_422_with_the_field(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    for payload, field in BAD_USERS:
        response = await client.post("/api/v1/users", json=payload,
                                     headers={"X-CSRF-Token": csrf})
        assert response.status == 422, (payload, await response.text())
        body = await response.json()
        assert body["error"]["code"] == "validation_error"
        assert field in body["error"]["fields"], (payload, body)
    assert await User.all().count() == 1  # only the admin


async def test_malformed_or_non_object_json_is_400(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    for raw in ("{bad json", "[1, 2]", '"text"', "null", "", "\xff", '{"login": "a"'):
        response = await client.post("/api/v1/users", data=raw.encode("latin-1"),
                                     headers={"X-CSRF-Token": csrf,
                                              "Content-Type": "application/json"})
        assert response.status == 400, raw
        assert (await response.json())["error"]["code"] == "bad_request"
    assert await User.all().count() == 1


async def test_non_json_content_type_is_400(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    response = await client.post("/api/v1/users", data={"login": "x"},
                                 headers={"X-CSRF-Token": csrf})
    assert response.status == 400
    assert await User.all().count() == 1


async def test_duplicate_login_is_409(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    assert (await client.post("/api/v1/users", json=NEW_USER, headers=h)).status == 201
    again = await client.post("/api/v1/users", json={**NEW_USER, "name": "Other"}, headers=h)
    assert again.status == 409
    body = await again.json()
    assert body["error"]["code"] == "conflict" and "login" in body["error"]["fields"]
    assert await User.filter(login="bob.smith").count() == 1


async def test_bad_query_string_is_400(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    for query in ("limit=0", "limit=abc", "offset=-1", "limit=100000", "role=king", "nope=1"):
        response = await client.get(f"/api/v1/users?{query}")
        assert response.status == 400, query
        assert (await response.json())["error"]["fields"]


async def test_pagination(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    for i in range(4):
        await make_user(f"agent{i}")
    page = await (await client.get("/api/v1/users?limit=2&offset=2")).json()
    assert page["total"] == 5 and page["limit"] == 2
    assert [u["login"] for u in page["items"]] == ["agent1", "agent2"]  # after admin, agent0


async def test_non_numeric_id_is_404(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    for path in ("/api/v1/users/abc", "/api/v1/users/0", "/api/v1/users/99999999999999"):
        response = await client.get(path)
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"


async def test_group_crud_with_every_setting(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    agent = await make_user("agent1")
    backup = await (await client.post("/api/v1/groups", json={"name": "Backup"}, headers=h)).json()
    settings = {"name": "Support", "number": "200", "description": "Level 1",
                "strategy": "round_robin", "ring_timeout_s": 25, "wrapup_s": 30,
                "autopause_after": 2, "max_wait_s": 300, "max_callers": 10,
                "overflow_kind": "group", "overflow_target": "Backup", "moh_class": "jazz",
                "join_empty": False, "leave_when_empty": True, "sticky_s": 600,
                "recording": "all", "service_level_s": 30,
                "outbound_caller_id": '"Support" <+33170000700>', "retry_s": 30,
                "members": [{"user_id": agent.id, "penalty": 1}]}
    response = await client.post("/api/v1/groups", json=settings, headers=h)
    assert response.status == 201, await response.text()
    group = await response.json()
    for key, value in settings.items():
        if key not in ("members", "overflow_target"):
            assert group[key] == value, key
    assert group["overflow_target"] == str(backup["id"])
    assert group["members"] == [{"user_id": agent.id, "login": "agent1", "name": "Agent1",
                                 "penalty": 1}]

    number = await client.patch(f"/api/v1/groups/{group['id']}", headers=h,
                                json={"overflow_kind": "number",
                                      "overflow_target": "01 23 45 67 89"})
    assert (await number.json())["overflow_target"] == "+33123456789"
    # The backup group is no longer an overflow target, so it can go.
    gone = await client.delete(f"/api/v1/groups/{backup['id']}", headers=h)
    assert (await gone.json())["result"] == "deleted"
    assert await GroupMember.filter(group_id=group["id"]).count() == 1
    update = await AuditLog.filter(action="group.update").first()
    assert update is not None and "overflow_kind" in update.details["changes"]
    # The outbound caller id: a plain number, and empty for the global setting (null).
    plain = await client.patch(f"/api/v1/groups/{group['id']}", headers=h,
                               json={"outbound_caller_id": " +33170000701 "})
    assert (await plain.json())["outbound_caller_id"] == "+33170000701"
    cleared = await client.patch(f"/api/v1/groups/{group['id']}", headers=h,
                                 json={"outbound_caller_id": ""})
    assert (await cleared.json())["outbound_caller_id"] is None
    assert (await Group.get(id=group["id"])).outbound_caller_id is None


BAD_GROUPS = [
    ({"name": ""}, "name"),
    ({"name": "g" * 65}, "name"),
    ({"name": "G", "number": "12a"}, "number"),
    ({"name": "G", "strategy": "fastest"}, "strategy"),
    ({"name": "G", "ring_timeout_s": 4}, "ring_timeout_s"),
    ({"name": "G", "ring_timeout_s": 301}, "ring_timeout_s"),
    ({"name": "G", "wrapup_s": 3601}, "wrapup_s"),
    ({"name": "G", "autopause_after": 101}, "autopause_after"),
    ({"name": "G", "ring_timeout_s": "20"}, "ring_timeout_s"),
    ({"name": "G", "recording": "sometimes"}, "recording"),
    ({"name": "G", "overflow_kind": "group", "overflow_target": "Nowhere"}, "overflow_target"),
    ({"name": "G", "overflow_kind": "number", "overflow_target": "abc"}, "overflow_target"),
    ({"name": "G", "members": [{"user_id": 999}]}, "members"),
    ({"name": "G", "retry_s": 0}, "retry_s"),
    ({"name": "G", "retry_s": 3601}, "retry_s"),
    ({"name": "G", "outbound_caller_id": "01 70 00"}, "outbound_caller_id"),
    ({"name": "G", "outbound_caller_id": "sip:+33170000700@x"}, "outbound_caller_id"),
    ({"name": "G", "outbound_caller_id": 'Sales <+33170000700>'}, "outbound_caller_id"),
    ({"name": "G", "outbound_caller_id": '"A"B" <123>'}, "outbound_caller_id"),
    ({"name": "G", "outbound_caller_id": "+" + "1" * 21}, "outbound_caller_id"),
    ({"name": "G", "queue": "x"}, "queue"),
]


async def test_bad_group_input_is_422_with_the_field(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    for payload, field in BAD_GROUPS:
        response = await client.post("/api/v1/groups", json=payload,
                                     headers={"X-CSRF-Token": csrf})
        assert response.status == 422, (payload, await response.text())
        assert field in (await response.json())["error"]["fields"], payload
    assert await Group.all().count() == 0


async def test_duplicate_group_name_or_number_is_409(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    await client.post("/api/v1/groups", json={"name": "Sales", "number": "100"}, headers=h)
    for payload, field in (({"name": "Sales"}, "name"), ({"name": "B", "number": "100"},
                                                         "number")):
        response = await client.post("/api/v1/groups", json=payload, headers=h)
        assert response.status == 409
        assert field in (await response.json())["error"]["fields"]
    assert await Group.all().count() == 1


async def test_delete_group_with_calls_deactivates(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    group = await Group.create(name="Sales")
    await Call.create(ref="c1", group=group, started_at=utcnow(), local_date=date.today(),
                      local_hour=9)
    response = await client.delete(f"/api/v1/groups/{group.id}", headers={"X-CSRF-Token": csrf})
    assert (await response.json())["result"] == "deactivated"
    await group.refresh_from_db()
    assert group.active is False


async def test_user_history_and_audit_log(admin_client, admin) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    user = await (await client.post("/api/v1/users", json=NEW_USER, headers=h)).json()
    await client.patch(f"/api/v1/users/{user['id']}", json={"name": "Robert"}, headers=h)
    history = await (await client.get(f"/api/v1/users/{user['id']}/history")).json()
    assert [e["action"] for e in history["items"]] == ["user.update", "user.create"]
    admin_history = await (await client.get(f"/api/v1/users/{admin.id}/history?limit=1")).json()
    assert admin_history["total"] >= 3 and len(admin_history["items"]) == 1
    log = await (await client.get("/api/v1/audit?actor=admin&action=user.")).json()
    assert {e["action"] for e in log["items"]} == {"user.create", "user.update"}
    assert all(e["actor_login"] == "admin" for e in log["items"])


async def test_reference_lists_crud(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    for base in ("/api/v1/pause-reasons", "/api/v1/dispositions"):
        created = await client.post(base, json={"code": "lunch", "label": "Lunch"}, headers=h)
        assert created.status == 201
        entry = await created.json()
        dup = await client.post(base, json={"code": "lunch", "label": "Again"}, headers=h)
        assert dup.status == 409
        bad = await client.post(base, json={"code": "Bad Code", "label": ""}, headers=h)
        assert bad.status == 422
        assert set((await bad.json())["error"]["fields"]) == {"code", "label"}
        patched = await client.patch(f"{base}/{entry['id']}", json={"label": "Lunch break"},
                                     headers=h)
        assert (await patched.json())["label"] == "Lunch break"
        listed = await (await client.get(base)).json()
        assert [e["code"] for e in listed["items"]] == ["lunch"]
        deleted = await client.delete(f"{base}/{entry['id']}", headers=h)
        assert (await deleted.json())["result"] == "deleted"


async def test_service_level_target_is_one_the_statistics_keep(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, csrf = admin_client
    h = {"X-CSRF-Token": csrf}
    response = await client.post("/api/v1/groups", headers=h,
                                 json={"name": "Odd", "service_level_s": 12})
    assert response.status == 422
    error = (await response.json())["error"]
    assert "20" in error["fields"]["service_level_s"]
    created = await client.post("/api/v1/groups", headers=h,
                                json={"name": "Even", "service_level_s": 45})
    assert created.status == 201
    group = await created.json()
    patched = await client.patch(f"/api/v1/groups/{group['id']}", headers=h,
                                 json={"service_level_s": 7})
    assert patched.status == 422
    assert (await (await client.get(f"/api/v1/groups/{group['id']}")).json())[
        "service_level_s"] == 45
