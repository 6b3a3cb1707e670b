"""S6, S7, S9, B4 over JSON: the agent's own ACD session, calls and statistics.

Every action works on the caller's *own* ACD agent: call actions take no call id but use the
call the ACD says this agent is on, so an agent cannot act on somebody else's call. The few
routes that name a call (wrap-up after the call ended, reading a transferred note) check that
the call was offered to, or placed by, this agent.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Any, Literal, cast

from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from crm import interventions
from crm.call_notes import Draft, NoteStore, set_disposition
from crm.call_segments import involves_agent
from crm.clients import caller_candidates
from crm.dialstrings import DialNumber, Extension, check_transfer_target, is_number
from crm.ids import MAX_ID
from crm.models import (
    Client,
    ClientPhone,
    Group,
    Role,
    User,
)
from crm.reference import label_in, list_entries
from crm.stats.agent_day import agent_day
from crm.users import extension_owner
from stasis_app.service import AcdRefused, AcdService, TransferTarget
from stasis_app.wire import to_json
from web.acd_exit import ON_CALL_MESSAGE, OnCall, leave_acd
from web.api.registry import ApiRouteTable, parse_id
from web.api.schemas import Out
from web.appkeys import RUNTIME_KEY, SERVICES_KEY, SETTINGS_KEY
from web.errors import ApiError
from web.formatting import phone_display
from web.i18n import current_language
from web.security.auth import client_ip, request_user
from web.wrapup import WrapupBook

routes = ApiRouteTable("Agent console")

ReasonCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
NoteText = Annotated[str, StringConstraints(max_length=20_000)]
# States the ACD only leaves by itself (ringing, on a call, wrap-up): logout waits for them.


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AcdLoginIn(In):
    extension: Extension
    paused: bool = False
    reason: ReasonCode = ""


class StatusIn(In):
    state: Literal["available", "paused"]
    reason: ReasonCode = ""


class NoteIn(In):
    text: NoteText
    client_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class RecordIn(In):
    on: bool | None = None


class MuteIn(In):
    muted: bool = True


class DtmfIn(In):
    digits: Annotated[str, StringConstraints(pattern=r"^[0-9*#A-D]{1,32}$")] = Field(
        description="1 to 32 of 0-9, *, #, A-D")


class AttachIn(In):
    client_id: int | None = Field(ge=1, le=MAX_ID)
    note: NoteText = ""


class TransferIn(In):
    kind: Literal["agent", "group", "number"]
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    mode: Literal["blind", "attended"] = "blind"
    client_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    note: NoteText = ""

    @field_validator("value")
    @classmethod
    def _value_fits_kind(cls, value: str, info: ValidationInfo) -> str:
        return check_transfer_target(info.data.get("kind", ""), value)


class WrapupIn(In):
    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    client_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    disposition_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    note: NoteText = ""
    # False: just record the outcome; the agent stays in wrap-up (to finish the note).
    done: bool = True


class DialIn(In):
    number: DialNumber
    client_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class RefOut(Out):
    id: int
    code: str
    label: str


class AgentOut(Out):
    agent_id: int
    extension: str
    state: str
    reason: str
    state_since: float
    call_id: str | None
    pending_pause: str | None
    pending_logout: bool
    phone: str = Field(default="unknown", description="Asterisk's word on the agent's phone: "
                       "idle, in_use, unreachable or unknown (issue 12)")


class ClientRefOut(Out):
    id: int
    display_name: str


class CallOut(Out):
    call_id: str
    direction: str
    state: str
    group_id: int | None
    caller_number: str = Field(description="inbound: the caller; outbound: the number dialled")
    caller_name: str = Field(description="the name the network gave (not the client's)")
    client_id: int | None
    note_ref: str | None
    # The agent talking with the caller: for a consulted colleague, the one consulting.
    agent_id: int | None
    started_at: float
    entered_at: float
    answered_at: float | None
    # What the call card shows, so a page needs no other request (issue 14, items 5, 10).
    number_display: str = Field(default="", description="the number in the centre's format")
    client_name: str = Field(default="", description="the client on the call, or the only "
                             "client with this number; empty when unknown")
    matches: list[ClientRefOut] = Field(default_factory=list,
                                        description="every client with this number")
    group_name: str = ""
    # B11: what the agent did to the call (the console's hold and mute buttons)
    on_hold: bool = Field(default=False, description="the caller is on hold (hears music)")
    hold_s: float = Field(default=0.0, description="seconds on hold so far (periods over)")
    agent_muted: bool = Field(default=False, description="the caller does not hear the agent")
    # B9: the console's Record button and recording indicator
    recording: bool = Field(default=False, description="Asterisk is recording the call now")
    recording_mode: str = Field(default="off", description="the group's recording mode: off, "
                                "all, on_demand (the agent starts and stops it)")


class WrapupOut(Out):
    call_id: str
    group_id: int | None
    started_at: float = Field(description="the ACD's clock, as ``now``")
    ends_at: float
    limit_at: float = Field(description="no extension goes past this")
    extend_s: int = Field(description="what one extension adds")
    requires_outcome: bool


class DraftOut(Out):
    ref: str
    call_id: str
    client_id: int | None
    text: str
    # The last agent who saved it: on a transferred call, the one who handed it over.
    author_id: int


class StatusOut(Out):
    acd: bool
    # The ACD's clock (epoch seconds) so the page computes "time in status" without skew.
    now: float
    agent: AgentOut | None
    call: CallOut | None
    wrapup: WrapupOut | None = None
    message: str = ""


class InterventionPage(Out):
    items: list[dict[str, Any]]
    total: int


class PopOut(Out):
    """S7 screen pop, whole: who may be calling and, once one client is known, their
    record and latest interventions (the console draws it without another request)."""

    call_id: str
    caller_number: str
    number_display: str
    matches: list[ClientRefOut]
    client_id: int | None
    record: dict[str, Any] | None
    interventions: InterventionPage | None
    note: DraftOut | None


class ConsoleOut(StatusOut):
    user_id: int
    name: str
    default_extension: str
    demo: bool
    pause_reasons: list[RefOut]
    dispositions: list[RefOut]
    note: DraftOut | None
    pop: PopOut | None = None


class StatsOut(Out):
    received: int = Field(description="offers of inbound calls")
    answered: int
    rejected: int
    missed: int
    transferred: int
    placed: int = Field(description="outbound (click-to-call) calls the agent placed")
    talk_s: float
    aht_s: float | None
    pause_s: float


class ColleagueOut(Out):
    id: int
    name: str
    state: str
    extension: str


class GroupRefOut(Out):
    id: int
    name: str
    number: str


class DirectoryOut(Out):
    agents: list[ColleagueOut]
    groups: list[GroupRefOut]


class WrapupDoneOut(Out):
    intervention_id: int | None
    disposition: str
    status: StatusOut


class NoteSaved(Out):
    note: DraftOut


# -- helpers -----------------------------------------------------------------------------


def notes(app: web.Application) -> NoteStore:
    services = app[SERVICES_KEY]
    if "call_notes" not in services:
        services["call_notes"] = NoteStore()
    store: NoteStore = services["call_notes"]
    return store


def acd_of(request: web.Request) -> AcdService:
    acd = request.app[RUNTIME_KEY]
    if acd is None:
        raise ApiError(503, "acd_unavailable", "the call distribution is not running")
    return acd


async def ask(call: Any) -> Any:
    """Runs an ACD request; a refusal is the agent's mistake: 409 with the ACD's message."""
    try:
        return await call
    except AcdRefused as exc:
        raise ApiError(409, exc.code, exc.message) from None


def wrapups(app: web.Application) -> WrapupBook:
    services = app[SERVICES_KEY]
    if "wrapups" not in services:
        services["wrapups"] = WrapupBook()
    book: WrapupBook = services["wrapups"]
    return book


async def status_of(request: web.Request, user_id: int, message: str = "") -> StatusOut:
    return await console_status(request.app, user_id, message)


async def console_status(app: web.Application, user_id: int, message: str = "") -> StatusOut:
    """The agent's ACD state, call (with what its card shows) and wrap-up: the answer of
    every console route, and what the agent's own live events carry (web.live)."""
    acd = app[RUNTIME_KEY]
    if acd is None:
        return StatusOut(acd=False, now=0.0, agent=None, call=None, message=message)
    view = acd.logged_in_agent(user_id)  # logged-out agents' views: gone, to the console
    call = acd.call(view.call_id) if view is not None and view.call_id else None
    book = wrapups(app)
    if call is not None:
        book.saw_call(user_id, call.call_id, call.group_id)
    wrapup = await book.current(user_id, view)
    return StatusOut(
        acd=True, now=acd.engine_clock, message=message,
        agent=AgentOut.model_validate(_pick(to_json(view), AgentOut)) if view else None,
        call=_with_recording(acd, user_id, await call_out(app, call)) if call else None,
        wrapup=WrapupOut(**{name: getattr(wrapup, name) for name in WrapupOut.model_fields})
        if wrapup else None,
    )


