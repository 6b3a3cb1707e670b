"""Issue 14, item 8: every screen in the user's language — the audit log by sentences and
names rather than codes and ids, pause reasons and dispositions by their French or English
label (the pause report included), an empty required field said to be required, and the
phone numbers of the administration in the centre's format."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from aiohttp.test_utils import TestClient

from crm import reference
from crm.models import PauseReason, Role, User
from crm.reference import NewEntry
from crm.stats import rollups
from tests.web.webtools import make_user, page_csrf
from web import i18n


async def test_audit_log_reads_as_sentences(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    admin = await User.get(login="admin")
    await make_user("zoe", Role.AGENT, name="Zoé Martin")
    await reference.create_entry("pause_reason", NewEntry(code="lunch", label="Lunch",
                                                          label_fr="Déjeuner"), actor=admin)
    html = await (await client.get("/admin/audit")).text()
    assert "Pause reason created" in html and "Pause reason: Lunch" in html
    assert "<code>pause_reason.create</code>" not in html
    assert 'title="pause_reason.create"' in html  # the code is still there to search by
    client.session.cookie_jar.update_cookies({"lang": "fr"})
    await User.filter(login="admin").update(language="fr")
    html = await (await client.get("/admin/audit")).text()
    assert "Motif de pause créé" in html and "Motif de pause : Déjeuner" in html


async def test_labels_in_both_languages_and_pause_report(admin_client, settings  # type: ignore[no-untyped-def]
                                                         ) -> None:
    client, token = admin_client
    response = await client.post("/api/v1/pause-reasons", headers={"X-CSRF-Token": token},
                                 json={"code": "lunch", "label": "Lunch", "label_fr": "Déjeuner"})
    assert response.status == 201, await response.text()
    assert (await response.json())["label_fr"] == "Déjeuner"
    agent = await make_user("zoe", Role.AGENT, name="Zoé Martin")
    # Yesterday at 10:00 in the centre's zone: the pauses fall in one local day whatever the
    # time the suite runs (two hours back crossed midnight in Paris after 00:30 UTC).
    yesterday = datetime.now(settings.tz).date() - timedelta(days=1)
    start = datetime.combine(yesterday, time(10, 0), tzinfo=settings.tz).astimezone(UTC)
    await rollups.agent_states_closed(agent.id, [("paused", "lunch", start),
                                                 ("paused", "auto-pause: no answer",
                                                  start + timedelta(minutes=30))],
                                      start + timedelta(minutes=40), settings.tz)
    day = start.astimezone(settings.tz).date().isoformat()
    query = f"/api/v1/stats/report?report=pauses&from={day}&to={day}"
    rows = (await (await client.get(query)).json())["rows"]
    assert sorted(r["reason"] for r in rows) == ["Lunch", "auto-pause: no answer"]
    await User.filter(login="admin").update(language="fr")
    report = await (await client.get(query)).json()
    assert sorted(r["reason"] for r in report["rows"]) == ["Déjeuner",
                                                           "pause automatique : sans réponse"]
    assert sorted(report["chart"]["labels"]) == ["Déjeuner", "pause automatique : sans réponse"]
    csv = await (await client.get(query.replace("/report?", "/report.csv?"))).text()
    assert "Déjeuner" in csv and "lunch" not in csv


async def test_empty_required_field_is_said_required(client: TestClient) -> None:
    await make_user("admin", Role.ADMIN, language="fr")
    from tests.web.webtools import login

    await login(client, "admin")
    token = await page_csrf(client, "/admin/users/new")
    html = await (await client.post("/admin/users/new", data={
        "csrf_token": token, "login": "carol", "name": "", "password": "long-enough",
        "role": "agent"})).text()
    i18n.set_language("fr")
    try:
        required = i18n.gettext("this field is required")
    finally:
        i18n.set_language("en")
    assert required in html and "au moins 1 caractères" not in html


async def test_reference_page_has_both_labels(admin_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = admin_client
    token = await page_csrf(client, "/admin/reference")
    response = await client.post("/admin/reference/dispositions", data={
        "csrf_token": token, "code": "sale", "label": "Sale made", "label_fr": "Vente conclue",
        "position": "0", "active": "on"}, allow_redirects=False)
    assert response.status == 303
    entry = await reference.list_entries("disposition")
    assert [(e.label, e.label_fr) for e in entry] == [("Sale made", "Vente conclue")]
    html = await (await client.get("/admin/reference")).text()
    assert 'value="Vente conclue"' in html
    assert await PauseReason.all().count() == 0
