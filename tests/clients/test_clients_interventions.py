"""S8: interventions in chronological order with their call and disposition; call history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crm import clients, interventions
from crm.errors import InvalidInput, NotAllowed, NotFound
from crm.models import (
    AuditLog,
    Call,
    CallOutcome,
    Client,
    Direction,
    Disposition,
    Group,
    Intervention,
    User,
)

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


async def _setup() -> tuple[User, User, Client]:
    alice = await User.create(login="alice", name="Alice A", password_hash="x")
    bob = await User.create(login="bob", name="Bob B", password_hash="x")
    client = await clients.create_client(
        {"last_name": "Client", "phones": [{"number": "0612345678"}]}, region="FR", actor=None)
    return alice, bob, client


async def _call(ref: str, *, client: Client | None = None, agent: User | None = None,
                group: Group | None = None, started: datetime = T0, **extra: object) -> Call:
    return await Call.create(ref=ref, client=client, agent=agent, group=group,
                             started_at=started, local_date=date(2026, 2, 2),
                             local_hour=started.hour, **extra)


async def test_interventions_are_chronological_with_call_and_disposition(db: str) -> None:
    alice, bob, client = await _setup()
    sale = await Disposition.create(code="sale", label="Sale")
    call = await _call("call-1", agent=alice, direction=Direction.INBOUND, talk_s=95.0)
    first = await interventions.add_intervention(
        client.id, {"text": "Asked for a quote.\nSend it by mail.", "call_ref": "call-1",
                    "disposition_id": sale.id}, agent=alice)
    second = await interventions.add_intervention(
        client.id, {"text": "  Quote accepted  ", "call_ref": "no-such-call"}, agent=bob)
    views, total = await interventions.list_interventions(client.id)
    assert [v.id for v in views] == [first.id, second.id] and total == 2
    one, two = views
    assert one.agent_name == "Alice A" and two.agent_name == "Bob B"
    assert one.call is not None and one.call.ref == "call-1"
    assert one.call.direction == Direction.INBOUND and one.call.talk_s == 95.0
    assert one.disposition_label == "Sale" and one.disposition_id == sale.id
    assert one.preview == "Asked for a quote.…"
    assert one.text == "Asked for a quote.\nSend it by mail."
    assert two.call is None and two.text == "Quote accepted" and two.preview == "Quote accepted"
    assert one.created_at <= two.created_at
    # The unknown caller's call now belongs to the record the agent wrote on.
    await call.refresh_from_db()
    assert call.client_id == client.id  # type: ignore[attr-defined]
    assert await AuditLog.filter(action="client.intervention").count() == 2


async def test_order_is_by_date_not_by_insertion(db: str) -> None:
    alice, _, client = await _setup()
    await Intervention.create(client=client, agent=alice, text="later", created_at=T0)
    await Intervention.create(client=client, agent=alice, text="earlier",
                              created_at=T0 - timedelta(days=1))
    views, _ = await interventions.list_interventions(client.id)
    assert [v.text for v in views] == ["earlier", "later"]
    # the most recent only, still oldest first, with the whole count
    await Intervention.create(client=client, agent=alice, text="latest",
                              created_at=T0 + timedelta(days=1))
    views, total = await interventions.list_interventions(client.id, last=2)
    assert ([v.text for v in views], total) == (["later", "latest"], 3)


@pytest.mark.parametrize(("data", "field"), [
    ({"text": "   "}, "text"),
    ({"text": "x" * 20_001}, "text"),
    ({}, "text"),
    ({"text": "ok", "disposition_id": 9999}, "disposition_id"),
])
async def test_bad_interventions_are_refused(db: str, data: dict, field: str) -> None:
    alice, _, client = await _setup()
    with pytest.raises(InvalidInput) as exc:
        await interventions.add_intervention(client.id, data, agent=alice)
    assert field in exc.value.fields
    assert await Intervention.all().count() == 0


async def test_inactive_disposition_and_unknown_client_are_refused(db: str) -> None:
    alice, _, client = await _setup()
    old = await Disposition.create(code="old", label="Old", active=False)
    with pytest.raises(InvalidInput):
        await interventions.add_intervention(
            client.id, {"text": "x", "disposition_id": old.id}, agent=alice)
    with pytest.raises(NotFound):
        await interventions.add_intervention(9999, {"text": "x"}, agent=alice)
    with pytest.raises(NotFound):
        await interventions.list_interventions(9999)


async def test_only_the_author_edits_and_only_for_a_while(db: str) -> None:
    alice, bob, client = await _setup()
    note = await interventions.add_intervention(client.id, {"text": "tpyo"}, agent=alice)
    assert interventions.can_edit(note, alice) and not interventions.can_edit(note, bob)
    edited = await interventions.edit_intervention(note.id, {"text": "typo"}, actor=alice)
    assert edited.text == "typo"
    with pytest.raises(NotAllowed):
        await interventions.edit_intervention(note.id, {"text": "mine"}, actor=bob)
    with pytest.raises(NotAllowed):
        await interventions.edit_intervention(
            note.id, {"text": "too late"}, actor=alice,
            now=note.created_at + timedelta(minutes=16))
    assert (await Intervention.get(id=note.id)).text == "typo"


def test_preview_cuts_long_first_lines_at_a_word() -> None:
    text = "word " * 60
    result = interventions.preview(text)
    assert result.endswith("…") and len(result) <= interventions.PREVIEW_CHARS + 1
    assert not result[:-1].endswith(" ")
    assert interventions.preview("short") == "short"


async def test_client_history_lists_calls_newest_first(db: str) -> None:
    alice, _, client = await _setup()
    group = await Group.create(name="Sales")
    sale = await Disposition.create(code="sale", label="Sale")
    await _call("old", client=client, agent=alice, group=group, outcome=CallOutcome.ANSWERED,
                wait_s=4.0, talk_s=60.0, wrapup_s=10.0, disposition=sale,
                answered_at=T0 + timedelta(seconds=4))
    await _call("new", client=client, group=group, started=T0 + timedelta(hours=2),
                outcome=CallOutcome.ABANDONED, wait_s=30.0, direction=Direction.INBOUND)
    await _call("out", client=client, agent=alice, started=T0 + timedelta(hours=1),
                direction=Direction.OUTBOUND, outcome=CallOutcome.ANSWERED, talk_s=20.0)
    await _call("someone-else", started=T0 + timedelta(hours=3))
    rows, total = await interventions.client_history(client.id)
    assert total == 3
    assert [r.ref for r in rows] == ["new", "out", "old"]
    new, out, old = rows
    assert new.agent_name == "" and new.outcome == CallOutcome.ABANDONED
    assert new.group_name == "Sales"
    assert out.direction == Direction.OUTBOUND and out.group_id is None
    assert old.agent_name == "Alice A" and old.talk_s == 60.0 and old.wrapup_s == 10.0
    assert old.disposition_label == "Sale" and old.wait_s == 4.0
    rows, total = await interventions.client_history(client.id, limit=1, offset=1)
    assert total == 3 and [r.ref for r in rows] == ["out"]