def _with_recording(acd: Any, user_id: int, out: CallOut) -> CallOut:
    out.recording = acd.recording_now(user_id)
    out.recording_mode = acd.recording_mode(out.group_id)
    return out


def _pick(data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    return {name: data[name] for name in model.model_fields if name in data}


def region_of(app: web.Application) -> str:
    return str(app[SETTINGS_KEY].default_region)


async def call_out(app: web.Application, call: Any) -> CallOut:
    """The ACD's view of a call, with the names and the number as the call card shows
    them: the client's name (never the network's "Caller 91"), the number in the centre's
    format, the group's name."""
    out = CallOut.model_validate(_pick(to_json(call), CallOut))
    region = region_of(app)
    out.number_display = phone_display(out.caller_number, region)
    out.matches = await clients_with_number(out.caller_number, region)
    if out.client_id is not None:
        client = await Client.get_or_none(id=out.client_id).only(
            "id", "first_name", "last_name", "company")
        out.client_name = display_name(client) if client else ""
    elif len(out.matches) == 1:
        out.client_name = out.matches[0].display_name
    if out.group_id is not None:
        name = cast("list[str]", await Group.filter(id=out.group_id).values_list(
            "name", flat=True))  # tortoise types flat values_list as tuples
        out.group_name = name[0] if name else ""
    return out


def display_name(client: Any) -> str:
    """The name a client is shown by: first and last name, the company in brackets."""
    name = " ".join(p for p in (client.first_name, client.last_name) if p)
    if client.company:
        name = f"{name} ({client.company})" if name else client.company
    return name


MAX_MATCHES = 20


async def clients_with_number(number: str, region: str) -> list[ClientRefOut]:
    candidates = caller_candidates(number, region)
    if not candidates:
        return []
    ids = await ClientPhone.filter(number__in=candidates).values_list("client_id", flat=True)
    rows = await Client.filter(id__in=list(set(ids))).order_by("id").limit(MAX_MATCHES).only(
        "id", "first_name", "last_name", "company")
    return [ClientRefOut(id=c.id, display_name=display_name(c)) for c in rows]


POP_INTERVENTIONS = 10


async def pop_payload(app: web.Application, pop: dict[str, Any]) -> PopOut:
    """Everything the screen pop shows, from the ACD's ScreenPop event (or the call a
    reloaded console is on): the candidates for the number, and the record of the one
    client the call is about — attached, carried by a transfer's note, or the only match."""
    from web.api.clients import ClientOut, InterventionOut  # the clients API owns these

    region = region_of(app)
    number = str(pop.get("caller_number") or "")
    matches = await clients_with_number(number, region)
    note = None
    if pop.get("note_ref"):
        note = notes(app).get(str(pop["note_ref"]))
    client_id = pop.get("client_id") or (note.client_id if note else None)
    if client_id is None and len(matches) == 1:
        client_id = matches[0].id
    record = page = None
    if client_id is not None:
        client = await Client.get_or_none(id=client_id).prefetch_related("phones")
        if client is not None:
            record = ClientOut.build(client, region).model_dump(mode="json")
            views, total = await interventions.list_interventions(
                client.id, last=POP_INTERVENTIONS, language=current_language())
            page = InterventionPage(items=[InterventionOut.build(v).model_dump(mode="json")
                                           for v in views], total=total)
        else:
            client_id = None
    return PopOut(call_id=str(pop.get("call_id") or ""), caller_number=number,
                  number_display=phone_display(number, region), matches=matches,
                  client_id=client_id, record=record, interventions=page,
                  note=draft_out(note))


def current_call_id(request: web.Request, user_id: int) -> str:
    view = acd_of(request).logged_in_agent(user_id)
    if view is None:
        raise ApiError(409, "not_logged_in", "log in to the call distribution first")
    if not view.call_id:
        raise ApiError(409, "no_call", "you have no call in progress")
    remember_call(request, user_id)
    return view.call_id


def remember_call(request: web.Request, user_id: int) -> None:
    """Before an action that may end the agent's call: the wrap-up that follows is this
    call's (and its group's rules), known without waiting for the journal."""
    acd = request.app[RUNTIME_KEY]
    if acd is None:
        return
    view = acd.agent(user_id)
    call = acd.call(view.call_id) if view is not None and view.call_id else None
    if call is not None:
        wrapups(request.app).saw_call(user_id, call.call_id, call.group_id)


async def check_reason(reason: str) -> None:
    """A pause reason must be one of the active PauseReason codes (when any exist)."""
    codes = [r.code for r in await list_entries("pause_reason", active_only=True)]
    if reason and reason not in codes:
        raise ApiError(422, "validation_error", "some fields are invalid",
                       {"reason": "not an active pause reason"})
    if not reason and codes:
        raise ApiError(422, "validation_error", "some fields are invalid",
                       {"reason": "choose a pause reason"})


async def check_own_call(call_id: str, user: User) -> None:
    """The call was offered to, or placed by, this agent (a supervisor may act on any)."""
    if user.role.at_least(Role.SUPERVISOR):
        return
    if await involves_agent(call_id, user.id):
        return
    raise ApiError(403, "forbidden", "this call is not one of yours")


def draft_out(draft: Draft | None) -> DraftOut | None:
    if draft is None:
        return None
    return DraftOut(ref=draft.ref, call_id=draft.call_id, client_id=draft.client_id,
                    text=draft.text, author_id=draft.author_id)


async def my_stats(request: web.Request, user_id: int) -> StatsOut:
    day = await agent_day(user_id, request.app[SETTINGS_KEY].tz)
    return StatsOut(**asdict(day))


# -- routes ------------------------------------------------------------------------------


@routes.get("/api/v1/agent/console", role=Role.AGENT, response=ConsoleOut,
            summary="Everything the console needs at start: ACD state, call, lists, draft note")
async def console(request: web.Request) -> ConsoleOut:
    return await console_boot(request.app, request_user(request))


async def console_boot(app: web.Application, user: User) -> ConsoleOut:
    """The console's first paint (embedded in the page, and this API route): the ACD
    state, the call with its screen pop, the lists in the user's language."""
    status = await console_status(app, user.id)
    draft = pop = None
    if status.call is not None:
        store = notes(app)
        draft = store.get(status.call.note_ref or "") or store.for_call(status.call.call_id)
        pop = await pop_payload(app, {
            "call_id": status.call.call_id, "caller_number": status.call.caller_number,
            "client_id": status.call.client_id or (draft.client_id if draft else None),
            "note_ref": draft.ref if draft else None})
    language = current_language()
    reasons = await list_entries("pause_reason", active_only=True)
    dispositions = await list_entries("disposition", active_only=True)
    return ConsoleOut(
        **status.model_dump(), user_id=user.id, name=user.name,
        default_extension=user.extension, demo=bool(app[SETTINGS_KEY].demo),
        pause_reasons=[RefOut(id=r.id, code=r.code, label=label_in(r, language))
                       for r in reasons],
        dispositions=[RefOut(id=d.id, code=d.code, label=label_in(d, language))
                      for d in dispositions],
        note=draft_out(draft), pop=pop,
    )


@routes.post("/api/v1/agent/login", role=Role.AGENT, request=AcdLoginIn, response=StatusOut,
             summary="S6: join the call distribution on an extension, available or paused",
             errors=(409, 422, 503))
async def acd_login(request: web.Request, body: AcdLoginIn) -> StatusOut:
    user = request_user(request)
    acd = acd_of(request)
    if body.paused:
        await check_reason(body.reason)
    # The check and the login are one step: two agents typing the same extension at the
    # same moment must not both get in.
    async with _login_lock(request.app):
        other = extension_in_use(acd, body.extension, user.id)
        if other is not None:
            holder = await User.get_or_none(id=other).only("id", "name", "login")
            name = (holder.name or holder.login) if holder else f"#{other}"
            raise ApiError(409, "extension_in_use", "some fields are invalid",
                           {"extension": f"extension {body.extension} is in use by {name}"})
        await ask(acd.login(user.id, body.extension, paused=body.paused,
                            reason=body.reason if body.paused else ""))
    # Remembered as the default for the next login, unless it is somebody else's default
    # (hot-desking on a colleague's phone must not make it two people's phone).
    if user.extension != body.extension and await extension_owner(body.extension, user.id) is None:
        user.extension = body.extension
        await User.filter(id=user.id).update(extension=body.extension)
    return await status_of(request, user.id)


def _login_lock(app: web.Application) -> asyncio.Lock:
    services = app[SERVICES_KEY]
    if "acd_login_lock" not in services:
        services["acd_login_lock"] = asyncio.Lock()
    lock: asyncio.Lock = services["acd_login_lock"]
    return lock


def extension_in_use(acd: AcdService, extension: str, me: int) -> int | None:
    """The agent logged into the ACD on this extension, other than ``me``."""
    return acd.agent_on_extension(extension, besides=me)


@routes.post("/api/v1/agent/logout", role=Role.AGENT, response=StatusOut,
             summary="S9: leave the call distribution (refused during a call)",
             errors=(409, 503))
async def acd_logout(request: web.Request) -> StatusOut:
    user = request_user(request)
    acd_of(request)  # 503 when the ACD is not running
    try:
        await ask(leave_acd(request.app, user.id))
    except OnCall:
        raise ApiError(409, "on_call", ON_CALL_MESSAGE) from None
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/status", role=Role.AGENT, request=StatusIn, response=StatusOut,
             summary="S6/B4: become available, or pause with a reason", errors=(409, 422, 503))
