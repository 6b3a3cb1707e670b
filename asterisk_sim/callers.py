"""Simulated customers calling in: they wait, talk once bridged, then hang up or abandon."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .engine import Engine
from .errors import AriError
from .model import Bridge, Channel
from .scheduler import Scheduler, Timer


@dataclass
class SimCall:
    id: str  # the Local ;2 half: the channel the Stasis app sees
    far_id: str  # the Local ;1 half: the customer's own leg
    group: str
    caller_number: str
    caller_name: str
    app: str
    talk_time: float | None
    patience: float | None
    state: str = "waiting"  # waiting | talking | ended | failed
    end_reason: str = ""  # hangup | abandon | app | failed
    timers: list[Timer] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "far_id": self.far_id,
            "group": self.group,
            "caller_number": self.caller_number,
            "caller_name": self.caller_name,
            "app": self.app,
            "talk_time": self.talk_time,
            "patience": self.patience,
            "state": self.state,
            "end_reason": self.end_reason,
        }


class CallerManager:
    """Places inbound calls as `Local/<group>@inbound` (exactly the traces' shape)."""

    def __init__(self, engine: Engine, scheduler: Scheduler) -> None:
        self.engine = engine
        self.scheduler = scheduler
        self.calls: dict[str, SimCall] = {}
        self._seq = itertools.count(1)
        engine.hooks.append(self)

    def place(
        self,
        group: str,
        caller_number: str,
        caller_name: str = "",
        app: str | None = None,
        talk_time: float | None = None,
        patience: float | None = None,
    ) -> SimCall:
        if not group:
            raise AriError(400, "group is required")
        app_name = app or self.engine._inbound_app()
        n = next(self._seq)
        name = caller_name or f"Caller {n}"
        params = {
            "endpoint": f"Local/{group}@inbound",
            "context": "caller",
            "extension": group,
            "priority": "1",
            "callerId": f"{name} <{caller_number}>",
            # The customer waits as long as the app keeps the call (no ring timeout).
            "timeout": "-1",
        }
        reply = self.engine.originate(params, inbound_app=app_name)
        far_id = reply["id"]
        c1 = self.engine.channels.get(far_id)
        c2 = c1.peer if c1 is not None else None
        call = SimCall(
            id=c2.id if c2 is not None else f"{far_id};2",
            far_id=far_id,
            group=group,
            caller_number=caller_number,
            caller_name=name,
            app=app_name,
            talk_time=talk_time,
            patience=patience,
        )
        self.calls[call.id] = call
        if c2 is None or c2.destroyed:
            call.state, call.end_reason = "failed", "failed"  # Stasis() refused it
            return call
        c2.sim_call = call
        if c1 is not None:
            c1.sim_call = call
        if patience is not None:
            call.timers.append(self.scheduler.call_later(patience, self._give_up, call))
        return call

    def hangup(self, call_id: str, reason: str = "hangup") -> None:
        call = self.calls.get(call_id)
        if call is None:
            raise AriError(404, "Call not found")
        far = self.engine.channels.get(call.far_id)
        if far is None or call.state in ("ended", "failed"):
            raise AriError(409, "Call already ended")
        call.end_reason = reason
        self.engine.hangup(far, 16, explicit=False)

    def _give_up(self, call: SimCall) -> None:
        if call.state == "waiting":
            self.hangup(call.id, reason="abandon")

    def _talk_over(self, call: SimCall) -> None:
        if call.state == "talking":
            self.hangup(call.id, reason="hangup")

    # --- engine hooks -----------------------------------------------------
    def on_bridged(self, channel: Channel, bridge: Bridge) -> None:
        # Whoever joined, a waiting customer in a mixing bridge with someone else
        # is now talking.
        if bridge.bridge_type != "mixing" or len(bridge.members) < 2:
            return
        for member in bridge.members:
            call = member.sim_call
            if call is not None and call.state == "waiting" and member.id == call.id:
                self._start_talking(call)

    def _start_talking(self, call: SimCall) -> None:
        call.state = "talking"
        for t in call.timers:
            t.cancel()
        call.timers.clear()
        if call.talk_time is not None:
            call.timers.append(self.scheduler.call_later(call.talk_time, self._talk_over, call))

    def on_gone(self, channel: Channel) -> None:
        call = channel.sim_call
        if call is None or call.state in ("ended", "failed"):
            return
        for t in call.timers:
            t.cancel()
        call.timers.clear()
        call.state = "ended"
        if not call.end_reason:
            call.end_reason = "app"  # the Stasis app hung the caller up

    def active(self) -> list[SimCall]:
        return [c for c in self.calls.values() if c.state in ("waiting", "talking")]
