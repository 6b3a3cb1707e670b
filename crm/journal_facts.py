"""What the call journal is told, as plain data: one frozen dataclass per kind of fact.

Every field is a str, int, float, bool or None (times are UTC epoch seconds), so a fact can be
kept in memory, written to the spool as one JSON line and read back identically after a
crash. A fact travels with the id of the journal process that received it (its *epoch*) and
its number in that process (*seq*): together they order the facts and tell a replay which
ones the database already has (crm.models.JournalProgress).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class CallStarted:
    ref: str
    at: float
    direction: str
    caller_number: str
    caller_name: str
    called_number: str
    group_id: int | None
    client_id: int | None
    agent_id: int | None
    transferred_from_ref: str | None


@dataclass(frozen=True, slots=True)
class CallQueued:
    ref: str
    at: float
    group_id: int | None


@dataclass(frozen=True, slots=True)
class CallClient:
    ref: str
    client_id: int | None


@dataclass(frozen=True, slots=True)
class OfferStarted:
    offer_ref: str
    call_ref: str
    agent_id: int
    at: float
    forced: bool


@dataclass(frozen=True, slots=True)
class OfferRinging:
    offer_ref: str
    at: float


@dataclass(frozen=True, slots=True)
class OfferEnded:
    offer_ref: str
    result: str
    at: float


@dataclass(frozen=True, slots=True)
class CallAnswered:
    ref: str
    agent_id: int | None
    at: float


@dataclass(frozen=True, slots=True)
class CallTransferred:
    ref: str
    at: float


@dataclass(frozen=True, slots=True)
class CallHold:
    """A hold period of the call's current row is over: ``seconds`` join its hold time."""

    ref: str
    seconds: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    """``unanswered``: the outcome for a row nobody answered when ``outcome`` is "answered"
    (the ACD's outcome is per call; a transfer segment can end unanswered)."""

    ref: str
    outcome: str
    at: float
    unanswered: str | None


@dataclass(frozen=True, slots=True)
class CallClosed:
    """A call that ended while no process was watching it: every open row and offer of it
    ends at ``at``."""

    ref: str
    outcome: str
    at: float


@dataclass(frozen=True, slots=True)
class WrapupEnded:
    ref: str
    at: float
    agent_id: int | None


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    agent_id: int
    state: str
    at: float
    reason: str
    extension: str
    call_ref: str


Fact = (
    CallStarted | CallQueued | CallClient | OfferStarted | OfferRinging | OfferEnded
    | CallAnswered | CallTransferred | CallHold | CallEnded | CallClosed | WrapupEnded
    | AgentStateChanged
)

KINDS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        CallStarted, CallQueued, CallClient, OfferStarted, OfferRinging, OfferEnded,
        CallAnswered, CallTransferred, CallHold, CallEnded, CallClosed, WrapupEnded,
        AgentStateChanged,
    )
}
_NAMES: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in KINDS.values()
}


def to_line(seq: int, fact: Fact) -> str:
    """The spool line of a fact: ``{"s": seq, "k": kind, <fields>}``."""
    kind = type(fact)
    record: dict[str, Any] = {"s": seq, "k": kind.__name__}
    for name in _NAMES[kind]:
        record[name] = getattr(fact, name)
    return json.dumps(record, separators=(",", ":"))


def from_line(line: str) -> tuple[int, Fact]:
    """(seq, fact) of a spool line; ValueError if it is not one."""
    try:
        record = json.loads(line)
        kind = KINDS[record.pop("k")]
        seq = int(record.pop("s"))
        return seq, kind(**record)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a journal fact: {line[:80]!r} ({exc})") from None