async def set_status(request: web.Request, body: StatusIn) -> StatusOut:
    user = request_user(request)
    acd = acd_of(request)
    if body.state == "paused":
        await check_reason(body.reason)
        done = await ask(acd.pause(user.id, body.reason))
    else:
        done = await ask(acd.unpause(user.id))
    deferred = done.deferred
    return await status_of(request, user.id,
                     "the pause starts when the current call ends" if deferred else "")


@routes.post("/api/v1/agent/call/reject", role=Role.AGENT, response=StatusOut,
             summary="S7: reject the ringing call (it goes to the next agent)",
             errors=(409, 503))
async def reject(request: web.Request) -> StatusOut:
    user = request_user(request)
    remember_call(request, user.id)
    await ask(acd_of(request).reject(user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/hangup", role=Role.AGENT, response=StatusOut,
             summary="Hang up the current call", errors=(409, 503))
async def hangup(request: web.Request) -> StatusOut:
    user = request_user(request)
    remember_call(request, user.id)
    await ask(acd_of(request).hangup(user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/hold", role=Role.AGENT, response=StatusOut,
             summary="B11: put the caller on hold (music for the caller, silence for you)",
             errors=(409, 503))
async def hold(request: web.Request) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).hold(user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/resume", role=Role.AGENT, response=StatusOut,
             summary="B11: take the caller off hold", errors=(409, 503))
async def resume(request: web.Request) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).resume(user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/record", role=Role.AGENT, request=RecordIn,
             response=StatusOut,
             summary="B9: start or stop recording the current call (groups recording on "
                     "demand); without `on`, the other way round from now",
             errors=(409, 422, 503))
