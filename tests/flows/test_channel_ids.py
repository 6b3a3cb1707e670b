"""Why the ids the app mints are fixed width (stasis_app.acd.core.Engine._new_id), shown on
the real Asterisk: when a channel is made with an id of the app's choosing, Asterisk 22.10.1
checks that no live channel has it by prefix (main/channelstorage_ao2_legacy.c,
get_by_uniqueid: strncasecmp over the new id's length). An originate with the id "offer-2"
while "offer-20" is up is refused, 409 "Channel with given unique ID already exists" (the
suite's wave drill met it after a restart: an offer failed and the caller waited for
another). Requests on an existing channel find it by its whole id (measured here too)."""

from __future__ import annotations

import secrets
import urllib.error

import pytest

from tests.pbx import Pbx

pytestmark = pytest.mark.real_asterisk


def _originate(pbx: Pbx, channel_id: str) -> None:
    pbx.asterisk.ari("POST", "/channels", endpoint="Local/100@caller", context="caller",
                     extension="100", priority="1", channelId=channel_id,
                     otherChannelId=f"{channel_id}-far")


def _alive(pbx: Pbx, channel_id: str) -> bool:
    return any(c["id"] == channel_id for c in pbx.asterisk.channels())


def test_asterisk_takes_a_channel_id_for_any_id_it_starts(fresh_pbx: Pbx) -> None:
    root = f"idfact{secrets.token_hex(3)}-offer-"
    _originate(fresh_pbx, f"{root}20")
    assert _alive(fresh_pbx, f"{root}20")
    with pytest.raises(urllib.error.HTTPError) as refused:
        _originate(fresh_pbx, f"{root}2")  # nothing has this id
    assert refused.value.code == 409
    with pytest.raises(urllib.error.HTTPError) as gone:
        fresh_pbx.asterisk.ari("DELETE", f"/channels/{root}2")  # a hang-up: by the whole id
    assert gone.value.code == 404
    assert _alive(fresh_pbx, f"{root}20")


def test_the_apps_fixed_width_ids_are_told_apart(fresh_pbx: Pbx) -> None:
    root = f"idfact{secrets.token_hex(3)}-offer-"
    _originate(fresh_pbx, f"{root}{20:09d}")
    _originate(fresh_pbx, f"{root}{2:09d}")
    with pytest.raises(urllib.error.HTTPError) as gone:
        fresh_pbx.asterisk.ari("DELETE", f"/channels/{root}{3:09d}")
    assert gone.value.code == 404
    assert _alive(fresh_pbx, f"{root}{20:09d}") and _alive(fresh_pbx, f"{root}{2:09d}")
