"""PROWEBCRM's own thin, typed ARI client (aiohttp; Asterisk 22).

Usage::

    client = AriClient("http://127.0.0.1:8088", "user", "secret", "crm", key_of=None)

    @client.on_event
    async def handle(event: Event) -> None: ...          # per-key ordered (R-order)

    @client.on_connection_change
    async def link(state: LinkState, first: bool, reason: str | None) -> None:
        ...  # CONNECTED with first=False: reconcile with GET /channels, /bridges

    await client.start(takeover=False)   # R-single: AppAlreadyRunning if the app exists
    ch = await client.channels.originate("PJSIP/2001", channel_id=new_id("agent-"),
                                         app_args="agent,2001", caller_id="X <555>",
                                         timeout=20)
    await client.bridges.create(new_id("call-"), type="mixing", name="call")
    await client.drain()                 # every queued event handled
    await client.close()                 # WebSocket, workers and HTTP session closed

Resources: `client.channels` (list, get, originate, create, dial, hangup, answer, ring,
ring_stop, hold, unhold, start_moh, stop_moh, continue_in_dialplan, snoop, get_variable,
set_variable), `client.bridges` (list, get, create, destroy, add_channel, remove_channel,
start_moh, stop_moh, record), `client.applications` (list, get, subscribe, unsubscribe),
`client.asterisk.info()`, and `client.request(method, path, params=, json_body=)`.

Rules enforced here: one ClientSession, <= 8 kept-alive connections (Asterisk's HTTP
backlog is ~10; the WebSocket holds one of them); ids always chosen by the caller (R-ids);
no subscribeAll (R-subscribe); events serialised per key, default channel id (R-order;
pass `key_of` to key by call); link changes reported so the app can reconcile
(R-reconnect: nothing is replayed); ApplicationReplaced stops all actions (REST raises
AppReplaced) and ends reconnecting (R-single). Errors are AriError subclasses carrying
`.status` and Asterisk's `.message`; `err.not_in_stasis` recognises R-wait refusals.
"""

from .client import AriClient
from .dispatch import GLOBAL_KEY, KeyedDispatcher, default_key
from .errors import (
    AppAlreadyRunning,
    AppReplaced,
    AriBadRequest,
    AriConflict,
    AriError,
    AriNotFound,
    AriPreconditionFailed,
    AriServerError,
    AriUnauthorized,
    AriUnavailable,
    AriUnprocessable,
)
from .events import (
    EVENT_TYPES,
    ApplicationReplaced,
    BridgeAttendedTransfer,
    BridgeBlindTransfer,
    BridgeCreated,
    BridgeDestroyed,
    BridgeMerged,
    ChannelCallerId,
    ChannelConnectedLine,
    ChannelCreated,
    ChannelDestroyed,
    ChannelDialplan,
    ChannelDtmfReceived,
    ChannelEnteredBridge,
    ChannelHangupRequest,
    ChannelHold,
    ChannelLeftBridge,
    ChannelStateChange,
    ChannelTalkingFinished,
    ChannelTalkingStarted,
    ChannelTransfer,
    ChannelUnhold,
    ChannelVarset,
    DeviceStateChanged,
    Dial,
    EndpointStateChange,
    Event,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    ReferredBy,
    ReferTo,
    StasisEnd,
    StasisStart,
    UnknownEvent,
    parse_event,
)
from .http import ari_root
from .models import (
    Application,
    AsteriskInfo,
    Bridge,
    CallerID,
    Channel,
    DeviceState,
    DialplanCEP,
    Endpoint,
    LiveRecording,
    Playback,
    new_id,
)
from .rest_pool import REQUEST_RANK
from .stream import LinkState

__all__ = [
    "EVENT_TYPES",
    "GLOBAL_KEY",
    "REQUEST_RANK",
    "AppAlreadyRunning",
    "AppReplaced",
    "Application",
    "ApplicationReplaced",
    "AriBadRequest",
    "AriClient",
    "AriConflict",
    "AriError",
    "AriNotFound",
    "AriPreconditionFailed",
    "AriServerError",
    "AriUnauthorized",
    "AriUnavailable",
    "AriUnprocessable",
    "AsteriskInfo",
    "Bridge",
    "BridgeAttendedTransfer",
    "BridgeBlindTransfer",
    "BridgeCreated",
    "BridgeDestroyed",
    "BridgeMerged",
    "CallerID",
    "Channel",
    "ChannelCallerId",
    "ChannelConnectedLine",
    "ChannelCreated",
    "ChannelDestroyed",
    "ChannelDialplan",
    "ChannelDtmfReceived",
    "ChannelEnteredBridge",
    "ChannelHangupRequest",
    "ChannelHold",
    "ChannelLeftBridge",
    "ChannelStateChange",
    "ChannelTalkingFinished",
    "ChannelTalkingStarted",
    "ChannelTransfer",
    "ChannelUnhold",
    "ChannelVarset",
    "DeviceState",
    "DeviceStateChanged",
    "Dial",
    "DialplanCEP",
    "Endpoint",
    "EndpointStateChange",
    "Event",
    "KeyedDispatcher",
    "LinkState",
    "LiveRecording",
    "Playback",
    "PlaybackFinished",
    "PlaybackStarted",
    "RecordingFailed",
    "RecordingFinished",
    "RecordingStarted",
    "ReferTo",
    "ReferredBy",
    "StasisEnd",
    "StasisStart",
    "UnknownEvent",
    "ari_root",
    "default_key",
    "new_id",
    "parse_event",
]