async def record(request: web.Request, body: RecordIn) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).record(user.id, body.on))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/mute", role=Role.AGENT, request=MuteIn, response=StatusOut,
             summary="B11: the other party stops (muted) or starts again hearing you",
             errors=(409, 422, 503))
async def mute(request: web.Request, body: MuteIn) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).mute(user.id, body.muted))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/dtmf", role=Role.AGENT, request=DtmfIn, response=StatusOut,
             summary="B11: send DTMF digits to the party you talk with (an IVR, say)",
             errors=(409, 422, 503))
async def dtmf(request: web.Request, body: DtmfIn) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).send_dtmf(user.id, body.digits))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/note", role=Role.AGENT, request=NoteIn, response=NoteSaved,
             summary="Save the draft note of the current call (travels with a transfer)",
             errors=(409, 422, 503))
async def save_note(request: web.Request, body: NoteIn) -> NoteSaved:
    user = request_user(request)
    call_id = current_call_id(request, user.id)
    draft = notes(request.app).save(call_id, author_id=user.id, text=body.text,
                                    client_id=body.client_id)
    return NoteSaved(note=draft_out(draft))


@routes.get("/api/v1/agent/notes/{note_ref}", role=Role.AGENT, response=DraftOut,
            summary="A draft note handed over with a transferred call", errors=(403, 404))
