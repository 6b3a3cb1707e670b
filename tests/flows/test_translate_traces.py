"""The adapter's reading of ARI events, checked on event sequences recorded from a real
Asterisk 22.10.1 (../shared/ari-traces): which engine inputs each scenario produces."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from stasis_app.acd import inputs as i
from stasis_app.acd.model import FailReason
from stasis_app.ari.events import parse_event
from stasis_app.registry import LegKind, Registry
from stasis_app.translate import EventTranslator, NewCaller

TRACES = Path(__file__).resolve().parents[2].parent / "shared" / "ari-traces"
pytestmark = pytest.mark.skipif(not TRACES.is_dir(), reason=f"no recorded traces at {TRACES}")

_APP_ORIGINATE = re.compile(
    r"REST POST /channels (\{.*'app': 'crm'.*\}) -> 200 \{\"id\":\"([^\"]+)\""
)


def replay(scenario: str) -> tuple[list, dict[str, str]]:
    """Feed a recorded scenario to the translator, with the app's originated channels
    registered as agent legs (as the executor registers them before originating)."""
    actions = (TRACES / f"{scenario}.actions.txt").read_text()
    registry = Registry()
    legs: dict[str, str] = {}
    for match in _APP_ORIGINATE.finditer(actions):
        channel_id = match.group(2)
        registry.add_leg(channel_id, "call", LegKind.AGENT)
        legs[channel_id] = match.group(1)
    translator = EventTranslator(registry)
    out = []
    for line in (TRACES / f"{scenario}.jsonl").read_text().splitlines():
        if line.strip():
            out.extend(translator.translate(parse_event(json.loads(line)), 0.0))
    return out, legs


def kinds(items: list) -> Counter:
    return Counter(type(x).__name__ for x in items)


def test_inbound_to_agent() -> None:
    out, legs = replay("inbound-to-agent")
    assert len(legs) == 1
    first = out[0]
    assert isinstance(first, NewCaller)
    assert (first.group, first.caller_number, first.caller_name) == ("1000", "5551234", "Customer")
    counts = kinds(out)
    assert counts["OfferAnswered"] == 1
    assert counts["CallerHungUp"] == 1
    assert counts["OfferFailed"] == 0
    # The recorded phone answers at once, never reporting ringing: the pop still happens.
    assert counts["OfferRinging"] == 1
    # The app answered before the caller hung up.
    names = [type(x).__name__ for x in out]
    assert names.index("OfferAnswered") < names.index("CallerHungUp")


def test_customer_hangup_first_is_one_caller_hangup_then_the_agent_leg_ends() -> None:
    out, _ = replay("customer-hangup-first")
    counts = kinds(out)
    assert counts["CallerHungUp"] == 1 and counts["OfferAnswered"] == 1
    assert counts["AgentLegEnded"] <= 1 and counts["OfferFailed"] == 0


def test_agent_hangup_first_reports_the_agent_leg_once() -> None:
    out, _ = replay("agent-hangup-first")
    counts = kinds(out)
    assert counts["AgentLegEnded"] == 1
    assert counts["OfferAnswered"] == 1
    names = [type(x).__name__ for x in out]
    assert names.index("AgentLegEnded") < names.index("CallerHungUp")


@pytest.mark.parametrize("scenario", ["agent-no-answer", "agent-ring-timeout"])
def test_a_ringing_agent_that_never_answers(scenario: str) -> None:
    """Ringing is seen once (the screen pop); the end is a plain failure, never a cause-based
    'no answer': ring timeout is the engine's own timer (R-timers)."""
    out, _ = replay(scenario)
    counts = kinds(out)
    assert counts["OfferRinging"] == 1
    assert counts["OfferAnswered"] == 0
    failed = [x for x in out if isinstance(x, i.OfferFailed)]
    assert len(failed) == 1 and failed[0].reason is FailReason.FAILED


def test_originate_failure_gives_one_failure_per_leg_and_no_ringing() -> None:
    out, legs = replay("originate-failure")
    failed = [x for x in out if isinstance(x, i.OfferFailed)]
    assert {f.offer_id for f in failed} == set(legs) and len(failed) == len(legs) == 2
    assert kinds(out)["OfferRinging"] == 0


def test_click_to_call_agent_leg_answers() -> None:
    out, legs = replay("outbound-click-to-call")
    assert len(legs) == 2  # the agent, then the client, both originated into the app
    assert kinds(out)["OfferAnswered"] == 2
