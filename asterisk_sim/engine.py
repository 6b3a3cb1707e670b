"""The simulated Asterisk core: channels, bridges, Stasis, and the events they emit.

Everything here is synchronous and runs on the event loop thread: a REST call
changes state and emits its events before the HTTP reply is written, which is
what makes "events arrive before the REST reply" (a real quirk) happen here too.
Delays (answer media, ring timeouts, phone answer delays) go through the
Scheduler.

Event sequences are modelled on the recorded Asterisk 22 traces; each function
names the trace it reproduces. Where no trace shows a behaviour, the comment
says what the Swagger description or Asterisk's source led to.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from . import dialplan as dp
from .apps import AppRegistry
from .errors import AriError
from .model import CAUSE_TEXT, SOFT_EXPLICIT, SOFT_LOCAL, Bridge, CallerId, Channel, ari_time
from .phones import Behaviour, Phone, PhoneBook
from .scheduler import Scheduler

# ARI DELETE /channels/{id}?reason= values (Swagger 22) and the Q.850 cause each sets.
HANGUP_REASONS: dict[str, int] = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 19,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}

SNOOP_DIRECTIONS = ("none", "both", "out", "in")
# Asterisk's "Answer()" waits up to 500 ms for media before the next priority
# runs, which is why the far half of an agent Local channel reaches Wait() 0.5 s
# after answering in every trace.
ANSWER_MEDIA_DELAY = 0.5
MAX_UNIQUEID = 127  # AST_MAX_PUBLIC_UNIQUEID


class EngineHook(Protocol):
    def on_bridged(self, channel: Channel, bridge: Bridge) -> None: ...

    def on_gone(self, channel: Channel) -> None: ...


class Engine:
    def __init__(
        self,
        scheduler: Scheduler,
        phones: PhoneBook,
        inbound_app: Callable[[], str],
        asterisk_id: str = "02:00:00:00:00:5e",
        dialplan: dp.Dialplan | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.phones = phones
        self._inbound_app = inbound_app
        self.dialplan = dialplan or dp.Dialplan()
        self.channels: dict[str, Channel] = {}
        self.bridges: dict[str, Bridge] = {}
        self.registry = AppRegistry(asterisk_id, self.has_subscriptions)
        self.hooks: list[EngineHook] = []
        self._epoch = int(time.time())
        self._uid = 0
        self._local_seq = 0
        self._chan_seq = 0
        self._snoop_seq = 0
        self.started_at = time.time()
        # Live bridge recordings (B9): name -> (bridge id, format, start); the files go to
        # ``recording_dir`` (silence of the recording's length) when one is set.
        self.recordings: dict[str, tuple[str, str, float]] = {}
        self.recording_dir: Path | None = None

    # ------------------------------------------------------------------
    # identifiers
    # ------------------------------------------------------------------
    def _new_uid(self) -> str:
        uid = f"{self._epoch}.{self._uid}"
        self._uid += 1
        return uid

    def _check_new_ids(self, *ids: str | None) -> None:
        for cid in ids:
            if cid is None:
                continue
            if len(cid) > MAX_UNIQUEID:
                raise AriError(400, f"Uniqueid length exceeds maximum of {MAX_UNIQUEID}")
            if cid in self.channels:
                raise AriError(409, "Channel with given unique ID already exists")

    # ------------------------------------------------------------------
    # event emission
    # ------------------------------------------------------------------
    def _emit(
        self,
        etype: str,
        *,
        channel: Channel | None = None,
        bridge: Bridge | None = None,
        peer: Channel | None = None,
        head: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Build one event and give it to every app subscribed to what it is about."""
        recipients: set[str] = set()
        for obj in (channel, bridge, peer):
            if obj is not None:
                recipients |= obj.apps()
        if not recipients:
            return
        # Key order follows Asterisk's JSON (e.g. ChannelVarset puts variable/value
        # before type); consumers must not rely on it, but it eases diffing.
        body: dict[str, Any] = {**(head or {}), "type": etype, "timestamp": ari_time()}
        body.update(fields or {})
        if bridge is not None:
            body["bridge"] = bridge.to_json()
        if channel is not None:
            body["channel"] = channel.to_json()
        if peer is not None:
            body["peer"] = peer.to_json()
        for app in sorted(recipients):
            self.registry.deliver(app, body)

    def _emit_state(self, c: Channel) -> None:
        self._emit("ChannelStateChange", channel=c)

    def _emit_hangup_request(self, c: Channel, cause: int, soft: bool = False) -> None:
        head: dict[str, Any] = {"cause": cause}
        if soft:
            head["soft"] = True
        self._emit("ChannelHangupRequest", channel=c, head=head)

    def _emit_dial(self, c: Channel, status: str) -> None:
        # Only Dial "" names the dialstring for /dial; originate names it every time.
        dialstring = c.dialstring if (status == "" or c.dial_reports_dialstring) else ""
        self._emit(
            "Dial",
            peer=c,
            fields={"dialstatus": status, "forward": "", "dialstring": dialstring},
        )

    def _set_var(self, c: Channel, name: str, value: str) -> None:
        c.variables[name] = value
        self._emit("ChannelVarset", channel=c, head={"variable": name, "value": value})

    def _emit_callerid(self, c: Channel) -> None:
        self._emit(
            "ChannelCallerId",
            channel=c,
            fields={
                "caller_presentation": 0,
                "caller_presentation_txt": "Presentation Allowed, Not Screened",
            },
        )

    def _set_connected(self, c: Channel, cid: CallerId) -> None:
        if c.connected == cid:
            return
        c.connected = cid.copy()
        self._emit("ChannelConnectedLine", channel=c)
        peer = c.peer
        if c.half == 1 and peer is not None and not peer.destroyed:
            # The Local driver turns ;1's connected line into ;2's caller id, but
            # the ;2 half only applies it when its dialplan reads the frame: at
            # the end of Answer(), or (inside Wait) only when it hangs up.
            peer.pending_callerid = cid.copy()

    # ------------------------------------------------------------------
    # applications
    # ------------------------------------------------------------------
    def has_subscriptions(self, app: str) -> bool:
        if any(app in c.apps() for c in self.channels.values()):
            return True
        return any(b.app_refs.get(app, 0) > 0 for b in self.bridges.values())

    def application_json(self, app: str) -> dict[str, Any]:
        app_ = self.registry.get(app)
        return {
            "name": app,
            "channel_ids": [c.id for c in self.channels.values() if app in c.apps()],
            "bridge_ids": [b.id for b in self.bridges.values() if b.app_refs.get(app, 0) > 0],
            "endpoint_ids": [],
            "device_names": [],
            "events_allowed": [{"type": t} for t in app_.events_allowed] if app_ else [],
            "events_disallowed": [{"type": t} for t in app_.events_disallowed] if app_ else [],
        }

    def filter_events(self, app: str, body: Any) -> None:
        """PUT /applications/{app}/eventFilter, with Asterisk's rules: an empty body empties
        both lists, a list given replaces that list, a list not given is kept."""
        found = self.registry.get(app)
        if found is None:
            raise AriError(404, "Application not found")
        if body in (None, {}):
            found.events_allowed, found.events_disallowed = [], []
            return
        if not isinstance(body, dict):
            raise AriError(400, "Invalid json type event filter")
        lists = {}
        for kind in ("allowed", "disallowed"):
            if kind not in body:
                continue
            entries = body[kind]
            if not isinstance(entries, list) or not all(
                    isinstance(e, dict) and isinstance(e.get("type"), str) for e in entries):
                raise AriError(400, f"Invalid json type event filter: {kind}")
            lists[kind] = [e["type"] for e in entries]
        if "allowed" in lists:
            found.events_allowed = lists["allowed"]
        if "disallowed" in lists:
            found.events_disallowed = lists["disallowed"]

    def subscribe(self, app: str, event_source: str | None, subscribe: bool = True) -> None:
        if not event_source:
            raise AriError(400, "Missing parameter eventSource")
        if not self.registry.exists(app):
            raise AriError(404, "Application not found")
        for source in event_source.split(","):
            scheme, _, name = source.partition(":")
            if scheme == "channel":
                ch = self.channels.get(name)
                if ch is None:
                    raise AriError(422, "Event source does not exist")
                if subscribe:
                    ch.subscribers.add(app)
                elif app in ch.subscribers:
                    ch.subscribers.discard(app)
                else:
                    raise AriError(409, "Application not subscribed to event source")
            elif scheme == "bridge":
                br = self.bridges.get(name)
                if br is None:
                    raise AriError(422, "Event source does not exist")
                if subscribe:
                    br.app_refs[app] += 1
                elif br.app_refs.get(app, 0) > 0:
                    br.app_refs[app] -= 1
                else:
                    raise AriError(409, "Application not subscribed to event source")
            elif scheme in ("endpoint", "deviceState"):
                # Accepted for compatibility; the simulator emits no endpoint or
                # device-state events (none appear in the traces).
                continue
            else:
                raise AriError(400, "Invalid event source URI scheme")
        self.registry.collect_garbage()

    # ------------------------------------------------------------------
    # lookups used by the REST layer
    # ------------------------------------------------------------------
    def channel(self, channel_id: str) -> Channel:
        ch = self.channels.get(channel_id)
        if ch is None:
            raise AriError(404, "Channel not found")
        return ch

    def control(self, channel_id: str) -> Channel:
        """Asterisk's find_control(): 404 if absent, 409 if not in Stasis."""
        ch = self.channel(channel_id)
        if not ch.in_stasis:
            raise AriError(409, "Channel not in Stasis application")
        return ch

    @staticmethod
    def check_state(ch: Channel) -> None:
        """Asterisk's channel_state_invalid(): no media ops on unanswered outbound legs."""
        if ch.state in ("Down", "Rsrved", "Ringing"):
            raise AriError(412, "Channel in invalid state")

    def bridge(self, bridge_id: str) -> Bridge:
        br = self.bridges.get(bridge_id)
        if br is None:
            raise AriError(404, "Bridge not found")
        return br

    # ------------------------------------------------------------------
    # channel creation
    # ------------------------------------------------------------------
    def _register(self, c: Channel) -> Channel:
        self.channels[c.id] = c
        return c

    def _new_local(self, resource: str, id1: str | None, id2: str | None) -> Channel:
        dest = resource.split("/", 1)[0]  # Local/exten@context/n: options ignored
        exten, _, context = dest.partition("@")
        context = context or "default"
        if id1 and not id2:
            # core_unreal names the ;2 half "<uniqueid>;2" when only one id is given.
            id2 = f"{id1};2"
        self._check_new_ids(id1, id2)
        base = f"Local/{exten}@{context}-{self._local_seq:08x}"
        self._local_seq += 1
        c1 = Channel(
            id=id1 or self._new_uid(),
            name=base + ";1",
            tech="Local",
            state="Down",
            caller=CallerId(),
            connected=CallerId(),
            context=context,
            exten=exten,
            half=1,
        )
        c2 = Channel(
            id=id2 or self._new_uid(),
            name=base + ";2",
            tech="Local",
            state="Ring",
            caller=CallerId(),
            connected=CallerId(),
            context=context,
            exten=exten,
            half=2,
        )
        c1.peer, c2.peer = c2, c1
        c1.dialstring = dest
        self._register(c1)
        self._register(c2)
        return c1

    def _new_pjsip(self, resource: str, id1: str | None) -> Channel:
        number, _, host = resource.partition("@")
        if host:
            phone = self.phones.outside(number)
            endpoint = host
        else:
            found = self.phones.get(number)
            if found is None:
                # chan_pjsip cannot create a channel for an unknown endpoint and
                # ARI then answers ast_ari_response_alloc_failed().
                raise AriError(500, "Allocation failed")
            phone = found
            endpoint = number
        self._check_new_ids(id1)
        name = f"PJSIP/{endpoint}-{self._chan_seq:08x}"
        self._chan_seq += 1
        # Not in the traces: a PJSIP leg created by ARI sits in the endpoint's
        # context; "default"/"s" is what an unconfigured endpoint uses.
        c = Channel(
            id=id1 or self._new_uid(),
            name=name,
            tech="PJSIP",
            state="Down",
            caller=CallerId(),
            connected=CallerId(),
            context="default",
            exten="s",
        )
        c.phone_ext = phone.ext
        c.dialstring = resource
        return self._register(c)

    def _new_channel(self, endpoint: str | None, id1: str | None, id2: str | None) -> Channel:
        if not endpoint:
            raise AriError(400, "Endpoint must be specified")
        tech, _, resource = endpoint.partition("/")
        if not tech or not resource:
            raise AriError(400, "Invalid endpoint specified")
        if tech.lower() == "local":
            return self._new_local(resource, id1, id2)
        if tech.upper() == "PJSIP":
            return self._new_pjsip(resource, id1)
        raise AriError(500, "Allocation failed")

    # ------------------------------------------------------------------
    # POST /channels (originate)
    # ------------------------------------------------------------------
    def originate(
        self,
        params: dict[str, str],
        variables: dict[str, str] | None = None,
        inbound_app: str | None = None,
    ) -> dict[str, Any]:
        """Originate; returns the reply body (the ;1 snapshot taken before dialing)."""
        app = params.get("app") or None
        extension = params.get("extension") or None
        if params.get("originator") and params.get("formats"):
            raise AriError(400, "Originator and formats can't both be specified")
        if not params.get("endpoint"):
            raise AriError(400, "Endpoint must be specified")
        if not app and not extension:
            raise AriError(400, "Application or extension must be specified")
        timeout = int_param(params, "timeout", 30)
        priority = int_param(params, "priority", 1) or 1
        c1 = self._new_channel(
            params["endpoint"], params.get("channelId"), params.get("otherChannelId")
        )
        cid = CallerId.parse(params.get("callerId"))
        if cid.name or cid.number:
            c1.caller = cid.copy()
            c1.connected = cid.copy()
        c1.variables.update(variables or {})
        c1.kind = "originated"
        c1.set_dialplan("AppDial2", "(Outgoing Line)")
        c1.dial_reports_dialstring = True
        if app:
            args = params.get("appArgs") or ""
            c1.dial_app = app
            c1.dial_app_args = args.split(",") if args else []
            if self.registry.exists(app):
                c1.subscribers.add(app)
                if c1.peer is not None:
                    c1.peer.subscribers.add(app)
        else:
            c1.after_answer = (params.get("context") or "default", extension or "s", priority)
        if c1.peer is not None:
            c1.peer.inbound_app = inbound_app
        reply = c1.to_json()
        self._start_dial(c1, timeout)
        return reply

    # ------------------------------------------------------------------
    # POST /channels/create and /channels/{id}/dial
    # ------------------------------------------------------------------
    def create(
        self, params: dict[str, str], variables: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """create-then-dial trace: the channel enters Stasis at once, state Down."""
        app = params.get("app")
        if not app:
            raise AriError(400, "Application name is required")
        if params.get("originator") and params.get("formats"):
            raise AriError(400, "Originator and formats can't both be specified")
        c = self._new_channel(
            params.get("endpoint"), params.get("channelId"), params.get("otherChannelId")
        )
        c.variables.update(variables or {})
        c.kind = "created"
        c.dial_reports_dialstring = False
        args = params.get("appArgs") or ""
        if self.registry.exists(app):
            # Only the requested channel is subscribed, never the Local ;2 half.
            c.subscribers.add(app)
        reply = c.to_json()
        app_data = f"{app},{args}" if args else app
        c.set_dialplan("Stasis", app_data)
        self._emit(
            "ChannelDialplan",
            channel=c,
            fields={"dialplan_app": "Stasis", "dialplan_app_data": app_data},
        )
        self._run_stasis(c, app, args.split(",") if args else [], app_data)
        return reply

    def dial(self, channel_id: str, caller_id: str | None, timeout: int) -> None:
        c = self.control(channel_id)
        if c.state not in ("Down", "Rsrved"):
            raise AriError(409, "Channel is not in the 'Down' state")
        if c.kind != "created" or c.dialing:
            raise AriError(409, "Dialing a channel not created by ARI")
        caller = self.channels.get(caller_id) if caller_id else None
        if caller is not None:
            self._set_connected(c, caller.caller)
        self._start_dial(c, timeout if timeout > 0 else -1)

    # ------------------------------------------------------------------
    # dialing
    # ------------------------------------------------------------------
    def _start_dial(self, c1: Channel, timeout: int) -> None:
        c1.dialing = True
        if c1.tech == "PJSIP":
            self._emit_dial(c1, "")
            self._arm_dial_timeout(c1, timeout)
            self._ring_phone(c1)
            return
        c2 = c1.peer
        assert c2 is not None
        ctx = self.dialplan.lookup(c2.context, c2.exten)
        if ctx is None:
            # originate-failure trace: the Local ;2 half cannot start, so the dial
            # fails before any Dial event; both halves are destroyed with cause 0.
            c1.dialing = False
            c1.hanging_up = c2.hanging_up = True
            self._gone(c2, 0)
            self._gone(c1, 0)
            return
        # The Local driver copies ;1's identities onto ;2 when the call starts
        # (both are already set in the first event's snapshot).
        caller_changed = c2.caller != c1.connected
        connected_changed = c2.connected != c1.caller
        c2.caller, c2.connected = c1.connected.copy(), c1.caller.copy()
        if caller_changed:
            self._emit_callerid(c2)
        if connected_changed:
            self._emit("ChannelConnectedLine", channel=c2)
        self._emit_dial(c1, "")
        self._arm_dial_timeout(c1, timeout)
        self._run_context(c2, ctx)

    def _arm_dial_timeout(self, c1: Channel, timeout: int) -> None:
        if timeout > 0:
            c1.timers.append(self.scheduler.call_later(timeout, self._dial_timeout, c1))

    def _run_context(self, c: Channel, ctx: dp.Context) -> None:
        """Run a Local ;2 half (or an answered ;1) through one of the emulated contexts."""
        if ctx.kind == dp.ANSWER:
            if c.state != "Up":
                c.set_dialplan("Answer", "", priority=1)
                self._emit(
                    "ChannelDialplan",
                    channel=c,
                    fields={"dialplan_app": "Answer", "dialplan_app_data": ""},
                )
                c.state = "Up"
                self._emit_state(c)
                c.in_answer_phase = True
                c.timers.append(self.scheduler.call_later(ANSWER_MEDIA_DELAY, self._reach_wait, c))
                if c.half == 2 and c.peer is not None and c.peer.dialing:
                    self._answered(c.peer)
            else:
                c.in_answer_phase = True
                self._reach_wait(c)
        elif ctx.kind == dp.RING:
            c.set_dialplan("Ringing", "", priority=1)
            self._emit(
                "ChannelDialplan",
                channel=c,
                fields={"dialplan_app": "Ringing", "dialplan_app_data": ""},
            )
            if c.half == 2 and c.peer is not None and c.peer.dialing:
                self._ringing(c.peer)
            c.set_dialplan("Wait", "3600", priority=2)
            self._emit(
                "ChannelDialplan",
                channel=c,
                fields={"dialplan_app": "Wait", "dialplan_app_data": "3600"},
            )
        elif ctx.kind == dp.STASIS_INBOUND:
            app = c.inbound_app or self._inbound_app()
            args = ["inbound", c.exten]
            app_data = ",".join([app, *args])
            c.set_dialplan("Stasis", app_data, priority=2)
            if not self._run_stasis(c, app, args, app_data):
                # R-fallback: Stasis() fails at once and the call goes on in the
                # dialplan, which ends here, so the call is hung up.
                self._finish(c, 16)

    def _reach_wait(self, c: Channel) -> None:
        if c.destroyed or c.hanging_up or not c.in_answer_phase:
            return
        c.in_answer_phase = False
        pending = c.pending_callerid
        c.pending_callerid = None
        if pending is not None:
            c.caller = pending
        c.set_dialplan("Wait", "3600", priority=2)
        self._emit(
            "ChannelDialplan",
            channel=c,
            fields={"dialplan_app": "Wait", "dialplan_app_data": "3600"},
        )
        if pending is not None:
            self._emit_callerid(c)

    def _ringing(self, c1: Channel) -> None:
        c1.state = "Ringing"
        self._emit_state(c1)
        self._emit_dial(c1, "RINGING")
        self._sync_phone(c1)

    def _answered(self, c1: Channel) -> None:
        """The dialed leg answered (agent-phones trace order: state, Dial ANSWER, Stasis)."""
        if not c1.dialing or c1.destroyed:
            return
        c1.dialing = False
        self._cancel_timers(c1)
        c1.state = "Up"
        self._emit_state(c1)
        self._emit_dial(c1, "ANSWER")
        phone = self._phone_of(c1)
        if phone is not None:
            phone.calls_answered += 1
        self._sync_phone(c1)
        if c1.kind == "created":
            return  # already in Stasis since create
        if c1.dial_app:
            args = ",".join(c1.dial_app_args)
            app_data = f"{c1.dial_app},{args}" if args else c1.dial_app
            c1.set_dialplan("Stasis", app_data)
            if not self._run_stasis(c1, c1.dial_app, c1.dial_app_args, app_data):
                self._finish(c1, 16)
            return
        if c1.after_answer is not None:
            context, exten, priority = c1.after_answer
            c1.context, c1.exten, c1.priority = context, exten, priority
            ctx = self.dialplan.lookup(context, exten)
            if ctx is None:
                self._finish(c1, 16)
            else:
                self._run_context(c1, ctx)

    def _run_stasis(self, c: Channel, app: str, args: list[str], app_data: str) -> bool:
        """Stasis(): fails at once when the app has no connected WebSocket."""
        c.set_dialplan("Stasis", app_data)
        active = self.registry.is_active(app)
        self._set_var(c, "STASISSTATUS", "" if active else "FAILED")
        if not active:
            return False
        c.stasis_app = app
        self._emit("StasisStart", channel=c, fields={"args": list(args)})
        return True

    def _dial_timeout(self, c1: Channel) -> None:
        """agent-ring-timeout / create-then-dial traces: cause 19, no final Dial status."""
        if c1.destroyed or not c1.dialing:
            return
        c1.dialing = False
        if c1.in_stasis:
            self._emit_hangup_request(c1, SOFT_EXPLICIT, soft=True)
            c1.hanging_up = True
            self._finish(c1, 19)
            return
        c1.hanging_up = True
        c2 = c1.peer
        if c2 is not None and not c2.destroyed:
            c2.hanging_up = True
            self._emit_hangup_request(c2, 19)
            self._emit_hangup_request(c2, SOFT_LOCAL, soft=True)
            self._gone(c2, 19)
        self._gone(c1, 19)

    # ------------------------------------------------------------------
    # phones
    # ------------------------------------------------------------------
    def _phone_of(self, c: Channel) -> Phone | None:
        return self.phones.get(c.phone_ext) if c.phone_ext else None

    def _sync_phone(self, c: Channel) -> None:
        phone = self._phone_of(c)
        if phone is None or phone.channel_id != c.id:
            return
        if c.destroyed:
            phone.channel_id, phone.state = None, "idle"
        elif c.state == "Up":
            phone.state = "in_call"
        elif c.state == "Ringing":
            phone.state = "ringing"

    def _ring_phone(self, c: Channel) -> None:
        phone = self._phone_of(c)
        assert phone is not None
        phone.calls_offered += 1
        if phone.behaviour == Behaviour.BUSY or phone.channel_id is not None:
            # Not in the traces: a 486 makes dial.c publish Dial BUSY and hang up
            # the leg with cause 17 (User busy).
            c.dialing = False
            self._emit_dial(c, "BUSY")
            if c.in_stasis:
                self._emit_hangup_request(c, 17)
                c.hanging_up = True
                self._finish(c, 17)
            else:
                c.hanging_up = True
                self._gone(c, 17)
            return
        phone.channel_id = c.id
        self._ringing(c)
        if phone.behaviour == Behaviour.AUTO_ANSWER:
            c.timers.append(
                self.scheduler.call_later(phone.answer_delay, self._phone_auto, c, True)
            )
        elif phone.behaviour == Behaviour.REJECT:
            c.timers.append(
                self.scheduler.call_later(phone.answer_delay, self._phone_auto, c, False)
            )

    def _phone_auto(self, c: Channel, answer: bool) -> None:
        if c.destroyed or not c.dialing:
            return
        if answer:
            self._answered(c)
        else:
            self.hangup(c, 21, explicit=False)

    def _phone_channel(self, ext: str) -> Channel:
        phone = self.phones.get(ext)
        if phone is None:
            raise AriError(404, "Phone not found")
        c = self.channels.get(phone.channel_id) if phone.channel_id else None
        if c is None:
            raise AriError(409, "Phone has no call")
        return c

    def phone_answer(self, ext: str) -> None:
        c = self._phone_channel(ext)
        if not c.dialing:
            raise AriError(409, "Phone is not ringing")
        self._answered(c)

    def phone_reject(self, ext: str, cause: int = 21) -> None:
        c = self._phone_channel(ext)
        if not c.dialing:
            raise AriError(409, "Phone is not ringing")
        self.hangup(c, cause, explicit=False)

    def phone_hangup(self, ext: str) -> None:
        c = self._phone_channel(ext)
        self.hangup(c, 16 if not c.dialing else 21, explicit=False)

    # ------------------------------------------------------------------
    # simple channel operations
    # ------------------------------------------------------------------
    def answer(self, channel_id: str) -> None:
        c = self.control(channel_id)
        self.check_state(c)
        if c.state == "Up":
            return
        c.state = "Up"
        self._emit_state(c)
        if c.half == 2 and c.peer is not None and c.peer.dialing:
            self._answered(c.peer)

    def indicate(self, channel_id: str, what: str, on: bool) -> None:
        """ring / hold / moh: no event in the traces (MOH gave none); state only."""
        c = self.control(channel_id)
        self.check_state(c)
        if what == "hold":
            c.on_hold = on
        elif what == "moh":
            c.moh_class = None if not on else (c.moh_class or "default")

    def mute(self, channel_id: str, direction: str | None, on: bool) -> None:
        """ARI mute / unmute: state only (what the tests read), as Asterisk emits no event."""
        c = self.control(channel_id)
        self.check_state(c)
        direction = direction or "both"
        if direction not in ("in", "out", "both"):
            raise AriError(400, "Invalid direction specified")
        sides = {"in", "out"} if direction == "both" else {direction}
        if on:
            c.muted |= sides
        else:
            c.muted -= sides

    def send_dtmf(self, channel_id: str, digits: str | None) -> None:
        c = self.control(channel_id)
        self.check_state(c)
        if not digits:
            raise AriError(400, "DTMF is required")
        c.dtmf_sent.append(digits)

    def start_moh(self, channel_id: str, moh_class: str | None) -> None:
        c = self.control(channel_id)
        self.check_state(c)
        c.moh_class = moh_class or "default"

    def get_var(self, channel_id: str, name: str | None) -> str:
        if not name:
            raise AriError(400, "Variable name is required")
        c = self.channels.get(channel_id)
        if c is None:
            raise AriError(404, "Provided channel was not found")
        if name.endswith(")"):
            value = _read_function(c, name)
            if value is None:
                raise AriError(500, "Unable to read provided function")
            return value
        if name not in c.variables:
            raise AriError(404, "Provided variable was not found")
        return c.variables[name]

    def set_var(self, channel_id: str, name: str | None, value: str | None) -> None:
        if not name:
            raise AriError(400, "Variable name is required")
        c = self.control(channel_id)
        if name.endswith(")"):
            if not _write_function(c, name, value or ""):
                raise AriError(400, "Failed to execute function")
            return
        self._set_var(c, name, value or "")

    # ------------------------------------------------------------------
    # hang-ups
    # ------------------------------------------------------------------
    def hangup_reason(self, reason: str | None, reason_code: str | None) -> int:
        if reason_code:
            try:
                return int(reason_code)
            except ValueError:
                raise AriError(400, "Invalid reason for hangup provided") from None
        if not reason:
            return 16
        if reason not in HANGUP_REASONS:
            raise AriError(400, "Invalid reason for hangup provided")
        return HANGUP_REASONS[reason]

    def hangup(self, c: Channel, cause: int = 16, explicit: bool = True) -> None:
        """Hang a channel up: an ARI DELETE (explicit) or its far end going away."""
        if c.destroyed or c.hanging_up:
            return
        if explicit:
            # The request carries the soft-hangup flag in `cause` (README quirk);
            # the real cause only shows on ChannelDestroyed.
            self._emit_hangup_request(c, SOFT_EXPLICIT, soft=True)
        else:
            self._emit_hangup_request(c, cause)
        c.hanging_up = True
        if c.dialing and not c.in_stasis:
            c.dialing = False
            if explicit:
                # agent-no-answer trace: cancelling a ringing originate -> NOANSWER.
                self._emit_dial(c, "NOANSWER")
        self._finish(c, cause)

    def continue_in_dialplan(self, channel_id: str) -> None:
        """Back to the dialplan after Stasis(): the simulated dialplan has nothing after it,
        so the channel leaves the app and hangs up (a real one would first tell the caller)."""
        c = self.channel(channel_id)
        if not c.in_stasis:
            raise AriError(409, "Channel not in Stasis application")
        if c.bridge is not None:
            self._leave(c, how="continue")
        self._emit("StasisEnd", channel=c)
        c.stasis_app = None
        self._set_var(c, "STASISSTATUS", "SUCCESS")
        self._destroy(c, 16)

    def _finish(self, c: Channel, cause: int) -> None:
        """Leave bridge and Stasis, then die (trace order: Varset, Left, StasisEnd)."""
        c.hanging_up = True
        c.dialing = False
        self._cancel_timers(c)
        if c.bridge is not None:
            self._leave(c, how="hangup")
        if c.in_stasis:
            self._emit("StasisEnd", channel=c)
            c.stasis_app = None
            if c.kind in ("originated", "created"):
                self._set_var(c, "STASISSTATUS", "SUCCESS")
            if c.kind == "originated":
                c.set_dialplan("AppDial2", "(Outgoing Line)")
            elif c.kind == "created":
                c.set_dialplan("", "")
        self._destroy(c, cause)

    def _destroy(self, c: Channel, cause: int) -> None:
        if c.destroyed:
            return
        c.hanging_up = True
        peer = c.peer
        if peer is None or peer.destroyed or peer.hanging_up:
            self._gone(c, cause)
            return
        peer.hanging_up = True
        self._cancel_timers(peer)
        if c.half == 1:
            if peer.in_stasis:
                # customer-hangup-first trace: the caller's far end hangs up and the
                # Stasis half just gets a plain hang-up request.
                self._emit_hangup_request(peer, cause)
                self._gone(c, cause)
                self._finish(peer, cause)
                return
            # inbound-to-agent trace: the dialplan half follows its ;1 down.
            self._emit_hangup_request(peer, SOFT_LOCAL)
            self._gone(c, cause)
            self._emit_hangup_request(peer, SOFT_LOCAL, soft=True)
            self._gone(peer, cause)
        else:
            # agent-hangup-first trace: ;2 goes first, then ;1 leaves Stasis.
            self._emit_hangup_request(c, SOFT_LOCAL, soft=True)
            self._emit_hangup_request(peer, SOFT_LOCAL)
            self._gone(c, cause)
            self._finish(peer, cause)

    def _gone(self, c: Channel, cause: int) -> None:
        """Emit ChannelDestroyed and forget the channel."""
        if c.destroyed:
            return
        c.hanging_up = True
        self._cancel_timers(c)
        for snoop in list(c.snoops):
            self._end_snoop(snoop)
        pending = c.pending_callerid if c.half == 2 else None
        if c.half == 2:
            c.set_dialplan("", "")
            if pending is not None:
                c.caller = pending
                c.pending_callerid = None
        self._emit(
            "ChannelDestroyed",
            channel=c,
            fields={"cause": cause, "cause_txt": CAUSE_TEXT.get(cause, "Unknown")},
        )
        if pending is not None:
            # The deferred caller-id frame is only read during hang-up (bt/at traces).
            self._emit_callerid(c)
        c.destroyed = True
        self.channels.pop(c.id, None)
        if c.bridge is not None:
            self._leave(c, how="hangup")
        self._sync_phone(c)
        if c.snoop_target is not None and c in c.snoop_target.snoops:
            c.snoop_target.snoops.remove(c)
        for hook in list(self.hooks):
            hook.on_gone(c)
        self.registry.collect_garbage()

    def _cancel_timers(self, c: Channel) -> None:
        for timer in c.timers:
            timer.cancel()
        c.timers.clear()

    # ------------------------------------------------------------------
    # snoop
    # ------------------------------------------------------------------
    def snoop(
        self, channel_id: str, params: dict[str, str], snoop_id: str | None = None
    ) -> dict[str, Any]:
        spy = params.get("spy") or "none"
        whisper = params.get("whisper") or "none"
        if spy not in SNOOP_DIRECTIONS:
            raise AriError(400, "Invalid direction specified for spy")
        if whisper not in SNOOP_DIRECTIONS:
            raise AriError(400, "Invalid direction specified for whisper")
        if spy == "none" and whisper == "none":
            raise AriError(400, "Direction must be specified for at least spy or whisper")
        app = params.get("app")
        if not app:
            raise AriError(400, "Application name is required")
        target = self.channels.get(channel_id)
        if target is None:
            raise AriError(404, "Provided channel was not found")
        sid = snoop_id or params.get("snoopId") or None
        self._check_new_ids(sid)
        s = Channel(
            id=sid or self._new_uid(),
            name=f"Snoop/{target.id}-{self._snoop_seq:08x}",
            tech="Snoop",
            state="Up",
            caller=CallerId(),
            connected=CallerId(),
            context="default",
            exten="s",
            kind="snoop",
        )
        self._snoop_seq += 1
        s.snoop_target = target
        target.snoops.append(s)
        self._register(s)
        reply = s.to_json()
        # snoop-listen-whisper trace: attaching the audiohook makes the snooped
        # call's bridge re-announce BRIDGEPEER for its members.
        if target.bridge is not None and target.bridge.bridge_type == "mixing":
            self._update_peers(target.bridge, connected_line=False)
        args = params.get("appArgs") or ""
        app_data = f"{app},{args}" if args else app
        s.set_dialplan("Stasis", app_data)
        if self.registry.is_active(app):
            s.stasis_app = app
            self._emit("StasisStart", channel=s, fields={"args": args.split(",") if args else []})
        else:
            s.hanging_up = True
            self._gone(s, 16)
        return reply

    def _end_snoop(self, s: Channel) -> None:
        """The snooped channel went away: Left + StasisEnd, no hang-up request."""
        if s.destroyed:
            return
        s.hanging_up = True
        if s.bridge is not None:
            self._leave(s, how="hangup")
        if s.in_stasis:
            self._emit("StasisEnd", channel=s)
            s.stasis_app = None
        target = s.snoop_target
        if target is not None and s in target.snoops:
            target.snoops.remove(s)
        s.snoop_target = None
        self._gone(s, 16)

    # ------------------------------------------------------------------
    # bridges
    # ------------------------------------------------------------------
    def create_bridge(self, params: dict[str, str], bridge_id: str | None = None) -> Bridge:
        bid = bridge_id or params.get("bridgeId") or str(uuid.uuid4())
        if bid in self.bridges:
            raise AriError(409, "Bridge with id '" + bid + "' already exists")
        types = [t.strip() for t in (params.get("type") or "mixing").split(",") if t.strip()]
        allowed = {
            "mixing",
            "holding",
            "dtmf_events",
            "proxy_media",
            "video_sfu",
            "video_single",
            "sdp_label",
        }
        if any(t not in allowed for t in types) or ("mixing" in types and "holding" in types):
            raise AriError(400, "Invalid bridge type")
        btype = "holding" if "holding" in types else "mixing"
        # No BridgeCreated: the app is only subscribed once a channel joins (README).
        br = Bridge(id=bid, bridge_type=btype, name=params.get("name") or "")
        self.bridges[bid] = br
        return br

    def _bridge_channels(self, channel_param: str | None) -> list[Channel]:
        if not channel_param:
            raise AriError(400, "Missing parameter channel")
        chans = []
        for cid in [x.strip() for x in channel_param.split(",") if x.strip()]:
            ch = self.channels.get(cid)
            if ch is None:
                raise AriError(400, "Channel not found")
            if not ch.in_stasis:
                raise AriError(422, "Channel not in Stasis application")
            chans.append(ch)
        return chans

    def add_channels(self, bridge_id: str, channel_param: str | None) -> None:
        br = self.bridge(bridge_id)
        for ch in self._bridge_channels(channel_param):
            self._join(br, ch)

    def remove_channels(self, bridge_id: str, channel_param: str | None) -> None:
        br = self.bridge(bridge_id)
        chans = self._bridge_channels(channel_param)
        for ch in chans:
            if ch.bridge is not br:
                raise AriError(422, "Channel not in this bridge")
        for ch in chans:
            self._leave(ch, how="remove")

    def destroy_bridge(self, bridge_id: str) -> None:
        br = self.bridge(bridge_id)
        for name in [n for n, (b, _, _) in self.recordings.items() if b == bridge_id]:
            self._finish_recording(name)  # a bridge going ends its recordings
        for ch in list(br.members):
            self._leave(ch, how="destroy")
        br.destroyed = True
        self._emit("BridgeDestroyed", bridge=br)
        del self.bridges[bridge_id]
        self.registry.collect_garbage()

    # ------------------------------------------------------------------
    # recordings (bridge recordings only, wav only)
    # ------------------------------------------------------------------
    def _recording_json(self, name: str, state: str, **extra: Any) -> dict[str, Any]:
        bridge_id, fmt, _ = self.recordings[name]
        return {"name": name, "format": fmt, "state": state,
                "target_uri": f"bridge:{bridge_id}", **extra}

    def _emit_recording(self, etype: str, bridge_id: str, recording: dict[str, Any]) -> None:
        br = self.bridges.get(bridge_id)
        if br is None:
            return
        body = {"type": etype, "timestamp": ari_time(), "recording": recording}
        for app in sorted(br.apps()):
            self.registry.deliver(app, body)

    def bridge_record(self, bridge_id: str, name: str, fmt: str,
                      if_exists: str = "fail") -> dict[str, Any]:
        self.bridge(bridge_id)
        if not name or "/" in name or name.startswith("."):
            raise AriError(400, "Invalid recording name")
        if fmt != "wav":
            raise AriError(422, f"Format {fmt!r} not supported by the simulator")
        if name in self.recordings:
            raise AriError(409, "Recording with the same name already in progress")
        path = self.recording_dir / f"{name}.wav" if self.recording_dir else None
        if path is not None and path.exists() and if_exists == "fail":
            raise AriError(422, "Recording already exists")
        self.recordings[name] = (bridge_id, fmt, time.monotonic())
        live = self._recording_json(name, "recording")
        self._emit_recording("RecordingStarted", bridge_id, live)
        return self._recording_json(name, "queued")

    def live_recording(self, name: str) -> dict[str, Any]:
        if name not in self.recordings:
            raise AriError(404, "Recording not found")
        return self._recording_json(name, "recording")

    def stop_recording(self, name: str) -> None:
        if name not in self.recordings:
            raise AriError(404, "Recording not found")
        self._finish_recording(name)

    def _finish_recording(self, name: str) -> None:
        bridge_id, _, started = self.recordings[name]
        seconds = max(0, int(time.monotonic() - started))
        if self.recording_dir is not None:
            self.recording_dir.mkdir(parents=True, exist_ok=True)
            _write_silence(self.recording_dir / f"{name}.wav",
                           time.monotonic() - started)
        done = self._recording_json(name, "done", duration=seconds,
                                    talking_duration=seconds, silence_duration=0)
        del self.recordings[name]
        self._emit_recording("RecordingFinished", bridge_id, done)

    def bridge_moh(self, bridge_id: str, moh_class: str | None, on: bool) -> None:
        br = self.bridge(bridge_id)
        if on:
            # queue-holding-bridge trace: no event, and the MOH source is not a member.
            br.moh_class = moh_class or "default"
        else:
            if br.moh_class is None:
                raise AriError(409, "Bridge isn't playing music")
            br.moh_class = None

    def _join(self, br: Bridge, c: Channel) -> None:
        if c.bridge is br:
            return
        if c.bridge is not None:
            # queue-move-without-remove trace: moving needs no removeChannel.
            self._leave(c, how="move")
        if br.bridge_type == "mixing" and len(br.members) == 2:
            # blind-transfer trace: when the bridge turns multi-party (softmix) the
            # newcomer ends up first in Asterisk's member list (BRIDGEPEER order).
            br.members.insert(0, c)
        else:
            br.members.append(c)
        c.bridge = br
        if c.stasis_app:
            br.app_refs[c.stasis_app] += 1
        self._emit("ChannelEnteredBridge", bridge=br, channel=c)
        self._retech(br)
        if br.bridge_type == "mixing":
            self._update_peers(br)
            self._media_flows(br)
        for hook in list(self.hooks):
            hook.on_bridged(c, br)

    def _leave(self, c: Channel, how: str) -> None:
        br = c.bridge
        if br is None:
            return
        br.members.remove(c)
        c.bridge = None
        if c.variables.get("BRIDGEPEER"):
            self._set_var(c, "BRIDGEPEER", "")
        self._emit("ChannelLeftBridge", bridge=br, channel=c)
        if how in ("remove", "move") and c.stasis_app and br.app_refs.get(c.stasis_app, 0) > 0:
            # Leaving by removeChannel or by moving releases the app's bridge
            # subscription; leaving by hang-up does not, which is why only bridges
            # emptied by hang-ups get a BridgeDestroyed (README quirk).
            br.app_refs[c.stasis_app] -= 1
        self._retech(br)
        if br.bridge_type == "mixing" and len(br.members) >= 2:
            self._update_peers(br)

    def _media_flows(self, br: Bridge) -> None:
        """Answer() on a Local ;2 stops waiting as soon as audio reaches it.

        Two Local legs in a simple bridge carry no audio (the far ends only
        Wait()), so Answer() waits its full 500 ms; a softmix bridge or a snoop
        channel produces frames at once (blind-transfer: the 3rd agent's ;2
        reaches Wait() 3 ms after joining; snoop-listen-whisper: 20 ms).
        """
        if len(br.members) <= 2 and not any(m.tech == "Snoop" for m in br.members):
            return
        for m in list(br.members):
            if m.half == 1 and m.peer is not None and m.peer.in_answer_phase:
                self._reach_wait(m.peer)

    @staticmethod
    def _retech(br: Bridge) -> None:
        # The technology shown in an event is the one before the change it reports
        # (blind-transfer trace: 3rd join shows simple_bridge, the next leave softmix).
        if br.bridge_type == "mixing":
            br.technology = "softmix" if len(br.members) > 2 else "simple_bridge"

    def _update_peers(self, br: Bridge, connected_line: bool = True) -> None:
        members = list(br.members)
        if len(members) < 2:
            return
        for m in members:
            self._set_var(m, "BRIDGEPEER", ",".join(o.name for o in members if o is not m))
        if connected_line and len(members) == 2:
            a, z = members
            a_new, z_new = z.caller.copy(), a.caller.copy()
            self._set_connected(a, a_new)
            self._set_connected(z, z_new)

    # ------------------------------------------------------------------
    # introspection
    # ------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "channels": [
                {
                    **c.to_json(),
                    "sim": {
                        "kind": c.kind,
                        "stasis_app": c.stasis_app,
                        "subscribers": sorted(c.subscribers),
                        "bridge": c.bridge.id if c.bridge else None,
                        "peer": c.peer.id if c.peer else None,
                        "phone": c.phone_ext,
                        "moh": c.moh_class,
                        "hold": c.on_hold,
                    },
                }
                for c in self.channels.values()
            ],
            "bridges": [
                {**b.to_json(), "sim": {"apps": dict(b.app_refs), "moh": b.moh_class}}
                for b in self.bridges.values()
            ],
            "applications": [
                {**self.application_json(n), "active": self.registry.is_active(n)}
                for n in self.registry.names()
            ],
            "phones": [p.to_json() for p in self.phones.list()],
        }


