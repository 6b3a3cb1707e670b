"""Client records: creation with phones in any format, lookup, search, edits, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from crm import clients
from crm.clients import ClientPatch, NewClient
from crm.errors import Conflict, InvalidInput, NotFound
from crm.models import AuditLog, Call, Client, ClientPhone, Role, User

FR = "FR"


async def _admin() -> User:
    return await User.create(login="admin", name="Admin", password_hash="x", role=Role.ADMIN)


async def _agent(login: str = "agent1", *, active: bool = True) -> User:
    return await User.create(login=login, name=f"Agent {login}", password_hash="x",
                             active=active)


def _numbers(client: Client) -> list[str]:
    return [p.number for p in clients.phones_of(client)]


async def test_create_normalizes_every_format_and_keeps_what_was_typed(db: str) -> None:
    admin = await _admin()
    client = await clients.create_client({
        "first_name": " Jeanne ", "last_name": "Dupont", "email": "jeanne@example.fr",
        "country": "fr",
        "phones": [
            {"number": "06 12 34 56 78", "label": "mobile"},
            {"number": "+33 1 42 68 53 00", "label": "work"},
            {"number": "0044 20 7946 0958"},
        ],
    }, region=FR, actor=admin)
    assert client.first_name == "Jeanne"
    assert client.country == "FR"
    assert _numbers(client) == ["+33612345678", "+33142685300", "+442079460958"]
    assert [p.as_typed for p in clients.phones_of(client)] == [
        "06 12 34 56 78", "+33 1 42 68 53 00", "0044 20 7946 0958"]
    assert [p.label for p in clients.phones_of(client)] == ["mobile", "work", ""]
    entry = await AuditLog.get(action="client.create")
    assert entry.target_id == str(client.id)
    assert entry.details["phones"] == ["+33612345678", "+33142685300", "+442079460958"]


async def test_a_us_number_uses_the_region_given(db: str) -> None:
    client = await clients.create_client(
        NewClient(company="Acme Inc", phones=[{"number": "(212) 555-0142"}]),  # type: ignore[list-item]
        region="US", actor=None)
    assert _numbers(client) == ["+12125550142"]
    found = await clients.find_by_number("+1 212 555 0142", FR)
    assert [c.id for c in found] == [client.id]


@pytest.mark.parametrize("caller_id", [
    "+33612345678", "0612345678", "06.12.34.56.78", "0033612345678", "33612345678",
    "612345678",
])
async def test_find_by_number_matches_any_caller_id_format(db: str, caller_id: str) -> None:
    client = await clients.create_client(
        {"last_name": "Martin", "phones": [{"number": "06 12 34 56 78"}]}, region=FR,
        actor=None)
    found = await clients.find_by_number(caller_id, FR)
    assert [c.id for c in found] == [client.id]
    assert _numbers(found[0]) == ["+33612345678"]


async def test_a_shared_number_pops_every_client_and_garbage_pops_none(db: str) -> None:
    first = await clients.create_client(
        {"last_name": "Durand", "phones": [{"number": "01 42 68 53 00"}]}, region=FR, actor=None)
    second = await clients.create_client(
        {"company": "Durand SARL", "phones": [{"number": "+33142685300"}]}, region=FR,
        actor=None)
    await clients.create_client(
        {"last_name": "Other", "phones": [{"number": "0699999999"}]}, region=FR, actor=None)
    found = await clients.find_by_number("0142685300", FR)
    assert [c.id for c in found] == [first.id, second.id]
    for caller_id in ("", "anonymous", "12", "Restricted"):
        assert await clients.find_by_number(caller_id, FR) == []


async def test_the_acds_caller_lookup_agrees_with_the_screen_pops(db: str) -> None:
    """caller_lookup is hand-written SQL (it runs for every call): the same clients as
    find_by_number, for every caller id format, on SQLite and MariaDB."""
    agent = await _agent()
    shared_a = await clients.create_client(
        {"last_name": "A", "phones": [{"number": "01 42 68 53 00"}]}, region=FR, actor=None)
    shared_b = await clients.create_client(
        {"last_name": "B", "phones": [{"number": "+33142685300"}, {"number": "0611111111"}]},
        region=FR, actor=None)
    alone = await clients.create_client(
        {"last_name": "C", "assigned_agent_id": agent.id,
         "phones": [{"number": "0612345678"}, {"number": "+33 1 99 99 99 99"}]},
        region=FR, actor=None)
    cases = {"0142685300": [shared_a.id, shared_b.id], "33142685300": [shared_a.id, shared_b.id],
             "+33612345678": [alone.id], "0612345678": [alone.id], "0199999999": [alone.id],
             "0611111111": [shared_b.id], "0600000000": [], "anonymous": [], "": []}
    for caller_id, expected in cases.items():
        ids, preferred = await clients.caller_lookup(caller_id, FR)
        assert ids == expected == [c.id for c in await clients.find_by_number(caller_id, FR)]
        assert preferred == (agent.id if expected == [alone.id] else None), caller_id


async def test_search_by_name_company_email_and_numbers(db: str) -> None:
    jeanne = await clients.create_client(
        {"first_name": "Jeanne", "last_name": "Dupont", "email": "j.dupont@example.fr",
         "phones": [{"number": "06 12 34 56 78"}]}, region=FR, actor=None)
    acme = await clients.create_client(
        {"company": "ACME Widgets", "email": "contact@acme.example",
         "phones": [{"number": "+44 20 7946 0958"}]}, region=FR, actor=None)
    await clients.create_client({"last_name": "Zorro"}, region=FR, actor=None)

    async def ids(query: str) -> list[int]:
        rows, total = await clients.search(query, region=FR)
        assert total == len(rows)
        return [c.id for c in rows]

    assert await ids("dupont") == [jeanne.id]
    assert await ids("JEAN dup") == [jeanne.id]       # every word must match something
    assert await ids("jeanne zorro") == []
    assert await ids("widgets") == [acme.id]          # company, any case
    assert await ids("acme.example") == [acme.id]     # e-mail
    assert await ids("0612345678") == [jeanne.id]     # national format
    assert await ids("+33 6 12 34 56 78") == [jeanne.id]
    assert await ids("+33 (0)6 12 34 56 78") == [jeanne.id]
    assert await ids("06 12 34") == [jeanne.id]       # partial, leading 0 ignored
    assert await ids("5678") == [jeanne.id]           # partial end of the number
    assert await ids("7946") == [acme.id]
    assert await ids("dupont 5678") == [jeanne.id]
    assert len(await ids("")) == 3
    assert await ids("%") == [] and await ids("_") == []  # LIKE wildcards are literal
    rows, total = await clients.search("", region=FR, limit=2, offset=2)
    assert total == 3 and [c.last_name for c in rows] == ["Zorro"]


async def test_attach_number_then_the_caller_pops_that_client(db: str) -> None:
    agent = await _agent()
    client = await clients.create_client(
        {"last_name": "Petit", "phones": [{"number": "0612345678"}]}, region=FR, actor=agent)
    assert await clients.find_by_number("0700000001", FR) == []
    phone = await clients.attach_number(client.id, "07 00 00 00 01", region=FR, label="home",
                                        actor=agent)
    assert phone.number == "+33700000001"
    assert [c.id for c in await clients.find_by_number("+33700000001", FR)] == [client.id]
    with pytest.raises(Conflict) as exc:
        await clients.attach_number(client.id, "+33 7 00 00 00 01", region=FR, actor=agent)
    assert "number" in exc.value.fields
    with pytest.raises(InvalidInput):
        await clients.attach_number(client.id, "hello", region=FR, actor=agent)
    with pytest.raises(NotFound):
        await clients.attach_number(9999, "0700000002", region=FR, actor=agent)
    assert await AuditLog.filter(action="client.attach_number").count() == 1
    await clients.remove_phone(client.id, phone.id, actor=agent)
    assert _numbers(await clients.get_client(client.id)) == ["+33612345678"]


@pytest.mark.parametrize(("data", "field"), [
    ({"first_name": "Only"}, "last_name"),
    ({"last_name": "   "}, "company"),
    ({"last_name": "X", "email": "not-an-email"}, "email"),
    ({"last_name": "X", "remarks": "r" * 10_001}, "remarks"),
    ({"last_name": "X", "country": "France"}, "country"),
    ({"last_name": "X", "country": "ZZ"}, "country"),
    ({"last_name": "X", "phones": [{"number": "0612345678"}, {"number": "12"}]},
     "phones.1.number"),
    ({"last_name": "X", "phones": [{"number": "0612345678"}, {"number": "+33612345678"}]},
     "phones.1.number"),
    ({"last_name": "X", "phones": [{"number": ""}]}, "phones.0.number"),
    ({"last_name": "X", "assigned_agent_id": 9999}, "assigned_agent_id"),
    ({"last_name": "X", "nickname": "y"}, "nickname"),
    ({"last_name": None}, "last_name"),
])
async def test_bad_input_names_the_field_and_saves_nothing(db: str, data: dict, field: str
                                                           ) -> None:
    with pytest.raises(InvalidInput) as exc:
        await clients.create_client(data, region=FR, actor=None)
    assert field in exc.value.fields, exc.value.fields
    assert await Client.all().count() == 0
    assert await ClientPhone.all().count() == 0
    assert await AuditLog.all().count() == 0


async def test_an_inactive_user_cannot_be_assigned(db: str) -> None:
    gone = await _agent("gone", active=False)
    with pytest.raises(InvalidInput) as exc:
        await clients.create_client({"last_name": "X", "assigned_agent_id": gone.id},
                                    region=FR, actor=None)
    assert set(exc.value.fields) == {"assigned_agent_id"}


def test_the_models_reject_shape_errors_for_the_web_layer() -> None:
    with pytest.raises(ValidationError):
        NewClient.model_validate({"last_name": "X", "email": "nope"})
    with pytest.raises(ValidationError):
        ClientPatch.model_validate({"phones": None})
    assert ClientPatch.model_validate({"assigned_agent_id": None}).model_fields_set == {
        "assigned_agent_id"}


async def test_update_changes_only_what_is_sent_and_audits_it(db: str) -> None:
    admin = await _admin()
    agent = await _agent()
    client = await clients.create_client(
        {"first_name": "Paul", "last_name": "Martin", "remarks": "VIP",
         "phones": [{"number": "0612345678", "label": "mobile"}, {"number": "0142685300"}]},
        region=FR, actor=admin)
    updated = await clients.update_client(client.id, {
        "city": "Lyon", "assigned_agent_id": agent.id, "remarks": "VIP, call mornings",
        "phones": [{"number": "+33 6 12 34 56 78", "label": "perso"},
                   {"number": "0700000001", "label": "home"}],
    }, region=FR, actor=admin)
    assert updated.first_name == "Paul" and updated.city == "Lyon"
    assert updated.assigned_agent_id == agent.id  # type: ignore[attr-defined]
    assert sorted(_numbers(updated)) == ["+33612345678", "+33700000001"]
    assert {p.number: p.label for p in updated.phones} == {
        "+33612345678": "perso", "+33700000001": "home"}
    entry = await AuditLog.get(action="client.update")
    changes = entry.details["changes"]
    assert changes["city"] == {"from": "", "to": "Lyon"}
    assert changes["remarks"] == "changed"  # the text itself stays out of the log
    assert changes["phones"] == {"added": ["+33700000001"], "removed": ["+33142685300"],
                                 "relabelled": ["+33612345678"]}
    assert changes["assigned_agent_id"] == {"from": None, "to": agent.id}

    # null unassigns; a patch that empties both names is refused.
    updated = await clients.update_client(client.id, {"assigned_agent_id": None}, region=FR,
                                          actor=admin)
    assert updated.assigned_agent_id is None  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as exc:
        await clients.update_client(client.id, {"last_name": ""}, region=FR, actor=admin)
    assert "last_name" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        await clients.update_client(client.id, {"phones": [{"number": "x"}]}, region=FR,
                                    actor=admin)
    assert "phones.0.number" in exc.value.fields
    assert sorted(_numbers(await clients.get_client(client.id))) == [
        "+33612345678", "+33700000001"]
    # An empty patch changes nothing and logs nothing.
    before = await AuditLog.all().count()
    await clients.update_client(client.id, {}, region=FR, actor=admin)
    assert await AuditLog.all().count() == before


async def test_preferred_agent_is_the_assigned_one_else_the_last_who_answered(db: str) -> None:
    first, second = await _agent("first"), await _agent("second")
    client = await clients.create_client({"last_name": "Sticky"}, region=FR, actor=None)
    assert await clients.preferred_agent_for(client.id) is None
    assert await clients.preferred_agent_for(9999) is None
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for ref, agent, minutes in (("c1", first, 0), ("c2", second, 60)):
        await Call.create(ref=ref, client=client, agent=agent, started_at=t0,
                          answered_at=t0 + timedelta(minutes=minutes), local_date=date(2026, 1, 5),
                          local_hour=10)
    # A later call nobody answered does not count.
    await Call.create(ref="c3", client=client, started_at=t0 + timedelta(hours=3),
                      local_date=date(2026, 1, 5), local_hour=13)
    assert await clients.preferred_agent_for(client.id) == second.id
    await clients.update_client(client.id, {"assigned_agent_id": first.id}, region=FR,
                                actor=None)
    assert await clients.preferred_agent_for(client.id) == first.id
    first.active = False
    await first.save()
    assert await clients.preferred_agent_for(client.id) == second.id
