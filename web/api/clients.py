"""S6/S7/S8/B5 client records over JSON: search, caller lookup, the record, its phones,
its interventions and calls, CSV import (preview, then all or nothing) and export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm import client_import, clients, interventions, recordings
from crm.clients import NewClient, PhoneIn
from crm.interventions import NewIntervention
from crm.models import Client, Role
from crm.phones import display
from web.api.registry import ApiRouteTable, path_id
from web.api.schemas import Out
from web.appkeys import SETTINGS_KEY
from web.errors import ApiError
from web.i18n import current_language
from web.security.auth import client_ip, request_user

routes = ApiRouteTable("Clients")

MAX_CSV_CHARS = 20_000_000
# The import's JSON body: 50 000 rows of a generous CSV (about 400 bytes each, escaped).
IMPORT_MAX_BODY = 32 * 1024 * 1024


class ClientUpdate(clients.ClientPatch):
    """The record form: the same fields as ClientPatch (kept a named schema for OpenAPI)."""


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(default="", max_length=128)
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000_000_000)


class InterventionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # A frequent caller's record opens on the latest notes; "show more" asks for more.
    last: int | None = Field(default=None, ge=1, le=10_000)


class LookupQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=64)


class PhoneAddIn(PhoneIn):
    # True when the agent attaches the number an unknown caller called from (S7).
    from_call: bool = False


class CsvIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    csv: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CSV_CHARS)]
    on_duplicate: Literal["skip", "create", "merge"] = "skip"


class PhoneOut(Out):
    id: int
    number: str
    display: str
    as_typed: str
    label: str


class ClientOut(Out):
    id: int
    first_name: str
    last_name: str
    company: str
    email: str
    address: str
    postal_code: str
    city: str
    country: str
    remarks: str
    assigned_agent_id: int | None
    display_name: str
    phones: list[PhoneOut]
    created_at: datetime | None

    @classmethod
    def build(cls, client: Client, region: str) -> ClientOut:
        phones = clients.phones_of(client)
        name = " ".join(p for p in (client.first_name, client.last_name) if p)
        if client.company:
            name = f"{name} ({client.company})" if name else client.company
        return cls(
            id=client.id, display_name=name,
            assigned_agent_id=client.assigned_agent_id,
            created_at=client.created_at,
            phones=[PhoneOut(id=p.id, number=p.number, display=display(p.number, region),
                             as_typed=p.as_typed, label=p.label) for p in phones],
            **{name: getattr(client, name) for name in clients.CLIENT_FIELDS},
        )


class ClientList(Out):
    items: list[ClientOut]
    total: int
    limit: int
    offset: int


class CallRefOut(Out):
    ref: str
    direction: str
    started_at: datetime
    talk_s: float | None


class InterventionOut(Out):
    id: int
    created_at: datetime
    agent_id: int | None
    agent_name: str
    call: CallRefOut | None
    disposition_id: int | None
    disposition_label: str
    preview: str
    text: str

    @classmethod
    def build(cls, v: interventions.InterventionView) -> InterventionOut:
        call = None
        if v.call is not None:
            call = CallRefOut(ref=v.call.ref, direction=v.call.direction.value,
                              started_at=v.call.started_at, talk_s=v.call.talk_s)
        return cls(id=v.id, created_at=v.created_at, agent_id=v.agent_id,
                   agent_name=v.agent_name, call=call, disposition_id=v.disposition_id,
                   disposition_label=v.disposition_label, preview=v.preview, text=v.text)


class InterventionList(Out):
    items: list[InterventionOut]
    total: int


class RecordingOut(Out):
    """B9: one recorded segment of a call."""

    id: int
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    status: str = Field(description="recording (Asterisk writes it), ok or failed")
    error: str = Field(description="why it failed (empty otherwise)")
    url: str | None = Field(description="plays it (HTTP Range supported); null unless ok")
    download_url: str | None = Field(
        default=None, description="downloads it: supervisors and administrators only")


def recording_out(view: recordings.RecordingView, can_download: bool) -> RecordingOut:
    url = f"/recordings/{view.id}" if view.status == "ok" else None
    return RecordingOut(id=view.id, started_at=view.started_at, ended_at=view.ended_at,
                        duration_s=view.duration_s, status=view.status, error=view.error,
                        url=url, download_url=f"{url}?download=1" if url and can_download
                        else None)


class CallEntryOut(Out):
    ref: str
    direction: str
    started_at: datetime
    caller_number: str
    caller_display: str = Field(description="the number in the centre's format")
    agent_name: str
    group_name: str
    outcome: str | None
    talk_s: float | None
    disposition_label: str
    recordings: list[RecordingOut] = Field(
        default_factory=list, description="B9: its recorded segments you may hear")


class CallList(Out):
    items: list[CallEntryOut]
    total: int


class RowOut(Out):
    line: int
    values: dict[str, str]
    phones: list[str]
    phones_display: list[str]
    errors: dict[str, str]
    duplicate_client_ids: list[int]
    duplicate_of_line: int | None


class PreviewOut(Out):
    ok: bool
    delimiter: str
    columns: dict[str, str]
    ignored_columns: list[str]
    file_errors: list[str]
    rows: list[RowOut]
    error_rows: int
    duplicate_rows: int


class ImportOut(Out):
    created: int
    merged: int
    skipped: int
    phones_added: int


def region(request: web.Request) -> str:
    return request.app[SETTINGS_KEY].default_region


def preview_out(p: client_import.ImportPreview, region: str) -> PreviewOut:
    return PreviewOut(
        ok=p.ok, delimiter=p.delimiter, columns=p.columns, ignored_columns=p.ignored_columns,
        file_errors=p.file_errors, error_rows=len(p.error_rows),
        duplicate_rows=len(p.duplicate_rows),
        rows=[RowOut(line=r.line, values=r.values, phones=[ph.number for ph in r.phones],
                     phones_display=[display(ph.number, region) for ph in r.phones],
                     errors=r.errors, duplicate_client_ids=r.duplicate_client_ids,
                     duplicate_of_line=r.duplicate_of_line) for r in p.rows],
    )


@routes.get("/api/v1/clients", role=Role.AGENT, query=SearchQuery, response=ClientList,
            summary="S6: search by name, company, e-mail, city or any phone number format")
async def search_clients(request: web.Request, query: SearchQuery) -> ClientList:
    rows, total = await clients.search(query.q, region=region(request), limit=query.limit,
                                       offset=query.offset)
    return ClientList(items=[ClientOut.build(c, region(request)) for c in rows], total=total,
                      limit=query.limit, offset=query.offset)


@routes.get("/api/v1/clients/lookup", role=Role.AGENT, query=LookupQuery, response=ClientList,
            summary="S7: every client with this phone number (any format)")
async def lookup(request: web.Request, query: LookupQuery) -> ClientList:
    found = await clients.find_by_number(query.number, region(request))
    return ClientList(items=[ClientOut.build(c, region(request)) for c in found], total=len(found),
                      limit=len(found), offset=0)


@routes.post("/api/v1/clients", role=Role.AGENT, request=NewClient, response=ClientOut,
             status=201, summary="Create a client record (phones normalized to E.164)",
             errors=(422,))
async def create_client(request: web.Request, body: NewClient) -> ClientOut:
    client = await clients.create_client(body, region=region(request),
                                         actor=request_user(request), ip=client_ip(request))
    return ClientOut.build(client, region(request))


@routes.get("/api/v1/clients/export.csv", role=Role.SUPERVISOR, content_type="text/csv",
            summary="B5: every client as CSV (audited)")
async def export_csv(request: web.Request) -> web.StreamResponse:
    text = await client_import.export_clients_csv(actor=request_user(request),
                                                  ip=client_ip(request))
    # A BOM so spreadsheets read the UTF-8 accents right.
    return web.Response(body=("\ufeff" + (text or "")).encode(),
                        content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="clients.csv"'})


@routes.post("/api/v1/clients/import/preview", role=Role.SUPERVISOR, request=CsvIn,
             response=PreviewOut, summary="B5: check a CSV file; nothing is written",
             errors=(413, 422), max_body=IMPORT_MAX_BODY)
async def import_preview(request: web.Request, body: CsvIn) -> PreviewOut:
    return preview_out(await client_import.preview_import(body.csv, region(request)),
                       region(request))


@routes.post("/api/v1/clients/import", role=Role.SUPERVISOR, request=CsvIn, response=ImportOut,
             summary="B5: import a CSV file: every row, or none if any row is wrong",
             errors=(413, 422), max_body=IMPORT_MAX_BODY)
async def import_apply(request: web.Request, body: CsvIn) -> ImportOut:
    try:
        result = await client_import.apply_import(body.csv, region(request),
                                                  actor=request_user(request),
                                                  on_duplicate=body.on_duplicate,
                                                  ip=client_ip(request))
    except client_import.ImportRejected as exc:
        # Nothing was written; name every faulty cell so the page can show them.
        fields = {f"line {row.line}: {name}": message
                  for row in exc.preview.error_rows for name, message in row.errors.items()}
        if exc.preview.file_errors:
            fields["file"] = exc.preview.file_errors[0]
        raise ApiError(422, "validation_error",
                       "the file has errors; nothing was imported", fields) from None
    return ImportOut(created=result.created, merged=result.merged, skipped=result.skipped,
                     phones_added=result.phones_added)


@routes.get("/api/v1/clients/{client_id}", role=Role.AGENT, response=ClientOut,
            summary="S8: one client record", errors=(404,))
async def get_client(request: web.Request) -> ClientOut:
    return ClientOut.build(await clients.get_client(path_id(request, "client_id")), region(request))


@routes.patch("/api/v1/clients/{client_id}", role=Role.AGENT, request=ClientUpdate,
              response=ClientOut, summary="S8: change contact details and remarks; `phones` "
              "replaces the list", errors=(404, 422))
async def update_client(request: web.Request, body: ClientUpdate) -> ClientOut:
    client = await clients.update_client(path_id(request, "client_id"), body,
                                         region=region(request), actor=request_user(request),
                                         ip=client_ip(request))
    return ClientOut.build(client, region(request))


@routes.post("/api/v1/clients/{client_id}/phones", role=Role.AGENT, request=PhoneAddIn,
             response=ClientOut, status=201,
             summary="Add a number (S7: attach the unknown caller's number)",
             errors=(404, 409, 422))
async def add_phone(request: web.Request, body: PhoneAddIn) -> ClientOut:
    client_id = path_id(request, "client_id")
    adder = clients.attach_number if body.from_call else clients.add_phone
    await adder(client_id, body.number, region=region(request), label=body.label,
                actor=request_user(request), ip=client_ip(request))
    return ClientOut.build(await clients.get_client(client_id), region(request))


@routes.delete("/api/v1/clients/{client_id}/phones/{phone_id}", role=Role.AGENT,
               response=ClientOut, summary="Remove a number from a record", errors=(404,))
async def remove_phone(request: web.Request) -> ClientOut:
    client_id = path_id(request, "client_id")
    await clients.remove_phone(client_id, path_id(request, "phone_id"),
                               actor=request_user(request), ip=client_ip(request))
    return ClientOut.build(await clients.get_client(client_id), region(request))


@routes.get("/api/v1/clients/{client_id}/interventions", role=Role.AGENT,
            query=InterventionQuery, response=InterventionList,
            summary="S8: interventions, oldest first; `last=N` keeps the N most recent "
                    "(still oldest first), `total` counts them all", errors=(404,))
async def list_interventions(request: web.Request, query: InterventionQuery
                             ) -> InterventionList:
    views, total = await interventions.list_interventions(path_id(request, "client_id"),
                                                          language=current_language(),
                                                          last=query.last)
    return InterventionList(items=[InterventionOut.build(v) for v in views], total=total)


@routes.post("/api/v1/clients/{client_id}/interventions", role=Role.AGENT,
             request=NewIntervention, response=InterventionOut, status=201,
             summary="S8: write an intervention (optionally linked to a call and outcome)",
             errors=(404, 422))
async def add_intervention(request: web.Request, body: NewIntervention) -> InterventionOut:
    view = await interventions.add_intervention(path_id(request, "client_id"), body,
                                                agent=request_user(request),
                                                ip=client_ip(request))
    return InterventionOut.build(view)


@routes.get("/api/v1/clients/{client_id}/calls", role=Role.AGENT, response=CallList,
            summary="The client's calls, newest first", errors=(404,))
async def client_calls(request: web.Request) -> CallList:
    rows, total = await interventions.client_history(path_id(request, "client_id"), limit=50,
                                                     language=current_language())
    user = request_user(request)
    heard = await recordings.for_calls(user, [c.ref for c in rows])
    can_download = user.role.at_least(Role.SUPERVISOR)
    return CallList(total=total, items=[
        CallEntryOut(ref=c.ref, direction=c.direction.value, started_at=c.started_at,
                     caller_number=c.caller_number,
                     caller_display=display(c.caller_number, region(request)),
                     agent_name=c.agent_name,
                     group_name=c.group_name, outcome=c.outcome.value if c.outcome else None,
                     talk_s=c.talk_s, disposition_label=c.disposition_label,
                     recordings=[recording_out(v, can_download) for v in heard.get(c.ref, [])])
        for c in rows])
