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


class _Bridges:
    """addChannel answers ``error``; creating a bridge works."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.bridges = self
        self.channels = self

    async def create(self, bridge_id: str, **kwargs: Any) -> None:
        return None

    async def add_channel(self, bridge_id: str, channels: Any) -> None:
        raise self.error


def _connect(error: Exception) -> list[Any]:
    import asyncio

    from stasis_app.acd import inputs as i

    got: list[i.Input] = []
    executor = CommandExecutor(_Bridges(error), Registry(), got.append, lambda: 7.0,  # type: ignore[arg-type]
                               agent_dial="PJSIP/{extension}", outbound_dial="PJSIP/{number}@trunk")
    asyncio.run(executor.execute(o.ConnectCall(call_id="caller-1", leg_id="offer-1",
                                               bridge_id="b-1")))
    return got


def test_a_bridge_gone_before_the_connection_is_a_failed_connection() -> None:
    """404 on addChannel is the bridge missing (destroyed meanwhile): no hang-up event will
    come, so the engine is told (it gives the caller its place back) instead of believing
    the call connected while the caller sits answered and alone."""
    from stasis_app.acd import inputs as i
    from stasis_app.ari import AriNotFound

    got = _connect(AriNotFound("Bridge not found", status=404))
    assert [(type(x), x.call_id, x.leg_id) for x in got] == [  # type: ignore[attr-defined]
        (i.ConnectFailed, "caller-1", "offer-1")]


def test_a_channel_gone_before_the_connection_waits_for_its_hang_up() -> None:
    from stasis_app.ari import AriError

    assert _connect(AriError("Channel not found", status=400)) == []


class _Channels:
    def __init__(self) -> None:
        self.channels = self
        self.answered: list[str] = []

    async def answer(self, channel_id: str) -> None:
        self.answered.append(channel_id)


def test_a_caller_the_dialplan_answered_is_not_answered_again() -> None:
    """An IVR answered before Stasis(): StasisStart says "Up", so the app spares Asterisk the
    answer request (one of a call's few, under a burst of callers); a ringing caller is
    answered once, however often it is put to wait again."""
    import asyncio

    from stasis_app.ari import events as ev
    from stasis_app.translate import EventTranslator

    registry = Registry()
    translator = EventTranslator(registry, "PJSIP/{extension}")
    for channel_id, state in (("ivr-1", "Up"), ("ring-1", "Ring")):
        translator.translate(ev.parse_event({
            "type": "StasisStart", "application": "crm", "args": ["inbound", "700"],
            "channel": {"id": channel_id, "name": f"PJSIP/trunk-{channel_id}", "state": state,
                        "caller": {"name": "", "number": "0600000001"}}}), 1.0)
    ari = _Channels()
    executor = CommandExecutor(ari, registry, lambda inp: None, lambda: 7.0,  # type: ignore[arg-type]
                               agent_dial="PJSIP/{extension}", outbound_dial="PJSIP/{number}@trunk")
    for call_id in ("ivr-1", "ring-1", "ring-1"):
        asyncio.run(executor.execute(o.AnswerAndHold(call_id=call_id, moh_class="", group_id=7,
                                                     hold=False)))
    assert ari.answered == ["ring-1"]


def test_commands_on_a_calls_channel_run_in_that_calls_order() -> None:
    """A command naming one of a call's channels (the phone told how its transfer went, its
    ringback, DTMF) runs behind that call's earlier commands and before its later ones: in a
    shared worker, the transferor's hang-up overtook 'transfer done' (the phone heard 503)."""
    from stasis_app.controller import _command_key
    from stasis_app.registry import LegKind

    registry = Registry()
    registry.add_caller("caller-1")
    registry.add_leg("leg-1", "caller-1", LegKind.AGENT)
    for command in (o.TransferProgress(channel_id="leg-1", state=o.TransferState.DONE),
                    o.RingPhone(channel_id="leg-1"),
                    o.SendDtmf(channel_id="caller-1", digits="1"),
                    o.HangupLeg(leg_id="leg-1")):
        assert registry.call_of_command(command) == "caller-1", command
        assert _command_key(command, registry) == "caller-1", command
    # A channel the registry does not know gets a worker of its own, not a shared one.
    assert _command_key(o.RingPhone(channel_id="stranger"), registry) == "stranger"


