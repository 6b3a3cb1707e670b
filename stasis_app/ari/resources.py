"""Typed REST operations the call flows need (names/params from the Asterisk 22 Swagger).

R-ids: every create-like call takes its id from the caller (use `new_id`), so the app
knows the id before Asterisk's StasisStart, which may arrive before the HTTP reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from .errors import AriError
from .http import AriHttp, seg
from .models import Application, AsteriskInfo, Bridge, Channel, Endpoint, LiveRecording

HangupReason = Literal[
    "normal", "busy", "congestion", "no_answer", "timeout", "rejected", "unallocated",
    "normal_unspecified", "number_incomplete", "codec_mismatch", "interworking", "failure",
    "answered_elsewhere",
]
SpyDirection = Literal["none", "both", "out", "in"]
T = TypeVar("T")


def _one(model: Callable[[Any], T], data: Any) -> T:
    """A reply body that is not the promised object is an AriError, not a TypeError."""
    try:
        return model(data)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise AriError(f"unexpected reply {str(data)[:200]!r} ({exc!r})") from exc


def _many(model: Callable[[Any], T], data: Any) -> list[T]:
    if not isinstance(data, list):
        raise AriError(f"expected a list, got {str(data)[:200]!r}")
    return [_one(model, d) for d in data]


def _vars(variables: Mapping[str, str] | None) -> dict[str, Any] | None:
    return {"variables": dict(variables)} if variables else None


class Channels:
    def __init__(self, http: AriHttp, app: str) -> None:
        self._http, self._app = http, app

    async def list(self) -> list[Channel]:
        return _many(Channel.from_dict, await self._http.request("GET", "/channels"))

    async def get(self, channel_id: str) -> Channel:
        data = await self._http.request("GET", f"/channels/{seg(channel_id)}")
        return _one(Channel.from_dict, data)

    async def originate(
        self,
        endpoint: str,
        *,
        channel_id: str,
        other_channel_id: str | None = None,
        app: str | None = None,
        app_args: str | Sequence[str] | None = None,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,
        variables: Mapping[str, str] | None = None,
        originator: str | None = None,
        formats: str | None = None,
    ) -> Channel:
        """POST /channels. Without a dialplan target (context/extension/label) the channel
        goes to this client's app. `other_channel_id` names the `;2` half of a Local channel."""
        if app is None and context is None and extension is None and label is None:
            app = self._app
        params = {
            "endpoint": endpoint, "channelId": channel_id, "otherChannelId": other_channel_id,
            "app": app, "appArgs": app_args, "context": context, "extension": extension,
            "priority": priority, "label": label, "callerId": caller_id, "timeout": timeout,
            "originator": originator, "formats": formats,
        }
        data = await self._http.request("POST", "/channels", params=params,
                                         json_body=_vars(variables))
        return _one(Channel.from_dict, data)

    async def create(
        self,
        endpoint: str,
        *,
        channel_id: str,
        other_channel_id: str | None = None,
        app: str | None = None,
        app_args: str | Sequence[str] | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """POST /channels/create: channel enters Stasis at once (state Down); then `dial`."""
        params = {
            "endpoint": endpoint, "app": app or self._app, "appArgs": app_args,
            "channelId": channel_id, "otherChannelId": other_channel_id,
            "originator": originator, "formats": formats,
        }
        data = await self._http.request("POST", "/channels/create", params=params,
                                         json_body=_vars(variables))
        return _one(Channel.from_dict, data)

    async def dial(
        self,
        channel_id: str,
        *,
        caller: str | None = None,
        timeout: int | None = None,
    ) -> None:
        await self._http.request("POST", f"/channels/{seg(channel_id)}/dial",
                                 params={"caller": caller, "timeout": timeout})

    async def hangup(
        self, channel_id: str, *, reason: HangupReason | None = None,
        reason_code: str | None = None,
    ) -> None:
        await self._http.request("DELETE", f"/channels/{seg(channel_id)}",
                                 params={"reason": reason, "reason_code": reason_code})

    async def _act(self, method: str, channel_id: str, what: str,
                   params: Mapping[str, Any] | None = None) -> None:
        await self._http.request(method, f"/channels/{seg(channel_id)}/{what}", params=params)

    async def answer(self, channel_id: str) -> None:
        await self._act("POST", channel_id, "answer")

    async def ring(self, channel_id: str) -> None:
        await self._act("POST", channel_id, "ring")

    async def ring_stop(self, channel_id: str) -> None:
        await self._act("DELETE", channel_id, "ring")

    async def hold(self, channel_id: str) -> None:
        await self._act("POST", channel_id, "hold")

    async def unhold(self, channel_id: str) -> None:
        await self._act("DELETE", channel_id, "hold")

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        await self._act("POST", channel_id, "moh", {"mohClass": moh_class})

    async def mute(self, channel_id: str, direction: str = "both") -> None:
        await self._act("POST", channel_id, "mute", {"direction": direction})

    async def unmute(self, channel_id: str, direction: str = "both") -> None:
        await self._act("DELETE", channel_id, "mute", {"direction": direction})

    async def send_dtmf(self, channel_id: str, digits: str, *, between_ms: int | None = None,
                        duration_ms: int | None = None) -> None:
        await self._act("POST", channel_id, "dtmf",
                        {"dtmf": digits, "between": between_ms, "duration": duration_ms})

    async def stop_moh(self, channel_id: str) -> None:
        await self._act("DELETE", channel_id, "moh")

    async def transfer_progress(self, channel_id: str, states: str) -> None:
        """Tell the phone that sent a REFER (ari-only transfer handling) how it went:
        channel_progress, channel_answered, channel_unavailable or channel_declined."""
        await self._act("POST", channel_id, "transfer_progress", {"states": states})

    async def continue_in_dialplan(
        self, channel_id: str, *, context: str | None = None, extension: str | None = None,
        priority: int | None = None, label: str | None = None,
    ) -> None:
        await self._act("POST", channel_id, "continue", {
            "context": context, "extension": extension, "priority": priority, "label": label})

    async def snoop(
        self,
        channel_id: str,
        *,
        snoop_id: str,
        spy: SpyDirection | None = None,
        whisper: SpyDirection | None = None,
        app: str | None = None,
        app_args: str | Sequence[str] | None = None,
    ) -> Channel:
        params = {"snoopId": snoop_id, "spy": spy, "whisper": whisper,
                  "app": app or self._app, "appArgs": app_args}
        data = await self._http.request("POST", f"/channels/{seg(channel_id)}/snoop",
                                         params=params)
        return _one(Channel.from_dict, data)

    async def get_variable(self, channel_id: str, variable: str) -> str:
        data = await self._http.request("GET", f"/channels/{seg(channel_id)}/variable",
                                         params={"variable": variable})
        return str((data or {}).get("value", ""))

    async def set_variable(self, channel_id: str, variable: str, value: str | None) -> None:
        await self._act("POST", channel_id, "variable", {"variable": variable, "value": value})


class Bridges:
    def __init__(self, http: AriHttp) -> None:
        self._http = http

    async def list(self) -> list[Bridge]:
        return _many(Bridge.from_dict, await self._http.request("GET", "/bridges"))

    async def get(self, bridge_id: str) -> Bridge:
        data = await self._http.request("GET", f"/bridges/{seg(bridge_id)}")
        return _one(Bridge.from_dict, data)

    async def create(
        self, bridge_id: str, *, type: str = "mixing", name: str | None = None
    ) -> Bridge:
        """`type`: comma list of mixing, holding, dtmf_events, proxy_media, video_sfu..."""
        data = await self._http.request(
            "POST", "/bridges", params={"bridgeId": bridge_id, "type": type, "name": name})
        return _one(Bridge.from_dict, data)

    async def destroy(self, bridge_id: str) -> None:
        await self._http.request("DELETE", f"/bridges/{seg(bridge_id)}")

    async def add_channel(
        self,
        bridge_id: str,
        channels: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        """Also moves a channel out of another bridge of the app (no removeChannel needed)."""
        await self._http.request("POST", f"/bridges/{seg(bridge_id)}/addChannel", params={
            "channel": channels, "role": role, "absorbDTMF": absorb_dtmf, "mute": mute,
            "inhibitConnectedLineUpdates": inhibit_connected_line_updates})

    async def remove_channel(self, bridge_id: str, channels: str | Sequence[str]) -> None:
        await self._http.request("POST", f"/bridges/{seg(bridge_id)}/removeChannel",
                                 params={"channel": channels})

    async def start_moh(self, bridge_id: str, moh_class: str | None = None) -> None:
        await self._http.request("POST", f"/bridges/{seg(bridge_id)}/moh",
                                 params={"mohClass": moh_class})

    async def stop_moh(self, bridge_id: str) -> None:
        await self._http.request("DELETE", f"/bridges/{seg(bridge_id)}/moh")

    async def record(
        self,
        bridge_id: str,
        *,
        name: str,
        format: str = "wav",
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: Literal["fail", "overwrite", "append"] | None = None,
        beep: bool | None = None,
        terminate_on: Literal["none", "any", "*", "#"] | None = None,
    ) -> LiveRecording:
        data = await self._http.request("POST", f"/bridges/{seg(bridge_id)}/record", params={
            "name": name, "format": format, "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds, "ifExists": if_exists, "beep": beep,
            "terminateOn": terminate_on})
        return _one(LiveRecording.from_dict, data)


class Recordings:
    """Live recordings (B9): what a bridge recording is doing, and stopping it."""

    def __init__(self, http: AriHttp) -> None:
        self._http = http

    async def get_live(self, name: str) -> LiveRecording:
        data = await self._http.request("GET", f"/recordings/live/{seg(name)}")
        return _one(LiveRecording.from_dict, data)

    async def stop(self, name: str) -> None:
        await self._http.request("POST", f"/recordings/live/{seg(name)}/stop")


class Applications:
    """No subscribeAll anywhere (R-subscribe): subscribe to explicit event sources only."""

    def __init__(self, http: AriHttp, app: str) -> None:
        self._http, self._app = http, app

    async def list(self) -> list[Application]:
        return _many(Application.from_dict, await self._http.request("GET", "/applications"))

    async def get(self, name: str | None = None) -> Application:
        data = await self._http.request("GET", f"/applications/{seg(name or self._app)}")
        return _one(Application.from_dict, data)

    async def subscribe(self, event_source: str | Sequence[str],
                        name: str | None = None) -> Application:
        """`event_source`: e.g. 'channel:<id>', 'bridge:<id>', 'endpoint:PJSIP/2001'."""
        data = await self._http.request(
            "POST", f"/applications/{seg(name or self._app)}/subscription",
            params={"eventSource": event_source})
        return _one(Application.from_dict, data)

    async def filter_events(self, disallowed: Sequence[str], name: str | None = None
                            ) -> Application:
        """Asterisk stops sending these event types to the app (it still builds them, but
        neither serialises nor writes them on the socket, and the app neither reads nor
        parses them). Kept by Asterisk with the application, not with the socket."""
        data = await self._http.request(
            "PUT", f"/applications/{seg(name or self._app)}/eventFilter",
            json_body={"disallowed": [{"type": t} for t in sorted(disallowed)]})
        return _one(Application.from_dict, data)

    async def unsubscribe(self, event_source: str | Sequence[str],
                          name: str | None = None) -> Application:
        data = await self._http.request(
            "DELETE", f"/applications/{seg(name or self._app)}/subscription",
            params={"eventSource": event_source})
        return _one(Application.from_dict, data)


class Endpoints:
    """What Asterisk knows of endpoints (phones): their state and their channels."""

    def __init__(self, http: AriHttp) -> None:
        self._http = http

    async def list(self, technology: str | None = None) -> list[Endpoint]:
        path = f"/endpoints/{seg(technology)}" if technology else "/endpoints"
        return _many(Endpoint.from_dict, await self._http.request("GET", path))

    async def get(self, technology: str, resource: str) -> Endpoint:
        data = await self._http.request("GET", f"/endpoints/{seg(technology)}/{seg(resource)}")
        return _one(Endpoint.from_dict, data)


class AsteriskApi:
    def __init__(self, http: AriHttp) -> None:
        self._http = http

    async def info(self, only: str | None = None) -> AsteriskInfo:
        """GET /asterisk/info; `only` = build|system|config|status (comma list)."""
        data = await self._http.request("GET", "/asterisk/info", params={"only": only})
        return _one(AsteriskInfo.from_dict, data)

    async def get_variable(self, variable: str) -> str:
        """A global variable, or a dialplan function evaluated globally (e.g. ``DB(f/k)``)."""
        data = await self._http.request("GET", "/asterisk/variable",
                                         params={"variable": variable})
        return str((data or {}).get("value", ""))
