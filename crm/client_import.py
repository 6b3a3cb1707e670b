"""B5: client records to and from CSV.

The import is two steps the page shows in turn: ``preview_import`` parses and checks every row
without writing (errors per line and field, duplicates by phone number as warnings), then
``apply_import`` writes all rows or, if any row is wrong, none. Files come from spreadsheets:
UTF-8 with or without BOM (Windows-1252 as a fallback), ";" or "," or tab separated, headers
in French or English in any case and with or without accents.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from pydantic import ValidationError
from tortoise.transactions import in_transaction

from crm import audit
from crm.clients import (
    CLIENT_FIELDS,
    NewClient,
    Phone,
    PhoneIn,
    name_errors,
    pydantic_fields,
)
from crm.errors import N_, InvalidInput
from crm.models import Client, ClientPhone, User
from crm.phones import InvalidPhoneNumber, normalize

EXPORT_COLUMNS = ("id", *CLIENT_FIELDS[:-1], "phones", "remarks", "created_at")
MAX_ROWS = 50_000
# Placeholders per query stay well under SQLite's and MariaDB's limits.
LOOKUP_CHUNK = 500
WRITE_BATCH = 1000
DELIMITERS = (";", ",", "\t")
# Spreadsheets run cells starting with these as formulas (CSV injection): exports prefix them
# with a quote, imports take that quote off again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

OnDuplicate = Literal["skip", "create", "merge"]
# Where a column goes: a client field ("" = known, not imported), ("label",) for a column of
# single numbers, None for an unknown column.
Target = str | tuple[str] | None

# Normalized header (lower case, no accents, letters and digits only) -> client field.
_FIELD_ALIASES: dict[str, str] = {
    **{a: "first_name" for a in ("firstname", "first", "givenname", "prenom", "prenoms")},
    **{a: "last_name" for a in ("lastname", "last", "surname", "familyname", "name", "nom",
                                "nomdefamille", "fullname", "nomcomplet")},
    **{a: "company" for a in ("company", "companyname", "organization", "organisation",
                              "societe", "entreprise", "raisonsociale", "business")},
    **{a: "email" for a in ("email", "mail", "emailaddress", "courriel", "adresseemail",
                            "adressemail", "adressecourriel")},
    **{a: "address" for a in ("address", "street", "streetaddress", "adresse", "rue",
                              "adressepostale")},
    **{a: "postal_code" for a in ("postalcode", "postcode", "zip", "zipcode", "codepostal",
                                  "cp")},
    **{a: "city" for a in ("city", "town", "ville", "localite", "commune")},
    **{a: "country" for a in ("country", "countrycode", "pays")},
    **{a: "remarks" for a in ("remarks", "remark", "notes", "note", "comment", "comments",
                              "remarques", "remarque", "commentaire", "commentaires",
                              "observations")},
    **{a: "phones" for a in ("phones", "phonenumbers", "telephones", "numeros")},
    # Known but not imported: ids differ between installations, creation dates are ours.
    **{a: "" for a in ("id", "createdat", "created", "datedecreation")},
}
# Single-number columns, with the label their numbers get.
_PHONE_ALIASES: dict[str, str] = {
    **{a: "" for a in ("phone", "phonenumber", "telephone", "tel", "numero",
                       "numerodetelephone", "number")},
    **{a: "mobile" for a in ("mobile", "mobilephone", "cell", "cellphone", "portable", "gsm",
                             "telephoneportable", "telportable")},
    **{a: "work" for a in ("work", "workphone", "office", "bureau", "telbureau",
                           "telephonebureau", "pro", "telpro", "telephonepro")},
    **{a: "home" for a in ("home", "homephone", "domicile", "fixe", "teldomicile",
                           "telephonefixe", "telfixe")},
    "fax": "fax",
}


@dataclass(frozen=True)
class DuplicateWarning:
    """A number of this row is already known: on existing clients and/or an earlier row."""

    number: str
    client_ids: tuple[int, ...] = ()
    line: int | None = None


@dataclass
class ImportRow:
    line: int
    values: dict[str, str]
    phones: list[Phone]
    # field -> message; a row with any error blocks the whole import.
    errors: dict[str, str] = field(default_factory=dict)
    duplicates: list[DuplicateWarning] = field(default_factory=list)
    # Numbers listed twice in the row, kept once.
    collapsed: list[str] = field(default_factory=list)

    @property
    def duplicate_client_ids(self) -> list[int]:
        return sorted({cid for d in self.duplicates for cid in d.client_ids})

    @property
    def duplicate_of_line(self) -> int | None:
        lines = [d.line for d in self.duplicates if d.line is not None]
        return min(lines) if lines else None


@dataclass
class ImportPreview:
    delimiter: str
    # The file's header -> the client field it fills ("" when known but not imported).
    columns: dict[str, str]
    ignored_columns: list[str]
    rows: list[ImportRow]
    # Problems with the file as a whole (no header recognized, too many rows...).
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(row.errors for row in self.rows)

    @property
    def error_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def duplicate_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.duplicates]


@dataclass(frozen=True)
class ImportResult:
    created: int
    merged: int
    skipped: int
    phones_added: int


class ImportRejected(InvalidInput):
    """Nothing was imported; ``preview`` says which rows and fields are wrong."""

    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        count = len(preview.error_rows)
        super().__init__(
            N_("the file has errors ({count} rows); nothing was imported"), count=count,
            fields={"file": N_("the file has errors; nothing was imported")},
        )


# -- export ------------------------------------------------------------------------------------


async def export_clients_csv(out: TextIO | None = None, *, delimiter: str = ",",
                             actor: User | None = None, ip: str = "") -> str | None:
    """Every client, one row each, phones as ``label:+33...|+44...``.

    Writes to ``out`` when given (a file or a streamed response) and returns None; else
    returns the text. Clients are read in pages so a large base does not sit in memory.
    With an ``actor`` the export is audited: it takes every client's personal data away.
    """
    text = io.StringIO()
    target = out if out is not None else text
    writer = csv.writer(target, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    async for client, phones in _clients_in_pages():
        count += 1
        values = {name: getattr(client, name) for name in CLIENT_FIELDS}
        values["id"] = str(client.id)
        values["phones"] = format_phones(phones)
        values["created_at"] = client.created_at.isoformat() if client.created_at else ""
        writer.writerow([_guard(str(values[name])) for name in EXPORT_COLUMNS])
    if actor is not None:
        await audit.record("client.export", actor=actor, target_type="client",
                           details={"clients": count}, ip=ip)
    return text.getvalue() if out is None else None


def format_phones(phones: Iterable[ClientPhone]) -> str:
    return "|".join(f"{p.label}:{p.number}" if p.label else p.number for p in phones)


async def _clients_in_pages() -> AsyncIterator[tuple[Client, list[ClientPhone]]]:
    last_id = 0
    while True:
        page = await Client.filter(id__gt=last_id).order_by("id").limit(WRITE_BATCH)
        if not page:
            return
        ids = [c.id for c in page]
        phones: dict[int, list[ClientPhone]] = {cid: [] for cid in ids}
        for phone in await ClientPhone.filter(client_id__in=ids).order_by("id"):
            phones[phone.client_id].append(phone)
        for client in page:
            yield client, phones[client.id]
        last_id = ids[-1]


def _guard(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _unguard(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


# -- preview -----------------------------------------------------------------------------------


def decode(data: str | bytes) -> str:
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            # What Excel on a French Windows writes by default.
            data = raw.decode("cp1252", errors="replace")
    return data.removeprefix("\ufeff")


async def preview_import(csv_text: str | bytes, region: str) -> ImportPreview:
    """Every row parsed and checked; nothing is written."""
    text = decode(csv_text)
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    if not header_line:
        return ImportPreview(",", {}, [], [], [N_("the file is empty")])
    delimiter, mapping = _pick_delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = _records(reader)
    _, header = next(records)
    columns = {name: target for name, target in zip(header, mapping, strict=False)
               if target is not None}
    preview = ImportPreview(
        delimiter=delimiter,
        columns={name: (target if isinstance(target, str) else "phones")
                 for name, target in columns.items()},
        ignored_columns=[name for name, target in zip(header, mapping, strict=False)
                         if target is None and name.strip()],
        rows=[],
    )
    if not any(isinstance(t, tuple) or t for t in columns.values()):
        preview.file_errors.append(N_("no column was recognized; the first line must name "
                                      "the columns (e.g. last_name, company, phone)"))
        return preview
    for line, cells in records:
        if len(preview.rows) >= MAX_ROWS:
            preview.file_errors.append(N_("too many rows: split the file"))
            break
        preview.rows.append(_parse_row(line, cells, mapping, region))
    await _flag_duplicates(preview.rows)
    return preview


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-empty records with the line each starts on (quoted cells may span lines)."""
    start = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1



