"""The engine keeps its own copies of six of the CRM's enums (it imports nothing outside
itself); the two sides meet by ``.value`` (the records store the engine's values, the ACD is
restored from the records). A member added, renamed or re-valued on one side only would break
that silently: these tests make it loud."""

from __future__ import annotations

import inspect
from enum import Enum

import pytest

from crm import models as crm_models
from stasis_app.acd import model as engine_model

# (CRM enum, engine enum): the same set of states under two names.
PAIRS: list[tuple[type[Enum], type[Enum]]] = [
    (crm_models.Strategy, engine_model.Strategy),
    (crm_models.OverflowKind, engine_model.OverflowKind),
    (crm_models.Direction, engine_model.CallDirection),
    (crm_models.CallOutcome, engine_model.CallOutcome),
    (crm_models.OfferResult, engine_model.OfferResult),
    (crm_models.AgentStateName, engine_model.AgentState),
]


def _members(enum: type[Enum]) -> dict[str, object]:
    return {member.name: member.value for member in enum}


@pytest.mark.parametrize(("crm_enum", "engine_enum"), PAIRS,
                         ids=[crm.__name__ for crm, _ in PAIRS])
def test_engine_enum_agrees_with_the_crm_enum(crm_enum: type[Enum],
                                              engine_enum: type[Enum]) -> None:
    assert _members(crm_enum) == _members(engine_enum)


def _enums(module: object) -> list[type[Enum]]:
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Enum) and obj.__module__ == getattr(module, "__name__", None)]


def test_every_enum_duplicated_between_the_two_sides_is_checked() -> None:
    """An enum copied to the other side later (same name, or the same values) must join PAIRS."""
    paired = {(crm, engine) for crm, engine in PAIRS}
    unpaired = [
        (crm.__name__, engine.__name__)
        for crm in _enums(crm_models) for engine in _enums(engine_model)
        if (crm.__name__ == engine.__name__
            or {m.value for m in crm} == {m.value for m in engine})
        and (crm, engine) not in paired
    ]
    assert unpaired == []


def test_a_changed_member_is_caught() -> None:
    """The comparison sees a re-valued member, not only a missing one."""
    changed = Enum("Strategy", {**_members(engine_model.Strategy), "LINEAR": "in_order"})
    assert _members(crm_models.Strategy) != _members(changed)
