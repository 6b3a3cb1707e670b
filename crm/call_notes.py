"""S8 "transfer with the record": the intervention note being written during a call.

The agent's draft note lives only in memory, keyed by call: it is not an intervention yet
(the agent may still change it or throw it away), yet the agent a call is transferred to
must open the same record with the note written so far. The ACD carries only an opaque
``note_ref`` with the call (AttachClient), so the draft is stored here under that ref and
the target's console reads it back. A process restart loses drafts, as it loses the calls
they belong to.

Also the wrap-up disposition (B4): the journal does not know it, the agent's wrap-up sets it
on the persisted call row.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from crm.call_segments import call_row_for
from crm.errors import N_, InvalidInput, NotFound
from crm.models import Call, Disposition

MAX_DRAFT = 20_000
# Drafts of calls long gone are dropped so the store cannot grow without bound.
DRAFT_TTL_S = 12 * 3600.0


@dataclass
class Draft:
    ref: str
    call_id: str
    client_id: int | None
    text: str
    author_id: int
    updated_at: float


class NoteStore:
    """Draft notes by call id and by ref; one draft per call, shared by its agents."""

    def __init__(self) -> None:
        self._by_ref: dict[str, Draft] = {}
        self._by_call: dict[str, str] = {}

    def save(self, call_id: str, *, author_id: int, text: str, client_id: int | None,
             now: float | None = None) -> Draft:
        if len(text) > MAX_DRAFT:
            raise InvalidInput(N_("some fields are invalid"),
                               fields={"note": N_("the note is too long")})
        now = time.time() if now is None else now
        self._expire(now)
        ref = self._by_call.get(call_id)
        draft = self._by_ref.get(ref) if ref else None
        if draft is None:
            # Unguessable: a ref alone must not let another agent read someone's notes.
            draft = Draft(ref="note-" + secrets.token_urlsafe(12), call_id=call_id,
                          client_id=client_id, text=text, author_id=author_id,
                          updated_at=now)
            self._by_ref[draft.ref] = draft
            self._by_call[call_id] = draft.ref
        else:
            draft.text, draft.author_id, draft.updated_at = text, author_id, now
            if client_id is not None:
                draft.client_id = client_id
        return draft

    def get(self, ref: str) -> Draft | None:
        return self._by_ref.get(ref)

    def for_call(self, call_id: str) -> Draft | None:
        ref = self._by_call.get(call_id)
        return self._by_ref.get(ref) if ref else None

    def discard_call(self, call_id: str) -> None:
        ref = self._by_call.pop(call_id, None)
        if ref:
            self._by_ref.pop(ref, None)

    def _expire(self, now: float) -> None:
        old = [d for d in self._by_ref.values() if now - d.updated_at > DRAFT_TTL_S]
        for draft in old:
            self._by_ref.pop(draft.ref, None)
            self._by_call.pop(draft.call_id, None)


async def set_disposition(call_ref: str, disposition_id: int,
                          agent_id: int | None = None) -> Disposition:
    """The outcome code the agent chose at wrap-up, stored on the row of the call this agent
    handled (a transferred call has one row per agent)."""
    disposition = await Disposition.get_or_none(id=disposition_id, active=True)
    if disposition is None:
        raise InvalidInput(N_("some fields are invalid"),
                           fields={"disposition_id": N_("not an active disposition")})
    call = await call_row_for(call_ref, agent_id)
    if call is None:
        raise NotFound(N_("call {ref} is not known"), ref=call_ref)
    await Call.filter(id=call.id).update(disposition_id=disposition.id)
    return disposition
