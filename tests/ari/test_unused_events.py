"""The event types Asterisk is told not to send are ones nothing in the app reads."""

from __future__ import annotations

from stasis_app.ari import events as ev
from stasis_app.registry import Registry
from stasis_app.runtime import UNUSED_EVENT_TYPES
from stasis_app.translate import EventTranslator

# the ARI client itself (the app taken over), and the supervisor's listening (spy.py)
READ_OUTSIDE_THE_TRANSLATOR = {"ApplicationReplaced", "StasisStart", "StasisEnd",
                               "ChannelDestroyed"}


def test_no_unused_type_is_read() -> None:
    read = {cls.__name__ for cls in EventTranslator(Registry())._readers}
    assert not UNUSED_EVENT_TYPES & (read | READ_OUTSIDE_THE_TRANSLATOR)


def test_unused_types_are_real_ari_event_types() -> None:
    assert UNUSED_EVENT_TYPES <= ev.EVENT_TYPES
