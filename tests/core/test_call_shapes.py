"""The agent API's call (``web.api.agent.CallOut``) is the engine's ``CallView`` as the web
shows it: the same fields under the same names, minus Asterisk's plumbing, plus what the call
card adds. A field added to one and forgotten in the other fails here."""

from __future__ import annotations

import dataclasses

from stasis_app.acd.views import CallView
from web.api.agent import CallOut

PLUMBING = {"legs", "bridge_id", "in_queue"}  # Asterisk's side of a call: never on the wire
CARD = {"number_display", "client_name", "matches", "group_name"}  # looked up beside the call
RECORDING = {"recording", "recording_mode"}  # B9: from the recorder beside the engine


def test_call_out_is_the_call_view_without_plumbing_plus_the_card() -> None:
    view = {f.name for f in dataclasses.fields(CallView)}
    out = set(CallOut.model_fields)
    assert view - PLUMBING == out - CARD - RECORDING
    assert not PLUMBING & out and not CARD & view and not RECORDING & view
