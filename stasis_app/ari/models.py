"""Typed replies of the ARI REST API (Asterisk 22 Swagger), parsed by hand for speed.

Plain slotted dataclasses, read-only by convention (frozen ones parse ~2x slower).

Every `from_dict` tolerates missing optional fields and ignores unknown ones, so a newer
Asterisk adding a field never breaks parsing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


def new_id(prefix: str = "") -> str:
    """R-ids: an id chosen by the app, given to Asterisk *before* the request is made."""
    return f"{prefix}{uuid.uuid4().hex}"


@dataclass(slots=True)
class CallerID:
    name: str
    number: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CallerID:
        return cls(d.get("name") or "", d.get("number") or "")


_NO_CALLER = CallerID("", "")


@dataclass(slots=True)
class DialplanCEP:
    context: str
    exten: str
    priority: int
    app_name: str
    app_data: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DialplanCEP:
        return cls(
            d.get("context") or "",
            d.get("exten") or "",
            int(d.get("priority") or 0),
            d.get("app_name") or "",
            d.get("app_data") or "",
        )


_NO_DIALPLAN = DialplanCEP("", "", 0, "", "")


@dataclass(slots=True)
class Channel:
    id: str
    name: str
    state: str
    caller: CallerID
    connected: CallerID
    dialplan: DialplanCEP
    creationtime: str
    accountcode: str = ""
    language: str = ""
    protocol_id: str = ""
    caller_rdnis: str | None = None
    channelvars: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Channel:
        c, n, dp = d.get("caller"), d.get("connected"), d.get("dialplan")
        return cls(
            d["id"],
            d.get("name") or "",
            d.get("state") or "",
            CallerID.from_dict(c) if c else _NO_CALLER,
            CallerID.from_dict(n) if n else _NO_CALLER,
            DialplanCEP.from_dict(dp) if dp else _NO_DIALPLAN,
            d.get("creationtime") or "",
            d.get("accountcode") or "",
            d.get("language") or "",
            d.get("protocol_id") or "",
            d.get("caller_rdnis"),
            d.get("channelvars"),
        )


@dataclass(slots=True)
class Bridge:
    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    channels: tuple[str, ...]
    creationtime: str = ""
    video_mode: str | None = None
    video_source_id: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Bridge:
        return cls(
            d["id"],
            d.get("technology") or "",
            d.get("bridge_type") or "",
            d.get("bridge_class") or "",
            d.get("creator") or "",
            d.get("name") or "",
            tuple(d.get("channels") or ()),
            d.get("creationtime") or "",
            d.get("video_mode"),
            d.get("video_source_id"),
        )


@dataclass(slots=True)
class Application:
    name: str
    channel_ids: tuple[str, ...]
    bridge_ids: tuple[str, ...]
    endpoint_ids: tuple[str, ...]
    device_names: tuple[str, ...]
    events_allowed: tuple[str, ...] = ()  # event types; empty: all
    events_disallowed: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Application:
        return cls(
            d["name"],
            tuple(d.get("channel_ids") or ()),
            tuple(d.get("bridge_ids") or ()),
            tuple(d.get("endpoint_ids") or ()),
            tuple(d.get("device_names") or ()),
            _types(d.get("events_allowed")),
            _types(d.get("events_disallowed")),
        )


@dataclass(slots=True)
class Endpoint:
    """GET /endpoints/{tech}[/{resource}]; ``state``: online, offline or unknown."""

    technology: str
    resource: str
    state: str
    channel_ids: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Endpoint:
        return cls(d.get("technology") or "", d.get("resource") or "", d.get("state") or "",
                   tuple(d.get("channel_ids") or ()))


@dataclass(slots=True)
class DeviceState:
    """A device's aggregate state: NOT_INUSE, INUSE, BUSY, RINGING, UNAVAILABLE, ..."""

    name: str
    state: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DeviceState:
        return cls(d.get("name") or "", d.get("state") or "")


def _types(entries: Any) -> tuple[str, ...]:
    return tuple(str(e.get("type", "")) for e in entries or () if isinstance(e, dict))


@dataclass(slots=True)
class AsteriskInfo:
    """GET /asterisk/info; sections absent when filtered out with `only=`."""

    version: str | None
    entity_id: str | None
    startup_time: str | None
    last_reload_time: str | None
    build: dict[str, Any] | None
    config: dict[str, Any] | None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AsteriskInfo:
        system, status = d.get("system") or {}, d.get("status") or {}
        return cls(
            system.get("version"),
            system.get("entity_id"),
            status.get("startup_time"),
            status.get("last_reload_time"),
            d.get("build"),
            d.get("config"),
        )


@dataclass(slots=True)
class LiveRecording:
    name: str
    format: str
    state: str
    target_uri: str = ""
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LiveRecording:
        return cls(
            d.get("name") or "",
            d.get("format") or "",
            d.get("state") or "",
            d.get("target_uri") or "",
            d.get("duration"),
            d.get("talking_duration"),
            d.get("silence_duration"),
            d.get("cause"),
        )


@dataclass(slots=True)
class Playback:
    id: str
    media_uri: str
    target_uri: str
    state: str
    language: str | None = None
    next_media_uri: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Playback:
        return cls(
            d.get("id") or "",
            d.get("media_uri") or "",
            d.get("target_uri") or "",
            d.get("state") or "",
            d.get("language"),
            d.get("next_media_uri"),
        )


def target_id(uri: str, kind: str) -> str | None:
    """'channel:abc' -> 'abc' for kind 'channel' (playback/recording target URIs)."""
    head, _, rest = uri.partition(":")
    return rest if head == kind and rest else None
