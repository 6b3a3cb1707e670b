"""B5: CSV export and import (preview, all-or-nothing apply, duplicates, round trip)."""

from __future__ import annotations

import csv
import io

import pytest

from crm import clients
from crm.client_import import (
    EXPORT_COLUMNS,
    ImportRejected,
    apply_import,
    export_clients_csv,
    preview_import,
)
from crm.errors import InvalidInput
from crm.models import AuditLog, Client, ClientPhone, User

FR = "FR"

FRENCH_FILE = (
    "\ufeffNom;Prénom;Société;Téléphone;Portable;E-mail;Code postal;Ville;Remarques;Âge\r\n"
    "Dupont;Jeanne;;01 42 68 53 00;06 12 34 56 78;jeanne@example.fr;75008;Paris;VIP;42\r\n"
    ";;ACME;0033 1 40 00 00 00;;contact@acme.fr;;Lyon;\"deux\nlignes\";\r\n"
    "Martin;Paul;;+44 20 7946 0958;;;;;;\r\n"
)


async def _client(last_name: str, *numbers: str) -> Client:
    return await clients.create_client(
        {"last_name": last_name, "phones": [{"number": n} for n in numbers]}, region=FR,
        actor=None)


async def test_preview_reads_a_french_spreadsheet(db: str) -> None:
    preview = await preview_import(FRENCH_FILE.encode("utf-8"), FR)
    assert preview.ok, [r.errors for r in preview.rows]
    assert preview.delimiter == ";"
    assert preview.columns["Nom"] == "last_name" and preview.columns["Portable"] == "phones"
    assert preview.ignored_columns == ["Âge"]
    assert [r.line for r in preview.rows] == [2, 3, 5]  # the quoted remark spans two lines
    jeanne, acme, paul = preview.rows
    assert jeanne.values["first_name"] == "Jeanne" and jeanne.values["postal_code"] == "75008"
    assert [(p.number, p.label) for p in jeanne.phones] == [
        ("+33142685300", ""), ("+33612345678", "mobile")]
    assert acme.values["company"] == "ACME" and acme.values["remarks"] == "deux\nlignes"
    assert [p.number for p in acme.phones] == ["+33140000000"]
    assert [p.number for p in paul.phones] == ["+442079460958"]
    assert not any(r.duplicates for r in preview.rows)
    # Excel on a French Windows saves Windows-1252, without BOM.
    legacy = await preview_import(FRENCH_FILE[1:].encode("cp1252"), FR)
    assert legacy.ok and legacy.rows[0].values["first_name"] == "Jeanne"
    assert legacy.columns["Société"] == "company"


async def test_preview_reports_errors_by_line_and_field(db: str) -> None:
    text = (
        "first_name,last_name,company,email,phone,country\n"
        "Ann,Lee,,ann@example.com,0612345678,FR\n"
        "Bob,,,bob@example,12,France\n"
        "Cy,Young,,,+33 6 99 99 99 99,\n"
    )
    preview = await preview_import(text, FR)
    assert preview.delimiter == "," and not preview.ok
    assert [r.line for r in preview.error_rows] == [3]
    errors = preview.error_rows[0].errors
    assert {"email", "phones", "country", "last_name", "company"} <= set(errors)
    assert "12" in errors["phones"]


async def test_duplicates_are_flagged_against_the_base_and_within_the_file(db: str) -> None:
    existing = await _client("Known", "0612345678")
    text = (
        "last_name;phones\n"
        "One;mobile:06 12 34 56 78|+33 6 12 34 56 78\n"   # known, and listed twice in the row
        "Two;0700000001\n"
        "Three;+33700000001\n"                             # same as line 3
        "Four;0800000002\n"
    )
    preview = await preview_import(text, FR)
    assert preview.ok
    one, two, three, four = preview.rows
    assert one.duplicate_client_ids == [existing.id] and one.duplicate_of_line is None
    assert one.collapsed == ["+33612345678"] and len(one.phones) == 1
    assert not two.duplicates
    assert three.duplicate_of_line == 3 and three.duplicate_client_ids == []
    assert not four.duplicates
    assert [r.line for r in preview.duplicate_rows] == [2, 4]


async def test_one_bad_row_refuses_the_whole_file(db: str) -> None:
    await _client("Before", "0612345678")
    rows = [f"Name{i};06{i:08d}" for i in range(50)] + ["Broken;not a number"]
    text = "nom;téléphone\n" + "\n".join(rows)
    with pytest.raises(ImportRejected) as exc:
        await apply_import(text, FR, actor=None)
    assert isinstance(exc.value, InvalidInput)
    assert [r.line for r in exc.value.preview.error_rows] == [52]
    assert await Client.all().count() == 1
    assert await ClientPhone.all().count() == 1
    assert not await AuditLog.filter(action="client.import").exists()


async def test_a_file_without_known_columns_is_refused(db: str) -> None:
    preview = await preview_import("foo;bar\n1;2\n", FR)
    assert preview.file_errors and not preview.ok
    with pytest.raises(ImportRejected):
        await apply_import("", FR, actor=None)
    with pytest.raises(InvalidInput) as exc:
        await apply_import("nom\nX\n", FR, actor=None, on_duplicate="replace")  # type: ignore[arg-type]
    assert "on_duplicate" in exc.value.fields


