"""Client records (S6, S7, S8, B10): contact details, phone numbers, search and screen-pop lookup.

Phone numbers are stored in E.164 (B5) so a caller matches a client whatever format the number
was typed in. Normalizing needs the call centre's default region (a setting), so it happens in
the services, not in the input models: the web layer passes ``settings.default_region``.

Clients are never deleted here: calls, interventions and the audit log refer to them, and an
agent's history (S5) must keep reading right. Correcting a record is an update.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from crm import audit, db
from crm.errors import N_, Conflict, InvalidInput, NotFound
from crm.ids import MAX_ID
from crm.models import Call, Client, ClientPhone, Role, User
from crm.phones import InvalidPhoneNumber, normalize, normalize_or_none
from crm.users import EMAIL_RE

MAX_REMARKS = 10_000
MAX_PHONES = 20
MAX_SEARCH_LIMIT = 100
# Fewer digits than this match far too many numbers to be a useful partial search.
MIN_PARTIAL_DIGITS = 3
PHONE_QUERY_RE = re.compile(r"^[\d\s+().\-/]+$")

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Company = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2)]
Remarks = Annotated[str, StringConstraints(max_length=MAX_REMARKS)]
RawNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
PhoneLabel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]

# Every column the record form edits, in display order; also what the audit log compares.
CLIENT_FIELDS = ("first_name", "last_name", "company", "email", "address", "postal_code",
                 "city", "country", "remarks")
_STRING_FIELDS = (*CLIENT_FIELDS, "number", "label")


def check_email(value: str) -> str:
    if value and not EMAIL_RE.match(value):
        raise ValueError(N_("not a valid e-mail address"))
    return value


def check_country(value: str) -> str:
    # phonenumbers' region list is ISO 3166-1 alpha-2 minus a few uninhabited territories:
    # close enough, and it is the list the phone numbers are checked against anyway.
    value = value.upper()
    if value and value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(N_("not a two-letter country code such as FR or GB"))
    return value


class ClientInput(BaseModel):
    """Unknown fields are refused; ``null`` is refused too except to unassign the agent."""

    model_config = ConfigDict(extra="forbid")

    @field_validator(*(f for f in _STRING_FIELDS), mode="before", check_fields=False)
    @classmethod
    def _no_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(N_("must not be null"))
        return value


class PhoneIn(ClientInput):
    number: RawNumber
    label: PhoneLabel = ""


class NewClient(ClientInput):
    first_name: Short = ""
    last_name: Short = ""
    company: Company = ""
    email: Email = ""
    address: Address = ""
    postal_code: PostalCode = ""
    city: Short = ""
    country: Country = ""
    remarks: Remarks = ""
    assigned_agent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=MAX_PHONES)

    _email = field_validator("email")(check_email)
    _country = field_validator("country")(check_country)


class ClientPatch(ClientInput):
    """Only the fields sent change; ``phones`` (when sent) replaces the whole list."""

    first_name: Short | None = None
    last_name: Short | None = None
    company: Company | None = None
    email: Email | None = None
    address: Address | None = None
    postal_code: PostalCode | None = None
    city: Short | None = None
    country: Country | None = None
    remarks: Remarks | None = None
    # null unassigns; leaving the field out keeps the current agent.
    assigned_agent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    phones: list[PhoneIn] | None = Field(default=None, max_length=MAX_PHONES)

    @field_validator("phones", mode="before")
    @classmethod
    def _phones_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(N_("must not be null"))
        return value

    _email = field_validator("email")(check_email)
    _country = field_validator("country")(check_country)


@dataclass(frozen=True)
class Phone:
    """One normalized number, ready to store."""

    number: str
    as_typed: str
    label: str


M = TypeVar("M", bound=BaseModel)


def validate_input(model: type[M], data: M | Mapping[str, Any]) -> M:
    """``data`` as ``model``; a pydantic error becomes InvalidInput naming each field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(N_("some fields are invalid"), fields=pydantic_fields(exc)) from None


