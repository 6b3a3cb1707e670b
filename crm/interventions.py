"""S8: the interventions history of a client record, and the client's call history.

An intervention is an agent's note on a record, usually written during or right after a call.
The manual lists them "in chronological order", oldest first, each expandable to its full text,
so every view carries both a one-line preview and the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from tortoise.queryset import QuerySet

from crm import audit
from crm.call_segments import call_row_for
from crm.clients import ClientInput, validate_input
from crm.clock import utcnow
from crm.errors import N_, InvalidInput, NotAllowed, NotFound
from crm.ids import MAX_ID
from crm.models import Call, CallOutcome, Client, Direction, Disposition, Intervention, User
from crm.reference import label_in

MAX_TEXT = 20_000
PREVIEW_CHARS = 120
# An author may fix a typo shortly after writing; later the note is part of the record.
EDIT_WINDOW = timedelta(minutes=15)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
CallRef = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class NewIntervention(ClientInput):
    text: Text
    call_ref: CallRef = ""
    disposition_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class InterventionEdit(ClientInput):
    text: Text


@dataclass(frozen=True)
class CallInfo:
    ref: str
    direction: Direction
    started_at: datetime
    # Talk time once the call is over; None while it runs or if nobody answered.
    talk_s: float | None


@dataclass(frozen=True)
class InterventionView:
    id: int
    client_id: int
    created_at: datetime
    agent_id: int | None
    agent_name: str
    call: CallInfo | None
    disposition_id: int | None
    disposition_label: str
    preview: str
    text: str


@dataclass(frozen=True)
class CallHistoryEntry:
    ref: str
    direction: Direction
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    caller_number: str
    called_number: str
    agent_id: int | None
    agent_name: str
    group_id: int | None
    group_name: str
    outcome: CallOutcome | None
    wait_s: float | None
    talk_s: float | None
    hold_s: float
    wrapup_s: float | None
    disposition_label: str
    recording: str


def preview(text: str) -> str:
    """The first line, cut at a word boundary, for the collapsed ("+") view."""
    lines = text.strip().splitlines()
    first = " ".join(lines[0].split()) if lines else ""
    more = len(lines) > 1 or len(first) > PREVIEW_CHARS
    if len(first) > PREVIEW_CHARS:
        cut = first[:PREVIEW_CHARS]
        first = cut.rsplit(" ", 1)[0] if " " in cut[PREVIEW_CHARS // 2:] else cut
    return first + "…" if more else first


async def add_intervention(client_id: int, data: NewIntervention | Mapping[str, Any], *,
                           agent: User, ip: str = "") -> InterventionView:
    """A new note by ``agent``, linked to the call ``call_ref`` when that call is known.

    The ACD journals a call as soon as it starts, so an unknown ref is a stale or foreign one:
    the note is kept, unlinked, rather than lost. A call that reached nobody's record yet (an
    unknown caller for whom the agent just created this record) is attached to this client.
    """
    data = validate_input(NewIntervention, data)
    if not await Client.filter(id=client_id).exists():
        raise NotFound(N_("client {id} does not exist"), id=client_id)
    disposition = None
    if data.disposition_id is not None:
        disposition = await Disposition.get_or_none(id=data.disposition_id, active=True)
        if disposition is None:
            raise InvalidInput(N_("some fields are invalid"),
                               fields={"disposition_id": N_("not an active disposition")})
    call = await call_row_for(data.call_ref, agent.id) if data.call_ref else None
    if call is not None and call.client_id is None:
        call.client_id = client_id
        await call.save(update_fields=["client_id"])
    note = await Intervention.create(client_id=client_id, agent=agent, call=call,
                                     disposition=disposition, text=data.text,
                                     created_at=utcnow())
    await audit.record("client.intervention", actor=agent, target_type="client",
                       target_id=client_id,
                       details={"intervention_id": note.id, "call_ref": call.ref if call else "",
                                "disposition": disposition.code if disposition else ""},
                       ip=ip)
    return (await _views(Intervention.filter(id=note.id)))[0]


async def edit_intervention(intervention_id: int, data: InterventionEdit | Mapping[str, Any], *,
                            actor: User, ip: str = "", now: datetime | None = None
                            ) -> InterventionView:
    """Only the author, only within EDIT_WINDOW of writing it: notes are a record."""
    data = validate_input(InterventionEdit, data)
    note = await Intervention.get_or_none(id=intervention_id)
    if note is None:
        raise NotFound(N_("intervention {id} does not exist"), id=intervention_id)
    if note.agent_id != actor.id:
        raise NotAllowed(N_("only the author can edit an intervention"))
    if (now or utcnow()) - note.created_at > EDIT_WINDOW:
        raise NotAllowed(N_("an intervention can be edited for {minutes} minutes only"),
                         minutes=int(EDIT_WINDOW.total_seconds() // 60))
    if data.text != note.text:
        note.text = data.text
        await note.save(update_fields=["text"])
        await audit.record("client.intervention_edit", actor=actor, target_type="client",
                           target_id=note.client_id,
                           details={"intervention_id": note.id}, ip=ip)
    return (await _views(Intervention.filter(id=note.id)))[0]


def can_edit(view: InterventionView, user: User, now: datetime | None = None) -> bool:
    """For the page: whether to show the edit button on this note."""
    return view.agent_id == user.id and (now or utcnow()) - view.created_at <= EDIT_WINDOW


async def list_interventions(client_id: int, last: int | None = None, language: str = "en"
                             ) -> tuple[list[InterventionView], int]:
    """The notes on the record, oldest first (the manual's chronological order): all of
    them, or the ``last`` most recent; and how many there are in all."""
    if not await Client.filter(id=client_id).exists():
        raise NotFound(N_("client {id} does not exist"), id=client_id)
    notes = Intervention.filter(client_id=client_id)
    total = await notes.count()
    if last is not None and last < total:
        newest = await notes.order_by("-created_at", "-id").limit(last).values_list(
            "id", flat=True)
        notes = Intervention.filter(id__in=list(newest))
    return await _views(notes, language), total


async def client_history(client_id: int, *, limit: int = 50, offset: int = 0,
                         language: str = "en") -> tuple[list[CallHistoryEntry], int]:
    """The client's calls, newest first, and their total count for pagination."""
    if not await Client.filter(id=client_id).exists():
        raise NotFound(N_("client {id} does not exist"), id=client_id)
    query = Call.filter(client_id=client_id)
    total = await query.count()
    calls = await (query.order_by("-started_at", "-id").offset(max(offset, 0))
                   .limit(max(1, min(limit, 200)))
                   .prefetch_related("agent", "group", "disposition"))
    return [
        CallHistoryEntry(
            ref=c.ref, direction=c.direction, started_at=c.started_at,
            answered_at=c.answered_at, ended_at=c.ended_at,
            caller_number=c.caller_number, called_number=c.called_number,
            agent_id=c.agent.id if c.agent else None,
            agent_name=c.agent.name if c.agent else "",
            group_id=c.group.id if c.group else None,
            group_name=c.group.name if c.group else "",
            outcome=c.outcome, wait_s=c.wait_s, talk_s=c.talk_s, hold_s=c.hold_s,
            wrapup_s=c.wrapup_s,
            disposition_label=label_in(c.disposition, language) if c.disposition else "",
            recording=c.recording,
        )
        for c in calls
    ], total


async def _views(query: QuerySet[Intervention], language: str = "en"
                 ) -> list[InterventionView]:
    notes = await (query.order_by("created_at", "id")
                   .prefetch_related("agent", "call", "disposition"))
    return [
        InterventionView(
            id=n.id, client_id=n.client_id, created_at=n.created_at,
            agent_id=n.agent.id if n.agent else None,
            agent_name=n.agent.name if n.agent else "",
            call=CallInfo(n.call.ref, n.call.direction, n.call.started_at, n.call.talk_s)
            if n.call else None,
            disposition_id=n.disposition.id if n.disposition else None,
            disposition_label=label_in(n.disposition, language) if n.disposition else "",
            preview=preview(n.text), text=n.text,
        )
        for n in notes
    ]