async def read_note(request: web.Request) -> DraftOut:
    user = request_user(request)
    draft = notes(request.app).get(request.match_info["note_ref"])
    if draft is None:
        raise ApiError(404, "not_found", "no such note (the call may be over)")
    acd = request.app[RUNTIME_KEY]
    view = acd.agent(user.id) if acd is not None else None
    # The transfer target is ringing for this very call: the journal may not have its offer
    # row yet, the ACD's live view is the authority.
    ringing_for_it = view is not None and view.call_id == draft.call_id
    if draft.author_id != user.id and not ringing_for_it:
        await check_own_call(draft.call_id, user)
    return draft_out(draft)  # type: ignore[return-value]  # draft is not None (404 above)


@routes.post("/api/v1/agent/call/attach", role=Role.AGENT, request=AttachIn,
             response=StatusOut, summary="S7: link the current call to a client record",
             errors=(404, 409, 503))
async def attach(request: web.Request, body: AttachIn) -> StatusOut:
    user = request_user(request)
    call_id = current_call_id(request, user.id)
    if body.client_id is not None:
        from crm.clients import get_client

        await get_client(body.client_id)  # 404 for an unknown client
    draft = notes(request.app).save(call_id, author_id=user.id, text=body.note,
                                    client_id=body.client_id)
    await ask(acd_of(request).attach_client(call_id, body.client_id, draft.ref))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/transfer", role=Role.AGENT, request=TransferIn,
             response=StatusOut, summary="S7/C4: transfer the call with its record, blind "
             "or attended (consult first)", errors=(409, 422, 503))