DUP_FILE = (
    "last_name,first_name,city,remarks,phone\n"
    "Known,Kim,Paris,from file,06 12 34 56 78\n"
    "New,Ned,,,07 00 00 00 01\n"
    "New again,,Nice,second,+33 7 00 00 00 01\n"
)


async def test_skip_leaves_duplicates_out(db: str) -> None:
    admin = await User.create(login="admin", name="Admin", password_hash="x", role="admin")
    known = await _client("Known", "0612345678")
    result = await apply_import(DUP_FILE, FR, actor=admin)
    assert (result.created, result.merged, result.skipped) == (1, 0, 2)
    assert await Client.all().count() == 2
    await known.refresh_from_db()
    assert known.first_name == ""
    entry = await AuditLog.get(action="client.import")
    assert entry.actor_login == "admin" and entry.details["created"] == 1


async def test_create_makes_clients_that_share_numbers(db: str) -> None:
    await _client("Known", "0612345678")
    result = await apply_import(DUP_FILE, FR, actor=None, on_duplicate="create")
    assert (result.created, result.merged, result.skipped) == (3, 0, 0)
    assert len(await clients.find_by_number("0612345678", FR)) == 2
    assert len(await clients.find_by_number("0700000001", FR)) == 2


async def test_merge_fills_empty_fields_and_adds_numbers(db: str) -> None:
    known = await clients.create_client(
        {"last_name": "Known", "city": "Lille", "remarks": "existing",
         "phones": [{"number": "0612345678"}]}, region=FR, actor=None)
    text = DUP_FILE + "Known,,,,0612345678|work:0142685300\n"
    result = await apply_import(text, FR, actor=None, on_duplicate="merge")
    assert (result.created, result.merged, result.skipped) == (1, 1, 0)
    known = await clients.get_client(known.id)
    assert known.first_name == "Kim"          # was empty: filled
    assert known.city == "Lille"              # was set: kept
    assert known.remarks == "existing\nfrom file"
    assert sorted(p.number for p in known.phones) == ["+33142685300", "+33612345678"]
    new = (await clients.find_by_number("0700000001", FR))
    assert len(new) == 1 and new[0].last_name == "New" and new[0].city == "Nice"
    assert new[0].remarks == "second"
    assert result.phones_added == 2


async def test_export_then_import_round_trip(db: str) -> None:
    await clients.create_client(
        {"first_name": "Zoé", "last_name": "Lefèvre", "company": "=cmd|' /C calc'!A0",
         "email": "zoe@example.fr", "address": "1, rue de la Paix", "postal_code": "75002",
         "city": "Paris", "country": "FR", "remarks": "line one\nline \"two\"; end",
         "phones": [{"number": "06 12 34 56 78", "label": "mobile"},
                    {"number": "+44 20 7946 0958"}]}, region=FR, actor=None)
    await clients.create_client({"company": "Solo"}, region=FR, actor=None)
    exported = await export_clients_csv()
    assert exported is not None
    header, first, second = list(csv.reader(io.StringIO(exported)))
    assert tuple(header) == EXPORT_COLUMNS
    assert first[EXPORT_COLUMNS.index("phones")] == "mobile:+33612345678|+442079460958"
    assert first[EXPORT_COLUMNS.index("company")].startswith("'=")  # no formula injection
    assert second[EXPORT_COLUMNS.index("phones")] == ""

    before = {c.id: c for c in await Client.all()}
    await ClientPhone.all().delete()
    await Client.all().delete()
    result = await apply_import(exported, FR, actor=None)
    assert result.created == 2
    after = await Client.all().order_by("id").prefetch_related("phones")
    for old, new in zip(sorted(before.values(), key=lambda c: c.id), after, strict=True):
        for name in clients.CLIENT_FIELDS:
            assert getattr(new, name) == getattr(old, name), name
    assert {(p.number, p.label) for p in after[0].phones} == {
        ("+33612345678", "mobile"), ("+442079460958", "")}

    out = io.StringIO()
    admin = await User.create(login="admin", name="Admin", password_hash="x", role="admin")
    assert await export_clients_csv(out, delimiter=";", actor=admin) is None
    assert out.getvalue().startswith("id;first_name;")
    assert (await AuditLog.get(action="client.export")).details == {"clients": 2}


async def test_ten_thousand_rows_import_in_one_go(db: str) -> None:
    await _client("Existing", "0600000007")
    lines = ["Nom;Prénom;Société;Téléphone;Email"]
    for i in range(10_000):
        lines.append(f"Name{i};First{i};Company {i % 50};06 {i:08d};user{i}@example.com")
    text = "\n".join(lines)
    preview = await preview_import(text, FR)
    assert preview.ok and len(preview.rows) == 10_000
    assert [r.line for r in preview.duplicate_rows] == [9]
    result = await apply_import(text, FR, actor=None)
    assert (result.created, result.skipped) == (9_999, 1)
    assert await Client.all().count() == 10_000
    assert await ClientPhone.all().count() == 10_000
    found = await clients.find_by_number("+33600009999", FR)
    assert [c.last_name for c in found] == ["Name9999"]