def int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise AriError(400, f"Invalid value for {name}") from None


def _read_function(c: Channel, expr: str) -> str | None:
    func, _, arg = expr[:-1].partition("(")
    func, arg = func.upper(), arg.strip().lower()
    if func in ("CALLERID", "CONNECTEDLINE"):
        cid = c.caller if func == "CALLERID" else c.connected
        if arg in ("num", "number"):
            return cid.number
        if arg == "name":
            return cid.name
        if arg == "all":
            return f'"{cid.name}" <{cid.number}>'
        return None
    if func == "CHANNEL":
        return {
            "name": c.name,
            "state": c.state,
            "uniqueid": c.id,
            "language": c.language,
            "channeltype": c.tech,
        }.get(arg)
    return None


def _write_function(c: Channel, expr: str, value: str) -> bool:
    func, _, arg = expr[:-1].partition("(")
    if func.upper() == "CALLERID" and arg.strip().lower() in ("num", "number", "name"):
        if arg.strip().lower() == "name":
            c.caller.name = value
        else:
            c.caller.number = value
        return True
    return False


def _write_silence(path: Path, seconds: float) -> None:
    """A wav like Asterisk's (8 kHz, 16-bit, mono) holding ``seconds`` of silence."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(max(0.0, seconds) * 8000))
