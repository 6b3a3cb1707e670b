"""The adapter's reading of Stasis(app,dial,<number>): a call an agent's phone dialled."""

from __future__ import annotations

import pytest

from stasis_app.acd import inputs as i
from stasis_app.ari.events import parse_event
from stasis_app.registry import LegKind, Registry
from stasis_app.translate import EventTranslator, StrayChannel, phone_extension


def stasis_start(channel_id: str, name: str, args: list[str]) -> dict[str, object]:
    return {
        "type": "StasisStart", "application": "prowebcrm", "args": args,
        "timestamp": "2026-12-05T08:00:00.000+0000",
        "channel": {"id": channel_id, "name": name, "state": "Ring",
                    "caller": {"name": "", "number": "2001"},
                    "connected": {"name": "", "number": ""}, "accountcode": "",
                    "dialplan": {"context": "from-agents", "exten": "0612", "priority": 3},
                    "creationtime": "2026-12-05T08:00:00.000+0000", "language": "en"},
    }


@pytest.mark.parametrize(
    ("name", "template", "extension"),
    [
        ("PJSIP/2001-0000002a", "PJSIP/{extension}", "2001"),
        ("PJSIP/trunk-0000002a", "PJSIP/{extension}", "trunk"),
        ("SIP/2001-0000002a", "PJSIP/{extension}", ""),  # not what the template makes
        ("Local/2001@agents-00000001;1", "Local/{extension}@agents", "2001"),
        ("PJSIP/20 01-0000002a", "PJSIP/{extension}", ""),
        ("PJSIP/2001", "PJSIP/{extension}", ""),  # no sequence: no Asterisk channel name
        ("PJSIP/2001-0000002a", "PJSIP/fixed", ""),  # a template without {extension}
    ],
)
def test_phone_extension_reads_the_agent_template_backwards(
        name: str, template: str, extension: str) -> None:
    assert phone_extension(name, template) == extension


def test_dial_args_become_phone_dialed_and_the_channel_an_answered_agent_leg() -> None:
    registry = Registry()
    translator = EventTranslator(registry, "PJSIP/{extension}")
    event = parse_event(stasis_start("17.1", "PJSIP/2001-00000001", ["dial", "0612345678"]))
    out = translator.translate(event, 5.0)
    assert out == [i.PhoneDialed(now=5.0, channel_id="17.1", extension="2001",
                                 number="0612345678")]
    leg = registry.legs["17.1"]
    assert (leg.kind, leg.phone, leg.answered, leg.call_id) == (LegKind.AGENT, True, True,
                                                                "17.1")
    assert translator.translate(event, 6.0) == []  # a replayed StasisStart: once only
    # Its hang-up is the agent's leg ending (the engine ends the call, agent back to state).
    end = parse_event({"type": "StasisEnd", "application": "prowebcrm",
                       "timestamp": "2026-12-05T08:00:09.000+0000",
                       "channel": stasis_start("17.1", "PJSIP/2001-00000001", [])["channel"]})
    assert translator.translate(end, 9.0) == [i.AgentLegEnded(now=9.0, offer_id="17.1")]


@pytest.mark.parametrize("args", [["dial"], ["dial", ""], ["dial", "1" * 65]])
def test_dial_without_a_usable_number_is_a_stray_channel(args: list[str]) -> None:
    registry = Registry()
    out = EventTranslator(registry).translate(
        parse_event(stasis_start("17.2", "PJSIP/2001-00000002", args)), 1.0)
    assert len(out) == 1 and isinstance(out[0], StrayChannel)
    assert "17.2" not in registry.legs