async def transfer(request: web.Request, body: TransferIn) -> StatusOut:
    user = request_user(request)
    acd = acd_of(request)
    call_id = current_call_id(request, user.id)
    value: int | str = body.value
    if body.kind == "number" and not is_number(body.value):
        raise ApiError(422, "validation_error", "some fields are invalid",
                       {"value": "digits, * and # only, optionally after +"})
    if body.kind in ("agent", "group"):
        parsed = parse_id(body.value)
        if parsed is None:
            raise ApiError(422, "validation_error", "some fields are invalid",
                           {"value": "must be the id of an agent or a group"})
        value = parsed
        if body.kind == "agent" and value == user.id:
            raise ApiError(422, "validation_error", "some fields are invalid",
                           {"value": "you cannot transfer a call to yourself"})
    # The record travels with the call: the draft note is stored under a ref the target's
    # screen pop carries (AttachClient note_ref).
    call = acd.call(call_id)
    client_id = body.client_id if body.client_id is not None else (call.client_id if call
                                                                     else None)
    draft = notes(request.app).save(call_id, author_id=user.id, text=body.note,
                                    client_id=client_id)
    await ask(acd.attach_client(call_id, client_id, draft.ref))
    target = TransferTarget(body.kind, value)
    if body.mode == "attended":
        await ask(acd.consult(call_id, target, user.id))
    else:
        await ask(acd.transfer(call_id, target, by_agent_id=user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/transfer/complete", role=Role.AGENT, response=StatusOut,
             summary="Attended transfer: hand the caller to the consulted party",
             errors=(409, 503))
async def complete_transfer(request: web.Request) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).complete_transfer(current_call_id(request, user.id), user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/transfer/cancel", role=Role.AGENT, response=StatusOut,
             summary="Attended transfer: give up and take the caller back", errors=(409, 503))
async def cancel_transfer(request: web.Request) -> StatusOut:
    user = request_user(request)
    await ask(acd_of(request).cancel_transfer(current_call_id(request, user.id), user.id))
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/call/wrapup", role=Role.AGENT, request=WrapupIn,
             response=WrapupDoneOut, summary="B4/S8: disposition and intervention note of a "
             "call, then end the wrap-up (``done``); a group may require the disposition "
             "to finish", errors=(403, 404, 409, 422, 503))