def _pick_delimiter(header_line: str) -> tuple[str, list[Target]]:
    """The delimiter under which the header names the most known columns.

    csv.Sniffer guesses from character frequencies and is easily fooled by commas inside a
    ";" file's header ("Nom, prénom"); recognizing the header is what we actually need.
    """
    best: tuple[int, str, list[Target]] | None = None
    for delimiter in DELIMITERS:
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        mapping = [_column_target(name) for name in header]
        known = sum(1 for t in mapping if t is not None)
        if best is None or known > best[0]:
            best = (known, delimiter, mapping)
    assert best is not None
    return best[1], best[2]


def _column_target(header: str) -> Target:
    """A client field name, ("label",) for a single-number column, or None if unknown."""
    key = _header_key(header)
    if key in _FIELD_ALIASES:
        return _FIELD_ALIASES[key]
    if key in _PHONE_ALIASES:
        return (_PHONE_ALIASES[key],)
    return None


def _header_key(header: str) -> str:
    decomposed = unicodedata.normalize("NFKD", header.strip().lower())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed
                                             if not unicodedata.combining(c)))


def _parse_row(line: int, cells: list[str], mapping: list[Target], region: str) -> ImportRow:
    values: dict[str, str] = {}
    raw_phones: list[tuple[str, str]] = []
    for cell, target in zip(cells, mapping, strict=False):
        value = _unguard(cell.strip())
        if target is None or target == "":
            continue
        if isinstance(target, tuple):
            raw_phones.extend((label or target[0], number)
                              for label, number in _split_phones(value))
        elif target == "phones":
            raw_phones.extend(_split_phones(value))
        elif value and not values.get(target):
            values[target] = value
    row = ImportRow(line=line, values={}, phones=[])
    try:
        model = NewClient.model_validate(values)
    except ValidationError as exc:
        row.errors.update(pydantic_fields(exc))
        model = None
    if model is not None:
        row.values = {name: getattr(model, name) for name in CLIENT_FIELDS}
    else:
        row.values = {name: values.get(name, "") for name in CLIENT_FIELDS}
    for name, message in name_errors(row.values["last_name"], row.values["company"]).items():
        row.errors.setdefault(name, message)
    seen: set[str] = set()
    for label, raw in raw_phones:
        try:
            phone = PhoneIn(number=raw, label=label)
            number = normalize(phone.number, region)
        except (ValidationError, InvalidPhoneNumber):
            row.errors.setdefault("phones", N_("not a valid phone number") + f": {raw}")
            continue
        if number in seen:
            row.collapsed.append(number)
            continue
        seen.add(number)
        row.phones.append(Phone(number, phone.number, phone.label))
    return row


