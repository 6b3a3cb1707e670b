"""Every command the engine can emit is carried out: the executor's table has each one
(timers excepted: the controller keeps those itself)."""

from __future__ import annotations

import inspect
from typing import Any

from stasis_app.acd import outputs as o
from stasis_app.executor import CommandExecutor
from stasis_app.registry import Registry


def _commands() -> set[type[o.Command]]:
    return {cls for _, cls in inspect.getmembers(o, inspect.isclass)
            if issubclass(cls, o.Command) and cls is not o.Command}


def test_every_engine_command_has_a_handler() -> None:
    executor = CommandExecutor(Any, Registry(), lambda inp: None, lambda: 0.0,  # type: ignore[arg-type]
                               agent_dial="PJSIP/{extension}", outbound_dial="PJSIP/{number}@trunk")
    kept_by_the_controller = {o.StartTimer, o.CancelTimer}
    assert set(executor.handlers) == _commands() - kept_by_the_controller