async def wrapup(request: web.Request, body: WrapupIn) -> WrapupDoneOut:
    user = request_user(request)
    await check_own_call(body.call_id, user)
    if body.note.strip() and body.client_id is None:
        raise ApiError(422, "validation_error", "some fields are invalid",
                       {"client_id": "pick or create the client record the note goes on"})
    if (body.done and body.disposition_id is None
            and await wrapups(request.app).requires_outcome(user.id, body.call_id)):
        raise ApiError(422, "outcome_required", "some fields are invalid",
                       {"disposition_id": "choose the call's outcome"})
    label = ""
    if body.disposition_id is not None:
        label = (await set_disposition(body.call_id, body.disposition_id, user.id)).label
    note_id = None
    if body.note.strip() and body.client_id is not None:
        view = await interventions.add_intervention(
            body.client_id, {"text": body.note, "call_ref": body.call_id,
                             "disposition_id": body.disposition_id},
            agent=user, ip=client_ip(request))
        note_id = view.id
    notes(request.app).discard_call(body.call_id)
    acd = request.app[RUNTIME_KEY]
    if body.done and acd is not None:
        view_ = acd.agent(user.id)
        if view_ is not None and view_.state.value == "wrapup":
            await ask(acd.wrapup_done(user.id))
    return WrapupDoneOut(intervention_id=note_id, disposition=label,
                         status=await status_of(request, user.id))


@routes.post("/api/v1/agent/call/wrapup/extend", role=Role.AGENT, response=StatusOut,
             summary="Item 1 of issue 14: more time to wrap up — the group's extension step "
                     "is added to the time left, up to 10 minutes of wrap-up in all",
             errors=(409, 503))
async def extend_wrapup(request: web.Request) -> StatusOut:
    user = request_user(request)
    acd = acd_of(request)
    book = wrapups(request.app)
    current = await book.current(user.id, acd.agent(user.id))
    if current is None:
        raise ApiError(409, "not_in_wrapup", "you are not in wrap-up")
    now = acd.engine_clock
    ends = min(max(current.ends_at, now) + current.extend_s, current.limit_at)
    if ends - max(current.ends_at, now) < 1:  # at its limit: nothing left to add
        raise ApiError(409, "wrapup_limit", "the wrap-up cannot last longer")
    await ask(acd.wrapup_extend(user.id, ends - now))
    book.moved(user.id, current.started_at, ends)
    return await status_of(request, user.id)


@routes.post("/api/v1/agent/dial", role=Role.AGENT, request=DialIn, response=StatusOut,
             summary="S8: click-to-call a number (rings the agent's phone first)",
             errors=(409, 422, 503))
async def dial(request: web.Request, body: DialIn) -> StatusOut:
    user = request_user(request)
    acd = acd_of(request)
    view = acd.logged_in_agent(user.id)
    if view is None:
        # The ACD would say "busy": the agent needs to be told what to do instead.
        raise ApiError(409, "not_logged_in", "log in to the call distribution first")
    await ask(acd.click_to_call(user.id, body.number, body.client_id))
    return await status_of(request, user.id)


@routes.get("/api/v1/agent/stats", role=Role.AGENT, response=StatsOut,
            summary="S6: the agent's own statistics for today")
async def stats(request: web.Request) -> StatsOut:
    return await my_stats(request, request_user(request).id)


@routes.get("/api/v1/agent/directory", role=Role.AGENT, response=DirectoryOut,
            summary="Transfer targets: the colleagues logged into the ACD with their live "
                    "state (available ones first), and the groups")
async def directory(request: web.Request) -> DirectoryOut:
    user = request_user(request)
    groups = await Group.all().order_by("name")
    return DirectoryOut(agents=await transfer_colleagues(request.app[RUNTIME_KEY], user.id),
                        groups=[GroupRefOut(id=g.id, name=g.name, number=g.number or "")
                                for g in groups])


async def transfer_colleagues(acd: AcdService | None, me: int) -> list[ColleagueOut]:
    """Whoever can take a transferred call now: logged into the ACD, not oneself. A
    logged-out colleague (or a supervisor who is not taking calls) is no target at all."""
    if acd is None:
        return []
    people = await User.filter(active=True).exclude(id=me).order_by("name")
    colleagues = []
    for person in people:
        view = acd.logged_in_agent(person.id)
        if view is None:
            continue
        colleagues.append(ColleagueOut(id=person.id, name=person.name,
                                       state=view.state.value, extension=view.extension))
    # Stable sort: available first, then by name as read from the database.
    return sorted(colleagues, key=lambda c: c.state != "available")
