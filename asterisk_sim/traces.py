"""Reading recorded ARI traces and comparing event streams with them.

Used by the simulator's acceptance tests, and usable against a real Asterisk:
the comparison ignores ids, timestamps and unique name suffixes, and checks
everything else (types, order, keys recursively, channel names and Local
sides, states, caller ids, dialplan, args, causes, dial status, peers).
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LINE_RE = re.compile(r"^\+\s*([\d.]+)s (.*)$")
REST_RE = re.compile(r"^REST (GET|POST|DELETE|PUT) (\S+) (\{.*?\}) -> (\d{3}) ?(.*)$")
EVENT_RE = re.compile(r"^EVENT(?:\[(\w+)\])? (\w+)")
SOCKET_RE = re.compile(r"^websocket(?: \[(\w+)\])? (connected|closed by client)$")

MAIN = "main"


@dataclass
class Step:
    t: float
    kind: str  # connect | close | rest | event | sockets | note
    sock: str = MAIN
    method: str = ""
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0
    body: str = ""
    etype: str = ""
    text: str = ""


def parse_actions(text: str) -> list[Step]:
    steps: list[Step] = []
    for raw in text.splitlines():
        m = LINE_RE.match(raw.rstrip())
        if not m:
            continue
        t, rest = float(m.group(1)), m.group(2)
        if sm := SOCKET_RE.match(rest):
            kind = "connect" if sm.group(2) == "connected" else "close"
            steps.append(Step(t, kind, sock=sm.group(1) or MAIN, text=rest))
        elif rm := REST_RE.match(rest):
            params = {str(k): str(v) for k, v in ast.literal_eval(rm.group(3)).items()}
            steps.append(
                Step(
                    t,
                    "rest",
                    method=rm.group(1),
                    path=rm.group(2),
                    params=params,
                    status=int(rm.group(4)),
                    body=rm.group(5),
                    text=rest,
                )
            )
        elif em := EVENT_RE.match(rest):
            steps.append(Step(t, "event", sock=em.group(1) or MAIN, etype=em.group(2), text=rest))
        elif rest.startswith("open sockets:"):
            steps.append(Step(t, "sockets", text=rest))
        else:
            steps.append(Step(t, "note", text=rest))
    return steps


def scenario_names(traces_dir: Path) -> list[str]:
    return sorted(p.name[: -len(".actions.txt")] for p in traces_dir.glob("*.actions.txt"))


def load_expected(traces_dir: Path, scenario: str) -> dict[str, list[dict[str, Any]]]:
    """Recorded events per socket name (`main` unless the scenario names its sockets)."""
    single = traces_dir / f"{scenario}.jsonl"
    if single.exists():
        return {MAIN: _read_jsonl(single)}
    out = {}
    for path in sorted(traces_dir.glob(f"{scenario}.*.jsonl")):
        out[path.name[len(scenario) + 1 : -len(".jsonl")]] = _read_jsonl(path)
    return out


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ----------------------------------------------------------------------------
# normalisation
# ----------------------------------------------------------------------------
NAME_RE = re.compile(r"^(Local/[^;]*|PJSIP/.*|Snoop/.*)-([0-9a-f]{8})(;[12])?$")
TIME_KEYS = {"timestamp", "creationtime"}


def iter_channels(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        event[k]
        for k in ("channel", "peer", "caller", "replace_channel")
        if isinstance(event.get(k), dict)
    ]


class Normalizer:
    """Replaces ids and unique name suffixes by stable placeholders.

    Placeholders are numbered in order of first appearance, per name prefix, so
    two streams of the same scenario normalise to the same text.
    """

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.id_to_name: dict[str, str] = {}
        for ev in events:
            for ch in iter_channels(ev):
                self.id_to_name.setdefault(ch["id"], ch["name"])
        self._suffixes: dict[str, dict[str, int]] = {}
        self._bridges: dict[str, str] = {}
        for ev in events:
            for ch in iter_channels(ev):
                self.name(ch["name"])
            if isinstance(ev.get("bridge"), dict):
                self.bridge_id(ev["bridge"]["id"])

    def name(self, name: str) -> str:
        m = NAME_RE.match(name)
        if not m:
            return name
        prefix, suffix, side = m.group(1), m.group(2), m.group(3) or ""
        if prefix.startswith("Snoop/"):
            target = prefix[len("Snoop/") :]
            prefix = "Snoop/" + self.channel_id(target)
        seen = self._suffixes.setdefault(prefix, {})
        idx = seen.setdefault(suffix, len(seen))
        return f"{prefix}-<{idx}>{side}"

    def channel_id(self, cid: str) -> str:
        name = self.id_to_name.get(cid)
        return f"<id of {self.name(name)}>" if name else f"<unknown id {cid}>"

    def bridge_id(self, bid: str) -> str:
        return self._bridges.setdefault(bid, f"<bridge {len(self._bridges)}>")

    def channel(self, ch: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in ch.items():
            if key == "id":
                out[key] = self.channel_id(value)
            elif key == "name":
                out[key] = self.name(value)
            elif key in TIME_KEYS:
                out[key] = "<time>"
            else:
                out[key] = value
        return out

    def event(self, ev: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in ev.items():
            if key in TIME_KEYS:
                out[key] = "<time>"
            elif key == "asterisk_id":
                out[key] = "<asterisk_id>"
            elif key in ("channel", "peer", "caller", "replace_channel") and isinstance(
                value, dict
            ):
                out[key] = self.channel(value)
            elif key == "bridge" and isinstance(value, dict):
                br = {k: ("<time>" if k in TIME_KEYS else v) for k, v in value.items()}
                br["id"] = self.bridge_id(value["id"])
                br["channels"] = sorted(self.channel_id(c) for c in value.get("channels", []))
                out[key] = br
            elif key == "value" and ev.get("variable") == "BRIDGEPEER" and value:
                out[key] = ",".join(self.name(n) for n in value.split(","))
            else:
                out[key] = value
        return out


def canonical(ev: dict[str, Any]) -> str:
    return json.dumps(ev, sort_keys=True)


def subject(ev: dict[str, Any]) -> str | None:
    """The channel an event is about (Dial events are about their peer)."""
    ch = ev.get("peer") if ev.get("type") == "Dial" else ev.get("channel")
    return ch["name"] if isinstance(ch, dict) else None


def floating_flags(events: list[dict[str, Any]]) -> list[bool]:
    """Which events happen outside the app-driven thread of the call.

    Asterisk runs the dialplan half of a Local channel, the dial thread of an
    originate and the final hang-up of a channel that left Stasis on their own
    threads, so their events interleave with the rest nondeterministically.
    The traces show it: the far ;2 half's `ChannelStateChange Up` moves around
    between inbound-to-agent and agent-hangup-first, and in
    customer-hangup-first the agent ;1's ChannelDestroyed arrives after the
    REST DELETE of the bridge. An event is "floating" when its channel is not in
    Stasis at that moment; StasisStart/StasisEnd themselves are anchored.
    """
    in_stasis: set[str] = set()
    flags = []
    for ev in events:
        name = subject(ev)
        etype = ev.get("type")
        if name is None:
            flags.append(False)
            continue
        if etype == "StasisStart":
            in_stasis.add(name)
            flags.append(False)
        elif etype == "StasisEnd":
            in_stasis.discard(name)
            flags.append(False)
        else:
            flags.append(name not in in_stasis)
    return flags


# Bridge peer updates are written by each bridged channel's own thread, so
# their relative order is scheduling-dependent: inbound-to-agent reports the
# agent's ChannelConnectedLine first, blind-transfer the caller's.
PERMUTABLE = {("ChannelVarset", "BRIDGEPEER"), ("ChannelConnectedLine", None)}


def _permutable_key(ev: dict[str, Any]) -> tuple[str, str | None] | None:
    key = (ev.get("type", ""), ev.get("variable"))
    return key if key in PERMUTABLE else None


def _sort_runs(items: list[tuple[dict[str, Any], str]]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(items):
        key = _permutable_key(items[i][0])
        j = i + 1
        if key is not None:
            while j < len(items) and _permutable_key(items[j][0]) == key:
                j += 1
            out.extend(sorted(text for _, text in items[i:j]))
        else:
            out.append(items[i][1])
        i = j
    return out


def compare_events(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    """Differences between a recorded and a produced event stream ([] when equal)."""
    exp_n = [Normalizer(expected).event(e) for e in expected]
    act_n = [Normalizer(actual).event(e) for e in actual]
    exp_c = [canonical(e) for e in exp_n]
    act_c = [canonical(e) for e in act_n]
    problems: list[str] = []
    missing = Counter(exp_c) - Counter(act_c)
    extra = Counter(act_c) - Counter(exp_c)
    for text in list(missing)[:5]:
        problems.append(f"missing event: {_brief(text)}")
    for text in list(extra)[:5]:
        problems.append(f"unexpected event: {_brief(text)}")
    if problems:
        problems.append(f"expected {len(exp_c)} events, got {len(act_c)}")
        problems.append("expected types: " + " ".join(_tag(e) for e in exp_n))
        problems.append("actual types:   " + " ".join(_tag(e) for e in act_n))
        return problems

    # Per channel, the order is always the recorded one.
    def per_channel(norm: list[dict[str, Any]], texts: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for ev, text in zip(norm, texts, strict=True):
            name = subject(ev)
            if name is not None:
                out.setdefault(name, []).append(text)
        return out

    exp_pc, act_pc = per_channel(exp_n, exp_c), per_channel(act_n, act_c)
    for name in exp_pc:
        if exp_pc[name] != act_pc.get(name):
            problems.append(
                f"order of events on {name} differs: expected "
                f"{[_tag(json.loads(t)) for t in exp_pc[name]]}, got "
                f"{[_tag(json.loads(t)) for t in act_pc.get(name, [])]}"
            )
    # Globally, the anchored (non-floating) events keep the recorded order.
    exp_anchor = [
        (e, t) for e, t, f in zip(exp_n, exp_c, floating_flags(exp_n), strict=True) if not f
    ]
    act_anchor = [
        (e, t) for e, t, f in zip(act_n, act_c, floating_flags(act_n), strict=True) if not f
    ]
    ea, aa = _sort_runs(exp_anchor), _sort_runs(act_anchor)
    if ea != aa:
        for i, (x, y) in enumerate(zip(ea, aa, strict=False)):
            if x != y:
                problems.append(
                    f"anchored order differs at #{i}: expected {_brief(x)}, got {_brief(y)}"
                )
                break
        else:
            problems.append("anchored sequences differ in length")
    return problems


def _tag(ev: dict[str, Any]) -> str:
    name = subject(ev) or ""
    extra = ev.get("variable") or ev.get("dialstatus") or ""
    return f"{ev.get('type')}({name}{',' + extra if extra else ''})"


def _brief(text: str) -> str:
    ev = json.loads(text)
    return _tag(ev) + " " + text[:600]


def shape(value: Any) -> Any:
    """Keys (recursively) and list lengths of a JSON value: what REST replies are compared on."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [len(value)] + ([shape(value[0])] if value and isinstance(value[0], dict) else [])
    return type(value).__name__