def _split_phones(cell: str) -> list[tuple[str, str]]:
    """``"mobile:+33 6...|+44..."`` -> [("mobile", "+33 6..."), ("", "+44...")]."""
    result = []
    for item in cell.split("|"):
        item = item.strip()
        if not item:
            continue
        label, sep, number = item.partition(":")
        # A label has letters; "+33:6..." or a bare number has none before the colon.
        if sep and re.search(r"[^\W\d_]", label):
            result.append((label.strip()[:32], number.strip()))
        else:
            result.append(("", item))
    return result


async def _flag_duplicates(rows: list[ImportRow]) -> None:
    """Numbers already on clients (one query per LOOKUP_CHUNK numbers) or on an earlier row."""
    numbers = sorted({p.number for row in rows for p in row.phones})
    owners: dict[str, set[int]] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start:start + LOOKUP_CHUNK]
        pairs = await ClientPhone.filter(number__in=chunk).values_list("number", "client_id")
        for number, client_id in pairs:
            owners.setdefault(number, set()).add(client_id)
    first_line: dict[str, int] = {}
    for row in rows:
        for phone in row.phones:
            earlier = first_line.setdefault(phone.number, row.line)
            ids = tuple(sorted(owners.get(phone.number, ())))
            line = earlier if earlier != row.line else None
            if ids or line is not None:
                row.duplicates.append(DuplicateWarning(phone.number, ids, line))


# -- apply -------------------------------------------------------------------------------------


@dataclass
class _Pending:
    """A client to create: the first row, plus rows merged into it."""

    values: dict[str, str]
    phones: list[Phone]


