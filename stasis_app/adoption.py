"""Taking back what a previous process left live in Asterisk (restart, crash, stand-by
taking over): a pure plan from Asterisk's picture and the open records.

What Asterisk holds says what is live; the records say what it was:
- a group's holding bridge ``pwq-<group>`` holds that group's waiting callers;
- a call's bridge (named ``call-<call id>``) holds the caller and its agent's leg (or the
  outside number it was handed to; for a click-to-call, the agent's leg and the client's);
- every leg the app originated says, in its Stasis arguments, ``leg,<leg>,<agent>,<call>``;
- a caller says ``inbound,<group>,<first try>``;
- a caller in no bridge while its agent's leg is alone in the call's bridge was put on hold
  by that agent (B11): it is adopted with its agent, still on hold;
- an agent's phone that dialled out through the app says ``dial,<number>`` and its channel
  names the call: its bridge holds the phone and the number's leg.
The open records give each live call its times, client and group, and each logged-in agent
its state. Anything of ours that fits no live call (a leg still ringing, a lone leg, a spy,
an empty bridge) is ended; records whose call is no longer in Asterisk are closed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from crm.routing import OpenAgentState, OpenCall
from stasis_app.acd import inputs as i
from stasis_app.acd.model import AgentState
from stasis_app.ari.models import Bridge, Channel
from stasis_app.translate import DIAL_ARG, INBOUND_ARG, LEG_ARG

HOLDING_PREFIX = "pwq-"
OUR_PREFIX = "pw"
SPY_ARG = "spy"


def id_root(app: str) -> str:
    """How every channel and bridge id minted by this Stasis app's processes starts: "pw" and
    a tag of the app's name. Another app on the same Asterisk (a second floor, a test
    instance, the bench's other database) mints other ids, so neither one's sweep nor its
    take-back ends what the other owns."""
    return OUR_PREFIX + hashlib.sha1(app.encode()).hexdigest()[:4]


@dataclass
class Records:
    calls: dict[str, OpenCall]  # ACD call id -> its open row
    agents: dict[int, OpenAgentState]  # logged-in agents
    memberships: dict[int, dict[int, int]]  # agent -> {group: penalty}
    wrapup_s: dict[int, float]  # group -> wrap-up seconds
    groups: set[int]  # active groups
    # What a caller's Stasis arguments name its group by (the dialplan passes the dialled
    # number, or a name): number and casefolded name -> group id, as the engine resolves them.
    aliases: dict[str, int] = field(default_factory=dict)

    def group_named(self, ref: str) -> int | None:
        """The active group a Stasis argument names: its number, its name, or its id."""
        gid = self.aliases.get(ref.casefold())
        if gid is None and ref.isdigit():
            gid = int(ref)
        return gid if gid in self.groups else None


@dataclass
class Plan:
    inputs: list[i.Input] = field(default_factory=list)
    hangups: list[str] = field(default_factory=list)
    destroy: list[str] = field(default_factory=list)
    callers: dict[str, int | None] = field(default_factory=dict)  # caller -> waiting group
    legs: dict[str, tuple[str, str]] = field(default_factory=dict)  # leg -> (call, agent|out)
    bridges: dict[str, str] = field(default_factory=dict)  # call bridge -> call
    vanished: list[OpenCall] = field(default_factory=list)  # records of calls gone meanwhile
    lone: dict[str, str] = field(default_factory=dict)  # call id -> the channel that ended it
    held: set[str] = field(default_factory=set)  # callers on hold, on music of their own


@dataclass(frozen=True)
class _Args:
    kind: str
    values: tuple[str, ...]


def stasis_args(channel: Channel, app: str) -> _Args | None:
    """The Stasis arguments a channel runs with, if it is in our application."""
    dp = channel.dialplan
    if dp.app_name.lower() != "stasis":
        return None
    parts = dp.app_data.split(",")
    if not parts or parts[0] != app or len(parts) < 2:
        return None
    return _Args(parts[1], tuple(parts[2:]))


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _creation(channel: Channel) -> float:
    try:
        return datetime.strptime(channel.creationtime, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return 0.0


def extension_of(channel_name: str) -> str:
    """'PJSIP/2001-0000002a' -> '2001'; 'Local/2001@agent-phones-00000001;1' -> '2001'."""
    rest = channel_name.split("/", 1)[-1]
    if "@" in rest:
        return rest.split("@", 1)[0]
    return rest.rsplit("-", 1)[0]


def conversation_end(row: OpenCall, ends: Mapping[str, float]) -> float | None:
    """When a call that ended unseen really ended, from the hang-up handler's notes (``ends``,
    channel id -> epoch): its caller's end, or its agent's leg's if that came first (an agent
    who hung up while no process watched left the caller alone in the bridge until the next
    process found and ended it)."""
    caller = ends.get(row.call_id)
    leg = ends.get(row.answered_by) if row.answered_by and row.answered_at else None
    known = [at for at in (caller, leg) if at is not None]
    return min(known) if known else None


def plan(app: str, channels: list[Channel], bridges: list[Bridge], records: Records,
         now: float, ends: Mapping[str, float] | None = None) -> Plan:
    """``ends``: when channels ended, as the dialplan's hang-up handler noted it."""
    out = Plan()
    by_id = {c.id: c for c in channels}
    args = {c.id: a for c in channels if (a := stasis_args(c, app)) is not None}
    legs = {cid: a for cid, a in args.items() if a.kind == LEG_ARG and len(a.values) >= 3}
    callers = {cid for cid, a in args.items() if a.kind == INBOUND_ARG}
    # an agent's phone that dialled out through the app: its channel names the call
    phones = {cid for cid, a in args.items() if a.kind == DIAL_ARG}
    kept: set[str] = set()
    adopted_calls: set[str] = set()
    adopt: list[i.AdoptCall] = []
    agents_on_calls: dict[int, str] = {}  # agent -> leg channel name (for an extension)

    def agent_of(leg_id: str) -> int | None:
        value = legs[leg_id].values[1]
        return int(value) if value.isdigit() else None

    def times(call_id: str, channel: Channel | None) -> tuple[float, float, float | None]:
        row = records.calls.get(call_id)
        first = _creation(channel) if channel is not None else now
        if channel is not None and call_id in args and len(args[call_id].values) >= 2:
            try:
                arg = float(args[call_id].values[1])
            except ValueError:
                arg = 0.0
            if 0 < now - arg < 86400:
                first = min(first, arg)
        started = _epoch(row.started_at) if row else first
        entered = _epoch(row.entered_queue_at) if row and row.entered_queue_at else started
        answered = _epoch(row.answered_at) if row else None
        return started or first, entered or first, answered

    def adopt_call(call_id: str, channel: Channel | None, *, answered_hint: float | None = None,
                   **kw: object) -> None:
        row = records.calls.get(call_id)
        started, entered, answered = times(call_id, channel)
        taken = bool(kw.get("agent_id") or kw.get("external_leg_id"))
        if taken and answered is None and answered_hint:
            answered = max(answered_hint, entered)
        kw.setdefault("group_id", row.group_id if row else None)
        adopt.append(i.AdoptCall(
            now=now, call_id=call_id,
            direction=row.direction if row else str(kw.pop("direction", "inbound")),
            caller_number=row.caller_number if row else (
                channel.caller.number if channel else ""),
            caller_name=row.caller_name if row else (channel.caller.name if channel else ""),
            client_id=row.client_id if row else None,
            started_at=started, entered_at=entered,
            answered_at=answered if answered is not None else (now if taken else None),
            journaled=row is not None,
            answer_journaled=not taken or (row is not None and row.answered_at is not None),
            queue_journaled=row is not None and (
                row.entered_queue_at is not None or row.direction != "inbound"),
            # the caller's own keywords (agent_id, legs...): AdoptCall checks their names
            **{k: v for k, v in kw.items() if k != "direction"},  # type: ignore[arg-type]
        ))
        adopted_calls.add(call_id)

    holding = {b.id: b for b in bridges if b.id.startswith(HOLDING_PREFIX)}
    bridged = {m for b in bridges for m in b.channels}
    root = id_root(app)
    for bridge in bridges:
        # Ours: minted by this app, or (ids of a version before the app's tag) holding one
        # of this app's channels. Anything else belongs to another app, live or not.
        if bridge.id in holding or not (bridge.id.startswith(root)
                                        or any(m in args for m in bridge.channels)):
            continue
        members = [m for m in bridge.channels if m in by_id]
        call_id = bridge.name[len("call-"):] if bridge.name.startswith("call-") else ""
        caller = next((m for m in members if m in callers), None)
        agent_legs = [m for m in members if m in legs and agent_of(m) is not None
                      and legs[m].values[0] == m]
        outside = [m for m in members if m in legs and agent_of(m) is None]
        if caller is not None:
            call_id = caller
        phone = call_id if call_id in phones and call_id in members else None
        if not call_id or not (caller or agent_legs or outside or phone):
            out.destroy.append(bridge.id)
            continue
        if caller is not None and agent_legs:
            leg = agent_legs[0]
            agent_id = agent_of(leg)
            assert agent_id is not None
            adopt_call(call_id, by_id[caller], agent_id=agent_id, leg_id=leg,
                       bridge_id=bridge.id, answered_hint=_creation(by_id[leg]))
            agents_on_calls[agent_id] = by_id[leg].name
            out.callers[caller] = None
            out.legs[leg] = (call_id, "agent")
            out.bridges[bridge.id] = call_id
            kept |= {caller, leg, bridge.id}
        elif caller is not None and outside:
            adopt_call(call_id, by_id[caller], external_leg_id=outside[0], bridge_id=bridge.id,
                       external_number=by_id[outside[0]].dialplan.exten)
            out.callers[caller] = None
            out.legs[outside[0]] = (call_id, "outbound")
            out.bridges[bridge.id] = call_id
            kept |= {caller, outside[0], bridge.id}
        elif (phone is not None and outside and call_id in records.calls
              and records.calls[call_id].agent_id is not None):
            # the phone (the call's agent leg) talking with the number it dialled
            agent_id = records.calls[call_id].agent_id
            assert agent_id is not None
            adopt_call(call_id, None, direction="outbound", agent_id=agent_id, leg_id=phone,
                       external_leg_id=outside[0], bridge_id=bridge.id,
                       external_number=records.calls[call_id].caller_number)
            agents_on_calls[agent_id] = by_id[phone].name
            out.legs[phone] = (call_id, "agent")
            out.legs[outside[0]] = (call_id, "outbound")
            out.bridges[bridge.id] = call_id
            kept |= {phone, outside[0], bridge.id}
        elif caller is None and agent_legs and outside and call_id in records.calls:
            leg = agent_legs[0]
            agent_id = agent_of(leg)
            assert agent_id is not None
            adopt_call(call_id, None, direction="outbound", agent_id=agent_id, leg_id=leg,
                       external_leg_id=outside[0], bridge_id=bridge.id,
                       external_number=records.calls[call_id].caller_number)
            agents_on_calls[agent_id] = by_id[leg].name
            out.legs[leg] = (call_id, "agent")
            out.legs[outside[0]] = (call_id, "outbound")
            out.bridges[bridge.id] = call_id
            kept |= {leg, outside[0], bridge.id}
        elif (caller is None and len(agent_legs) == 1 and not outside
              and (held := legs[agent_legs[0]].values[2]) in callers
              and held not in bridged and held not in kept):
            leg = agent_legs[0]
            agent_id = agent_of(leg)
            assert agent_id is not None
            adopt_call(held, by_id[held], agent_id=agent_id, leg_id=leg, bridge_id=bridge.id,
                       answered_hint=_creation(by_id[leg]), held=True)
            agents_on_calls[agent_id] = by_id[leg].name
            out.callers[held] = None
            out.held.add(held)
            out.legs[leg] = (held, "agent")
            out.bridges[bridge.id] = held
            kept |= {held, leg, bridge.id}
        else:
            # One side left while nobody watched: the conversation is over.
            if caller is not None:
                out.lone[caller] = caller
            out.destroy.append(bridge.id)

    for bridge in holding.values():
        gid_text = bridge.id[len(HOLDING_PREFIX):]
        gid = int(gid_text) if gid_text.isdigit() else None
        if (gid is None or gid not in records.groups) and all(
                m in callers for m in bridge.channels):
            # (another app's group of that number may wait in it: then it is left alone)
            out.destroy.append(bridge.id)
        for member in bridge.channels:
            if member in callers and member not in kept:
                adopt_call(member, by_id[member], group_id=gid)
                out.callers[member] = gid
                kept.add(member)
        if gid is not None and gid in records.groups:
            kept.add(bridge.id)

    for caller in sorted(callers - kept - set(out.lone)):
        # In the app but in no bridge: arrived as the previous process went, or held during a
        # consultation. It waits again, at its place, in its group.
        row = records.calls.get(caller)
        group_arg = args[caller].values[0] if args[caller].values else ""
        gid = row.group_id if row and row.group_id is not None else (
            records.group_named(group_arg))
        adopt_call(caller, by_id[caller], group_id=gid, in_holding_bridge=False)
        out.callers[caller] = gid
        kept.add(caller)

    for channel in channels:
        if channel.id in kept:
            continue
        base = channel.id[:-2] if channel.id.endswith("-2") else None
        if base is not None and base in kept:
            continue  # the far half of a Local-channel leg we keep
        ours = channel.id.startswith(root) or channel.id in args
        if ours and base is None:
            out.hangups.append(channel.id)
        elif channel.id in out.lone:
            out.hangups.append(channel.id)

    # Agents: back as the records say, the on-call ones confirmed by their adopted calls.
    for agent_id, state in records.agents.items():
        if state.state == AgentState.LOGGED_OUT.value:
            continue
        wrapup_until = None
        if state.state == AgentState.WRAPUP.value:
            row = records.calls.get(state.call_ref)
            group = row.group_id if row else None
            wrapup = records.wrapup_s.get(group or -1, max(
                (records.wrapup_s.get(g, 0.0) for g in records.memberships.get(agent_id, {})),
                default=0.0))
            wrapup_until = state.started_at.timestamp() + wrapup
        call_ended_at = None
        if state.state == AgentState.ON_CALL.value and state.call_ref not in adopted_calls:
            row = records.calls.get(state.call_ref)
            call_ended_at = conversation_end(row, ends or {}) if row is not None else None
        out.inputs.append(i.RestoreAgent(
            now=now, agent_id=agent_id, extension=state.extension,
            groups=records.memberships.get(agent_id, {}), state=AgentState(state.state),
            reason=state.reason, since=state.started_at.timestamp(),
            wrapup_of=state.call_ref or None, wrapup_until=wrapup_until,
            call_ended_at=call_ended_at))
    for agent_id, leg_name in agents_on_calls.items():
        if agent_id not in records.agents or (
                records.agents[agent_id].state == AgentState.LOGGED_OUT.value):
            out.inputs.append(i.RestoreAgent(
                now=now, agent_id=agent_id, extension=extension_of(leg_name),
                groups=records.memberships.get(agent_id, {}), state=AgentState.ON_CALL,
                since=now))
    adopt.sort(key=lambda a: a.entered_at)
    out.inputs += adopt
    out.inputs.append(i.AdoptionDone(now=now))
    out.vanished = [row for call_id, row in records.calls.items()
                    if call_id not in adopted_calls]
    return out