def pydantic_fields(exc: ValidationError) -> dict[str, str]:
    """``{"phones.1.label": "..."}``; our own validators' messages are kept as written."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(part) for part in error["loc"]) or "body"
        ctx = error.get("ctx") or {}
        if error["type"] == "value_error" and isinstance(ctx.get("error"), ValueError):
            message = str(ctx["error"])
        else:
            message = error["msg"]
        # Field messages are format templates for the web layer: braces must stay literal.
        fields.setdefault(loc, message.replace("{", "{{").replace("}", "}}"))
    return fields


def normalize_phones(phones: list[PhoneIn], region: str, *, prefix: str = "phones"
                     ) -> tuple[list[Phone], dict[str, str]]:
    """E.164 numbers and per-index errors; a number listed twice is an error on the repeat."""
    result: list[Phone] = []
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}
    for index, phone in enumerate(phones):
        key = f"{prefix}.{index}.number"
        try:
            number = normalize(phone.number, region)
        except InvalidPhoneNumber:
            errors[key] = N_("not a valid phone number")
            continue
        if number in seen:
            errors[key] = N_("this number is already listed above")
            continue
        seen[number] = index
        result.append(Phone(number, phone.number, phone.label))
    return result, errors


def name_errors(last_name: str, company: str) -> dict[str, str]:
    if last_name or company:
        return {}
    message = N_("give a last name or a company")
    return {"last_name": message, "company": message}


# -- reading -----------------------------------------------------------------------------------


async def get_client(client_id: int) -> Client:
    """The client with its phones loaded (``client.phones`` in insertion order)."""
    client = await Client.get_or_none(id=client_id).prefetch_related("phones")
    if client is None:
        raise NotFound(N_("client {id} does not exist"), id=client_id)
    return client


def phones_of(client: Client) -> list[ClientPhone]:
    """The prefetched phones of a client, oldest first (the first is the main number)."""
    return sorted(client.phones, key=lambda p: p.id)


async def find_by_number(raw: str, region: str) -> list[Client]:
    """S7 screen pop: every client with this number, whatever format the caller id is in.

    Several clients may share a number (a switchboard, a family): all are returned, oldest
    record first, phones loaded. An anonymous or unparsable caller id finds nobody.
    """
    candidates = caller_candidates(raw, region)
    if not candidates:
        return []
    owners = ClientPhone.filter(number__in=candidates).values("client_id")
    return await (Client.filter(id__in=Subquery(owners)).order_by("id")
                  .prefetch_related("phones"))


def caller_candidates(raw: str, region: str) -> list[str]:
    """E.164 forms a caller id may stand for.

    Trunks often send the international number without its "+" ("33612345678"); read as a
    national number that is usually impossible, so the "+" form is tried as well.
    """
    found: list[str] = []
    first = normalize_or_none(raw, region)
    if first:
        found.append(first)
    digits = re.sub(r"\D", "", raw or "")
    text = (raw or "").strip()
    if digits and not text.startswith(("+", "0")):
        second = normalize_or_none("+" + digits, region)
        if second and second not in found:
            found.append(second)
    return found


async def search(query: str, *, region: str, limit: int = 20, offset: int = 0
                 ) -> tuple[list[Client], int]:
    """S6 search: a page of clients (phones loaded) and the total count.

    Every word must match a name, the company, the e-mail or the city (case-insensitive).
    A query that looks like a phone number matches the number in any format, and any number
    containing its digits (a national leading 0 is ignored so "06 12 34" finds +33612345678).
    """
    limit = max(1, min(limit, MAX_SEARCH_LIMIT))
    condition = search_condition(query, region)
    base = Client.all() if condition is None else Client.filter(condition)
    total = await base.count()
    rows = await (base.order_by("last_name", "first_name", "company", "id")
                  .offset(max(offset, 0)).limit(limit).prefetch_related("phones"))
    return rows, total


def search_condition(query: str, region: str) -> Q | None:
    text = " ".join(query.split())
    if not text:
        return None
    if PHONE_QUERY_RE.match(text) and _phone_digits(text):
        return _phone_condition(text, region)
    condition = Q()
    for word in text.split(" ")[:8]:
        word_q = (Q(first_name__icontains=word) | Q(last_name__icontains=word)
                  | Q(company__icontains=word) | Q(email__icontains=word)
                  | Q(city__icontains=word))
        if PHONE_QUERY_RE.match(word) and _phone_digits(word):
            word_q |= _phone_condition(word, region)
        condition &= word_q
    return condition


def _phone_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text).lstrip("0")
    return digits if len(digits) >= MIN_PARTIAL_DIGITS else ""


def _phone_condition(text: str, region: str) -> Q:
    phone_q = Q(number__contains=_phone_digits(text))
    exact = normalize_or_none(text, region)
    if exact:
        # "+33 (0)6 12..." has digits no stored number contains; its E.164 form does match.
        phone_q |= Q(number=exact)
    return Q(id__in=Subquery(ClientPhone.filter(phone_q).values("client_id")))


async def caller_lookup(raw: str, region: str) -> tuple[list[int], int | None]:
    """What the ACD needs when a call arrives, read on the reader connection so it never
    waits behind writes: the ids of the clients with this number and, when exactly one,
    the agent to offer the call to first (B10)."""
    candidates = caller_candidates(raw, region)
    if not candidates:
        return [], None
    conn = db.reader()
    # Hand-written: this runs for every call that arrives, and under a burst of callers the
    # ORM's query building was a tenth of the ACD's CPU (issue 10).
    mark = "?" if conn.capabilities.dialect == "sqlite" else "%s"
    sql = (f"SELECT DISTINCT client_id FROM {ClientPhone._meta.db_table} "
           f"WHERE number IN ({', '.join([mark] * len(candidates))})")
    rows = await conn.execute_query_dict(sql, candidates)
    ids = sorted(int(row["client_id"]) for row in rows)
    if len(ids) != 1:
        return ids, None
    return ids, await preferred_agent_for(ids[0], using=conn)


async def preferred_agent_for(client_id: int, *, using: Any = None) -> int | None:
    """B10 sticky routing: the client's assigned agent, else who answered their last call.

    Only active users count; the ACD still checks the agent is logged in and available.
    """
    # tortoise types a flat values_list as tuples
    assigned = cast("int | None", await (Client.filter(id=client_id).using_db(using).first()
                                         .values_list("assigned_agent_id", flat=True)))
    if assigned and await User.filter(id=assigned, active=True).using_db(using).exists():
        return assigned
    last = cast("int | None", await (
        Call.filter(client_id=client_id, answered_at__isnull=False, agent_id__isnull=False,
                    agent__active=True)
        .using_db(using)
        .order_by("-answered_at", "-id").first().values_list("agent_id", flat=True)))
    return last or None


# -- writing -----------------------------------------------------------------------------------


async def create_client(data: NewClient | Mapping[str, Any], *, region: str,
                        actor: User | None, ip: str = "") -> Client:
    """A new record; InvalidInput names every faulty field and nothing is saved then."""
    data = validate_input(NewClient, data)
    phones, errors = normalize_phones(data.phones, region)
    errors.update(name_errors(data.last_name, data.company))
    if data.assigned_agent_id is not None:
        errors.update(await _agent_errors(data.assigned_agent_id))
    if errors:
        raise InvalidInput(N_("some fields are invalid"), fields=errors)
    async with in_transaction("default"):
        client = await Client.create(assigned_agent_id=data.assigned_agent_id,
                                     **{name: getattr(data, name) for name in CLIENT_FIELDS})
        await ClientPhone.bulk_create([
            ClientPhone(client_id=client.id, number=p.number, as_typed=p.as_typed,
                        label=p.label) for p in phones
        ])
    details: dict[str, Any] = {name: getattr(client, name) for name in CLIENT_FIELDS
                               if name != "remarks" and getattr(client, name)}
    if data.remarks:
        details["remarks"] = f"{len(data.remarks)} characters"
    details["phones"] = [p.number for p in phones]
    if data.assigned_agent_id is not None:
        details["assigned_agent_id"] = data.assigned_agent_id
    await audit.record("client.create", actor=actor, target_type="client",
                       target_id=client.id, details=details, ip=ip)
    return await get_client(client.id)


async def update_client(client_id: int, data: ClientPatch | Mapping[str, Any], *, region: str,
                        actor: User | None, ip: str = "") -> Client:
    """Applies the fields sent; ``phones`` replaces the list (labels and as-typed kept)."""
    data = validate_input(ClientPatch, data)
    client = await get_client(client_id)
    changes = data.model_dump(exclude_unset=True, exclude={"phones"})
    errors: dict[str, str] = {}
    phones: list[Phone] | None = None
    if data.phones is not None:
        phones, errors = normalize_phones(data.phones, region)
    errors.update(name_errors(changes.get("last_name", client.last_name),
                              changes.get("company", client.company)))
    new_agent = changes.get("assigned_agent_id")
    current_agent = client.assigned_agent_id
    if new_agent is not None and new_agent != current_agent:
        errors.update(await _agent_errors(new_agent))
    if errors:
        raise InvalidInput(N_("some fields are invalid"), fields=errors)

    summary: dict[str, Any] = {}
    for name in CLIENT_FIELDS:
        if name in changes and changes[name] != getattr(client, name):
            if name == "remarks":  # can be long and personal: the log says only that it changed
                summary[name] = "changed"
            else:
                summary[name] = {"from": getattr(client, name), "to": changes[name]}
            setattr(client, name, changes[name])
    if "assigned_agent_id" in changes and new_agent != current_agent:
        summary["assigned_agent_id"] = {"from": current_agent, "to": new_agent}
        client.assigned_agent_id = new_agent
    async with in_transaction("default"):
        if summary:
            await client.save()
        if phones is not None:
            phone_change = await _replace_phones(client, phones)
            if phone_change:
                summary["phones"] = phone_change
    if summary:
        await audit.record("client.update", actor=actor, target_type="client",
                           target_id=client.id, details={"changes": summary}, ip=ip)
    return await get_client(client.id)


async def add_phone(client_id: int, raw: str, *, region: str, label: str = "",
                    actor: User | None, ip: str = "", action: str = "client.add_phone"
                    ) -> ClientPhone:
    """One more number on a record; Conflict when the record already has it."""
    client = await get_client(client_id)
    phone = validate_input(PhoneIn, {"number": raw, "label": label})
    phones, errors = normalize_phones([phone], region)
    if errors:
        raise InvalidInput(N_("not a valid phone number"),
                           fields={"number": N_("not a valid phone number")})
    number = phones[0].number
    if any(p.number == number for p in client.phones):
        raise _number_taken(number)
    try:
        row = await ClientPhone.create(client_id=client.id, number=number,
                                       as_typed=phone.number, label=phone.label)
    except IntegrityError:  # the same number added concurrently
        raise _number_taken(number) from None
    await audit.record(action, actor=actor, target_type="client", target_id=client.id,
                       details={"number": number, "label": phone.label}, ip=ip)
    return row


async def attach_number(client_id: int, raw: str, *, region: str, label: str = "",
                        actor: User | None, ip: str = "") -> ClientPhone:
    """S7: the unknown caller turned out to be this client calling from another number."""
    return await add_phone(client_id, raw, region=region, label=label, actor=actor, ip=ip,
                           action="client.attach_number")


async def remove_phone(client_id: int, phone_id: int, *, actor: User | None,
                       ip: str = "") -> None:
    row = await ClientPhone.get_or_none(id=phone_id, client_id=client_id)
    if row is None:
        raise NotFound(N_("phone {id} is not on client {client_id}"), id=phone_id,
                       client_id=client_id)
    await row.delete()
    await audit.record("client.remove_phone", actor=actor, target_type="client",
                       target_id=client_id, details={"number": row.number}, ip=ip)


def _number_taken(number: str) -> Conflict:
    return Conflict(N_("the number {number} is already on this client"), number=number,
                    fields={"number": N_("this number is already on this client")})


async def _agent_errors(agent_id: int) -> dict[str, str]:
    # Supervisors take calls too in small centres, so any active user below admin qualifies.
    exists = await User.filter(id=agent_id, active=True,
                               role__in=[Role.AGENT, Role.SUPERVISOR]).exists()
    if exists:
        return {}
    return {"assigned_agent_id": N_("not an active agent")}


async def _replace_phones(client: Client, phones: list[Phone]) -> dict[str, Any]:
    """Makes the stored list equal ``phones``, touching only rows that differ."""
    current = {p.number: p for p in client.phones}
    wanted = {p.number: p for p in phones}
    removed = [row for number, row in current.items() if number not in wanted]
    added = [p for number, p in wanted.items() if number not in current]
    relabelled = []
    for number, phone in wanted.items():
        row = current.get(number)
        if row is not None and (row.label != phone.label or row.as_typed != phone.as_typed):
            row.label, row.as_typed = phone.label, phone.as_typed
            await row.save(update_fields=["label", "as_typed"])
            relabelled.append(number)
    if removed:
        await ClientPhone.filter(id__in=[row.id for row in removed]).delete()
    if added:
        await ClientPhone.bulk_create([
            ClientPhone(client_id=client.id, number=p.number, as_typed=p.as_typed,
                        label=p.label) for p in added
        ])
    change: dict[str, Any] = {}
    if added:
        change["added"] = [p.number for p in added]
    if removed:
        change["removed"] = [row.number for row in removed]
    if relabelled:
        change["relabelled"] = relabelled
    return change