def test_a_phone_is_told_how_its_transfer_went_only_after_asterisk_is_ready() -> None:
    """Asterisk 22 publishes ChannelTransfer before storing what its REFER frame hook reads;
    an answer in between crashes it (res_pjsip_refer.c): the answer waits a moment."""
    import asyncio
    import time

    from stasis_app.executor import TRANSFER_ANSWER_AFTER_S

    sent: list[tuple[str, str, float]] = []

    class _Progress:
        channels = None

        async def transfer_progress(self, channel_id: str, states: str) -> None:
            sent.append((channel_id, states, time.monotonic()))

    client = _Progress()
    client.channels = client  # type: ignore[assignment]
    executor = CommandExecutor(client, Registry(), lambda inp: None, lambda: 0.0,  # type: ignore[arg-type]
                               agent_dial="PJSIP/{extension}", outbound_dial="PJSIP/{number}@trunk")
    started = time.monotonic()
    asyncio.run(executor.execute(o.TransferProgress(channel_id="leg-1",
                                                    state=o.TransferState.DECLINED)))
    assert [(c, s) for c, s, _ in sent] == [("leg-1", "channel_declined")]
    assert sent[0][2] - started >= TRANSFER_ANSWER_AFTER_S


class _Unreachable:
    """answer: Asterisk cannot be reached ``down`` times, then it answers; or it refuses."""

    def __init__(self, down: int, error: Exception | None = None) -> None:
        from stasis_app.ari import AriUnavailable

        self.channels = self
        self.down = down
        self.error = error or AriUnavailable("connection closed before the response",
                                             method="POST", path="/channels/c1/answer")
        self.tries = 0

    async def answer(self, channel_id: str) -> None:
        self.tries += 1
        if self.tries <= self.down:
            raise self.error


def _answer(ari: _Unreachable, *, stopping: bool = False) -> list[Any]:
    import asyncio

    got: list[Any] = []
    executor = CommandExecutor(ari, Registry(), got.append, lambda: 7.0,  # type: ignore[arg-type]
                               agent_dial="PJSIP/{extension}", outbound_dial="PJSIP/{number}@trunk")
    if stopping:
        executor.stop_waiting()
    asyncio.run(executor.execute(o.AnswerAndHold(call_id="c1", moh_class="", group_id=None,
                                                 hold=False)))
    return got


def test_a_caller_outlives_a_link_cut_longer_than_the_quick_retries(monkeypatch: Any) -> None:
    """The ARI link cut for longer than the quick retries (a proxy, a switch, Asterisk's HTTP
    server restarting): the caller's answer is tried until Asterisk is reached again, not
    given up, which told the engine to end the call (the caller was hung up after a 3 s
    cut, issue 10's link drill)."""
    import stasis_app.executor as executor_module

    monkeypatch.setattr(executor_module, "RETRY_DELAYS_S", (0.001, 0.001))
    monkeypatch.setattr(executor_module, "UNREACHABLE_RETRY_S", 0.001)
    ari = _Unreachable(down=12)
    assert _answer(ari) == []
    assert ari.tries == 13
    # Unreachable for longer than the patience: the engine is told at last.
    monkeypatch.setattr(executor_module, "UNREACHABLE_PATIENCE_S", 0.0)
    from stasis_app.acd import inputs as i

    got = _answer(_Unreachable(down=99))
    assert [(type(x), x.call_id) for x in got] == [(i.HoldFailed, "c1")]


def test_a_refusal_or_a_stop_gives_up_after_the_quick_retries(monkeypatch: Any) -> None:
    """Asterisk answering with an error is not a link cut: after the quick retries the
    engine decides. A stopping process does not wait out a cut, nor tell an engine that
    takes no more input (the calls stay in Asterisk for the next process)."""
    import stasis_app.executor as executor_module
    from stasis_app.acd import inputs as i
    from stasis_app.ari import AriServerError

    monkeypatch.setattr(executor_module, "RETRY_DELAYS_S", (0.001, 0.001))
    monkeypatch.setattr(executor_module, "UNREACHABLE_RETRY_S", 0.001)
    refused = _Unreachable(down=99, error=AriServerError("Internal Server Error", status=500))
    got = _answer(refused)
    assert (refused.tries, [type(x) for x in got]) == (3, [i.HoldFailed])
    cut = _Unreachable(down=99)
    assert _answer(cut, stopping=True) == []
    assert cut.tries == 3