async def apply_import(csv_text: str | bytes, region: str, *, actor: User | None,
                       on_duplicate: OnDuplicate = "skip", ip: str = "") -> ImportResult:
    """Writes every row, or nothing: ImportRejected (with the preview) if any row is wrong.

    A row is a duplicate when one of its numbers is on an existing client or an earlier row.
    ``skip`` leaves such rows out; ``create`` makes a new client anyway (clients may share a
    number); ``merge`` fills the existing client's empty fields, appends the remarks and adds
    the missing numbers (into the oldest client when several match).
    """
    if on_duplicate not in ("skip", "create", "merge"):
        raise InvalidInput(N_("some fields are invalid"),
                           fields={"on_duplicate": N_("must be skip, create or merge")})
    preview = await preview_import(csv_text, region)
    if not preview.ok:
        raise ImportRejected(preview)

    pending: list[_Pending] = []
    pending_by_line: dict[int, _Pending] = {}
    merges: dict[int, list[ImportRow]] = {}
    merged_into: dict[int, int] = {}  # line -> existing client id
    skipped = 0
    for row in preview.rows:
        dup_ids = row.duplicate_client_ids
        dup_line = row.duplicate_of_line
        if on_duplicate == "create" or (not dup_ids and dup_line is None):
            item = _Pending(dict(row.values), list(row.phones))
            pending.append(item)
            pending_by_line[row.line] = item
        elif on_duplicate == "skip":
            skipped += 1
        elif dup_ids:
            merges.setdefault(dup_ids[0], []).append(row)
            merged_into[row.line] = dup_ids[0]
        elif dup_line is not None:  # always, here: the first branch took the other rows
            # The earlier row is either a new client or was itself merged into one.
            earlier = pending_by_line.get(dup_line)
            if earlier is not None:
                _merge_values(earlier.values, earlier.phones, row)
                pending_by_line[row.line] = earlier
            else:
                target = merged_into[dup_line]
                merges[target].append(row)
                merged_into[row.line] = target

    phones_added = 0
    async with in_transaction("default"):
        new_phones: list[ClientPhone] = []
        for item in pending:
            # One INSERT per client: bulk inserts do not give the ids back (MariaDB), and
            # the phones need them. Phones themselves go in bulk.
            client = Client(**item.values)
            await client.save(force_create=True)
            new_phones.extend(ClientPhone(client_id=client.id, number=p.number,
                                          as_typed=p.as_typed, label=p.label)
                              for p in item.phones)
        phones_added += len(new_phones)
        phones_added += await _apply_merges(merges, new_phones)
        await ClientPhone.bulk_create(new_phones, batch_size=WRITE_BATCH)
    result = ImportResult(created=len(pending), merged=len(merges), skipped=skipped,
                          phones_added=phones_added)
    await audit.record("client.import", actor=actor, target_type="client",
                       details={"rows": len(preview.rows), "on_duplicate": on_duplicate,
                                "created": result.created, "merged": result.merged,
                                "skipped": result.skipped, "phones_added": phones_added,
                                "merged_client_ids": sorted(merges)[:100]}, ip=ip)
    return result


def _merge_values(values: dict[str, str], phones: list[Phone], row: ImportRow) -> int:
    """Fills empty fields from ``row``, appends its remarks, adds its new numbers."""
    for name in CLIENT_FIELDS:
        incoming = row.values.get(name, "")
        if not incoming:
            continue
        if name == "remarks":
            if incoming not in values.get("remarks", ""):
                joined = "\n".join(v for v in (values.get("remarks", ""), incoming) if v)
                values["remarks"] = joined[:10_000]
        elif not values.get(name):
            values[name] = incoming
    known = {p.number for p in phones}
    added = [p for p in row.phones if p.number not in known]
    phones.extend(added)
    return len(added)


async def _apply_merges(merges: dict[int, list[ImportRow]], new_phones: list[ClientPhone]
                        ) -> int:
    added = 0
    for start in range(0, len(merges), LOOKUP_CHUNK):
        ids = list(merges)[start:start + LOOKUP_CHUNK]
        for client in await Client.filter(id__in=ids).prefetch_related("phones"):
            values = {name: getattr(client, name) for name in CLIENT_FIELDS}
            phones = [Phone(p.number, p.as_typed, p.label) for p in client.phones]
            before = len(phones)
            for row in merges[client.id]:
                _merge_values(values, phones, row)
            changed = [name for name in CLIENT_FIELDS if values[name] != getattr(client, name)]
            if changed:
                for name in changed:
                    setattr(client, name, values[name])
                await client.save(update_fields=[*changed, "updated_at"])
            new_phones.extend(ClientPhone(client_id=client.id, number=p.number,
                                          as_typed=p.as_typed, label=p.label)
                              for p in phones[before:])
            added += len(phones) - before
    return added
