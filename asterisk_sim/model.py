"""Plain data for channels and bridges, rendered exactly as ARI renders them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Q.850 cause texts as Asterisk prints them in ChannelDestroyed.cause_txt.
CAUSE_TEXT: dict[int, str] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    26: "Answered elsewhere",
    27: "Destination out of order",
    28: "Invalid number format (incomplete number)",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    58: "Bearer capability not available",
    127: "Interworking, unspecified",
}

# The `soft` hangup flags Asterisk reports in ChannelHangupRequest.cause when the
# request is a soft hangup: 32 is AST_SOFTHANGUP_EXPLICIT (an ARI DELETE) and 16
# is what the Local channel driver reports on the far half (see the README quirk).
SOFT_EXPLICIT = 32
SOFT_LOCAL = 16


def ari_time(ts: datetime | None = None) -> str:
    """Asterisk's timestamp format: millisecond precision and a +0000 offset."""
    ts = ts or datetime.now(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


@dataclass
class CallerId:
    name: str = ""
    number: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "number": self.number}

    def copy(self) -> CallerId:
        return CallerId(self.name, self.number)

    @classmethod
    def parse(cls, text: str | None) -> CallerId:
        """Parse 'Name <number>' or a bare number, like ast_callerid_parse."""
        if not text:
            return cls()
        text = text.strip()
        if "<" in text and text.endswith(">"):
            name, _, number = text[:-1].partition("<")
            return cls(name.strip().strip('"'), number.strip())
        if any(ch.isdigit() for ch in text) and all(ch in "0123456789+*#-() " for ch in text):
            return cls("", text.replace(" ", ""))
        return cls(text, "")


@dataclass
class Channel:
    """One channel. Also carries the simulator's bookkeeping about its role."""

    id: str
    name: str
    tech: str  # "Local", "PJSIP" or "Snoop"
    state: str
    caller: CallerId
    connected: CallerId
    context: str
    exten: str
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    creationtime: str = field(default_factory=ari_time)
    language: str = "en"
    accountcode: str = ""
    # --- simulator bookkeeping (never rendered) ---
    half: int = 0  # 1 or 2 for the halves of a Local channel
    peer: Channel | None = None  # the other half of a Local channel
    kind: str = "dialplan"  # originated | created | inbound | snoop | dialplan
    stasis_app: str | None = None
    subscribers: set[str] = field(default_factory=set)  # apps subscribed for life
    bridge: Bridge | None = None
    variables: dict[str, str] = field(default_factory=dict)
    destroyed: bool = False
    hanging_up: bool = False
    dialstring: str = ""  # what a created channel dials, or what originate dialed
    dial_app: str | None = None  # Stasis app to enter once an originate is answered
    dial_app_args: list[str] = field(default_factory=list)
    after_answer: tuple[str, str, int] | None = None  # originate's context/exten/priority
    dialing: bool = False  # a Dial is in progress (originate or /dial)
    dial_reports_dialstring: bool = True  # /dial only names the dialstring in Dial ""
    timers: list[Any] = field(default_factory=list)
    phone_ext: str | None = None
    pending_callerid: CallerId | None = None  # Local ;2 caller update not yet applied
    in_answer_phase: bool = False  # Local ;2 still inside Answer() (before Wait)
    moh_class: str | None = None
    on_hold: bool = False
    muted: set[str] = field(default_factory=set)  # "in" / "out": audio the channel stops
    dtmf_sent: list[str] = field(default_factory=list)  # digits sent to it through ARI
    snoops: list[Channel] = field(default_factory=list)
    snoop_target: Channel | None = None
    inbound_app: str | None = None  # per-call override of the inbound context's app
    sim_call: Any = None  # the simulated customer owning this channel, if any

    def dialplan_json(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "exten": self.exten,
            "priority": self.priority,
            "app_name": self.app_name,
            "app_data": self.app_data,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": "",
            "caller": self.caller.to_json(),
            "connected": self.connected.to_json(),
            "accountcode": self.accountcode,
            "dialplan": self.dialplan_json(),
            "creationtime": self.creationtime,
            "language": self.language,
        }

    def set_dialplan(self, app_name: str, app_data: str = "", priority: int | None = None) -> None:
        self.app_name = app_name
        self.app_data = app_data
        if priority is not None:
            self.priority = priority

    @property
    def in_stasis(self) -> bool:
        return self.stasis_app is not None

    def apps(self) -> set[str]:
        """Apps that receive this channel's events right now."""
        result = set(self.subscribers)
        if self.stasis_app:
            result.add(self.stasis_app)
        return result


@dataclass
class Bridge:
    id: str
    bridge_type: str  # mixing | holding
    name: str = ""
    creator: str = "Stasis"
    bridge_class: str = "stasis"
    creationtime: str = field(default_factory=ari_time)
    video_mode: str = "talker"
    technology: str = ""
    members: list[Channel] = field(default_factory=list)
    # Apps subscribed to the bridge, with a count: see Engine._join/_leave for why
    # leaving by hang-up does not release the subscription (BridgeDestroyed quirk).
    app_refs: Counter[str] = field(default_factory=Counter)
    moh_class: str | None = None
    destroyed: bool = False

    def __post_init__(self) -> None:
        if not self.technology:
            self.technology = "holding_bridge" if self.bridge_type == "holding" else "simple_bridge"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "technology": self.technology,
            "bridge_type": self.bridge_type,
            "bridge_class": self.bridge_class,
            "creator": self.creator,
            "name": self.name,
            # Asterisk lists bridge members sorted by id, not in join order.
            "channels": sorted(ch.id for ch in self.members),
            "creationtime": self.creationtime,
            "video_mode": self.video_mode,
        }

    def apps(self) -> set[str]:
        return {app for app, n in self.app_refs.items() if n > 0}
