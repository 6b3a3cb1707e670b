"""The console's JSON API without a running ACD: client records, CSV, roles, CSRF, and the
ACD routes answering 503 rather than failing when no call distribution is configured."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import TestClient

from crm.models import Call, Client, ClientPhone, Role
from tests.web.webtools import login, make_user


async def agent(client: TestClient, name: str = "agent1") -> str:
    await make_user(name, Role.AGENT)
    return await login(client, name)


async def test_create_client_field_errors_save_nothing(client: TestClient) -> None:
    token = await agent(client)
    response = await client.post("/api/v1/clients", headers={"X-CSRF-Token": token}, json={
        "first_name": "Jean", "email": "nope"})
    assert response.status == 422
    assert "email" in (await response.json())["error"]["fields"]
    response = await client.post("/api/v1/clients", headers={"X-CSRF-Token": token}, json={
        "first_name": "Jean", "phones": [{"number": "12"}]})
    assert response.status == 422
    fields = (await response.json())["error"]["fields"]
    assert {"phones.0.number", "last_name", "company"} <= set(fields)
    assert await Client.all().count() == 0
    response = await client.post("/api/v1/clients", headers={"X-CSRF-Token": token},
                                 json={"last_name": "X", "shoe_size": 44})
    assert response.status == 422 and "shoe_size" in (await response.json())["error"]["fields"]
    assert await Client.all().count() == 0


async def test_record_edit_phones_search_and_interventions(client: TestClient) -> None:
    token = await agent(client)
    hdr = {"X-CSRF-Token": token}
    created = await (await client.post("/api/v1/clients", headers=hdr, json={
        "first_name": "Marie", "last_name": "Curie", "email": "marie@example.org",
        "phones": [{"number": "06 12 34 56 78", "label": "mobile"}]})).json()
    cid = created["id"]
    assert created["phones"][0]["number"] == "+33612345678"
    # Edit with a field error: nothing changes.
    response = await client.patch(f"/api/v1/clients/{cid}", headers=hdr,
                                  json={"city": "Paris", "country": "France"})
    assert response.status == 422 and "country" in (await response.json())["error"]["fields"]
    assert (await Client.get(id=cid)).city == ""
    response = await client.patch(f"/api/v1/clients/{cid}", headers=hdr,
                                  json={"city": "Paris", "remarks": "Prefers mornings"})
    assert response.status == 200 and (await response.json())["remarks"] == "Prefers mornings"
    # Phones: normalized, duplicates refused, removable.
    response = await client.post(f"/api/v1/clients/{cid}/phones", headers=hdr,
                                 json={"number": "+33 1 44 55 66 77", "from_call": True})
    assert response.status == 201
    phones = (await response.json())["phones"]
    assert [p["number"] for p in phones] == ["+33612345678", "+33144556677"]
    response = await client.post(f"/api/v1/clients/{cid}/phones", headers=hdr,
                                 json={"number": "01.44.55.66.77"})
    assert response.status == 409
    response = await client.post(f"/api/v1/clients/{cid}/phones", headers=hdr,
                                 json={"number": "abc"})
    assert response.status == 422
    response = await client.delete(f"/api/v1/clients/{cid}/phones/{phones[1]['id']}",
                                   headers=hdr)
    assert response.status == 200 and len((await response.json())["phones"]) == 1
    # Search by name, e-mail and phone in any format; lookup by number.
    for q in ("curie", "marie@example", "0612345678", "+33 6 12 34 56 78", "34 56"):
        found = await (await client.get("/api/v1/clients", params={"q": q})).json()
        assert [c["id"] for c in found["items"]] == [cid], q
    found = await (await client.get("/api/v1/clients/lookup",
                                    params={"number": "33612345678"})).json()
    assert found["total"] == 1
    # Several clients sharing a number are all returned (the console lets the agent pick).
    await client.post("/api/v1/clients", headers=hdr, json={
        "last_name": "Curie", "first_name": "Pierre", "phones": [{"number": "0612345678"}]})
    found = await (await client.get("/api/v1/clients/lookup",
                                    params={"number": "0612345678"})).json()
    assert found["total"] == 2
    # Interventions: chronological, full text kept, empty text refused.
    for text in ("First contact", "Second contact\nwith details"):
        response = await client.post(f"/api/v1/clients/{cid}/interventions", headers=hdr,
                                     json={"text": text})
        assert response.status == 201
    response = await client.post(f"/api/v1/clients/{cid}/interventions", headers=hdr,
                                 json={"text": "  "})
    assert response.status == 422
    items = (await (await client.get(f"/api/v1/clients/{cid}/interventions")).json())["items"]
    assert [i["text"] for i in items] == ["First contact", "Second contact\nwith details"]
    assert items[0]["agent_name"] == "Agent1" and items[1]["preview"].endswith("…")
    assert (await client.get("/api/v1/clients/999")).status == 404
    assert (await client.get(f"/api/v1/clients/{cid}/calls")).status == 200


async def test_csv_import_preview_all_or_nothing_and_export(client: TestClient) -> None:
    await make_user("sup", Role.SUPERVISOR)
    token = await login(client, "sup")
    hdr = {"X-CSRF-Token": token}
    bad = "nom;prenom;telephone;email\nDurand;Ana;0611223344;\n;;;bad\n"
    preview = await (await client.post("/api/v1/clients/import/preview", headers=hdr,
                                       json={"csv": bad})).json()
    assert preview["ok"] is False and preview["error_rows"] == 1
    assert preview["rows"][1]["errors"]
    response = await client.post("/api/v1/clients/import", headers=hdr, json={"csv": bad})
    assert response.status == 422
    assert await Client.all().count() == 0  # nothing half-imported
    good = "nom;prenom;telephone\nDurand;Ana;0611223344\nMartin;Luc;+33611223344\n"
    preview = await (await client.post("/api/v1/clients/import/preview", headers=hdr,
                                       json={"csv": good})).json()
    assert preview["ok"] and preview["duplicate_rows"] == 1  # same number as line 2
    assert preview["rows"][1]["duplicate_of_line"] == preview["rows"][0]["line"]
    result = await (await client.post("/api/v1/clients/import", headers=hdr,
                                      json={"csv": good, "on_duplicate": "skip"})).json()
    assert result == {"created": 1, "merged": 0, "skipped": 1, "phones_added": 1}
    assert await ClientPhone.filter(number="+33611223344").count() == 1
    response = await client.get("/api/v1/clients/export.csv")
    assert response.status == 200 and "text/csv" in response.headers["Content-Type"]
    body = (await response.read()).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("id,") and "Durand" in body


async def test_agent_may_not_import_export_and_csrf_is_required(client: TestClient) -> None:
    token = await agent(client)
    assert (await client.get("/api/v1/clients/export.csv")).status == 403
    response = await client.post("/api/v1/clients/import", headers={"X-CSRF-Token": token},
                                 json={"csv": "nom\nX\n"})
    assert response.status == 403
    response = await client.post("/api/v1/clients", json={"last_name": "NoCsrf"})
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "csrf_failed"
    assert await Client.all().count() == 0


async def test_anonymous_is_refused(client: TestClient) -> None:
    for path in ("/api/v1/agent/console", "/api/v1/clients", "/api/v1/agent/stats"):
        assert (await client.get(path)).status == 401
    response = await client.get("/agent", allow_redirects=False)
    assert response.status == 303


async def test_console_without_acd(client: TestClient) -> None:
    token = await agent(client)
    hdr = {"X-CSRF-Token": token}
    console = await (await client.get("/api/v1/agent/console")).json()
    assert console["acd"] is False and console["agent"] is None
    response = await client.post("/api/v1/agent/login", headers=hdr, json={"extension": "201"})
    assert response.status == 503
    response = await client.post("/api/v1/agent/login", headers=hdr, json={"extension": ""})
    assert response.status == 422 and "extension" in (await response.json())["error"]["fields"]
    response = await client.post("/api/v1/agent/status", headers=hdr, json={"state": "asleep"})
    assert response.status == 422
    stats = await (await client.get("/api/v1/agent/stats")).json()
    assert stats["received"] == 0 and stats["aht_s"] is None
    assert (await client.get("/api/v1/demo/phone")).status == 404  # not a demo server
    html = await (await client.get("/agent")).text()
    assert 'id="console"' in html and "/static/js/console/main.js" in html


async def test_agent_acts_only_on_own_calls(client: TestClient) -> None:
    other = await make_user("other", Role.AGENT)
    token = await agent(client)
    await Call.create(ref="call-x", agent=other, started_at=datetime.now(UTC),
                      local_date=datetime.now(UTC).date(), local_hour=0)
    response = await client.post("/api/v1/agent/call/wrapup", headers={"X-CSRF-Token": token},
                                 json={"call_id": "call-x", "note": "hijack"})
    assert response.status == 403
    assert (await client.get("/api/v1/agent/notes/note-unknown")).status == 404


async def test_console_is_french_too(client: TestClient) -> None:
    await agent(client)
    html = await (await client.get("/agent", headers={"Accept-Language": "fr"})).text()
    assert "Numéro de poste" in html and "Rechercher" in html
    assert "Appelant inconnu" in html  # the script's texts, embedded translated
