"""What the web layer may ask of the ACD: agents' and supervisors' actions, and live views.

Each request becomes one engine input; a refusal (agent busy, unknown call...) comes back
as :class:`AcdRefused` with a message fit for the person who clicked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm.routing import agent_memberships
from stasis_app.acd import inputs as i
from stasis_app.acd import outputs as o
from stasis_app.acd.model import AgentState, Target, TargetKind
from stasis_app.acd.views import AgentView, CallView
from stasis_app.controller import Controller
from stasis_app.spy import SpyManager, SpyMode, SpyRefused
from stasis_app.wire import to_json


class _NoCall:
    agent_id = None


class AcdRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AcdUnavailable(AcdRefused):
    def __init__(self) -> None:
        super().__init__("acd_unavailable", "the call distribution is not running")


@dataclass(frozen=True)
class TransferTarget:
    kind: str  # "agent" | "group" | "number"
    value: int | str

    def to_engine(self) -> Target:
        return Target(kind=TargetKind(self.kind), value=self.value)


@dataclass(frozen=True)
class Done:
    """An ACD request that went through (a refusal raises AcdRefused instead)."""

    deferred: bool = False  # a pause or logout asked during a call waits for its end


class AcdService:
    def __init__(self, controller: Controller, spies: SpyManager | None = None) -> None:
        self._ctl = controller
        self._spies = spies

    @property
    def engine_clock(self) -> float:
        return self._ctl.clock()

    async def _ask(self, build: type[i.Input], **fields: Any) -> Done:
        outputs = await self._ctl.ask(build(now=self._ctl.clock(), **fields))
        for out in outputs:
            if isinstance(out, o.Refused):
                raise AcdRefused(out.code, out.message)
        return Done(deferred=any(isinstance(out, o.AgentChangeDeferred) for out in outputs))

    # -- agents (S6, S9, C7) -------------------------------------------------------------

    async def login(
        self, agent_id: int, extension: str, *, paused: bool = False, reason: str = ""
    ) -> AgentView:
        groups = await agent_memberships(agent_id)
        await self._ask(
            i.AgentLogin,
            agent_id=agent_id,
            extension=extension,
            groups=groups,
            initial_state=AgentState.PAUSED if paused else AgentState.AVAILABLE,
            reason=reason,
        )
        # the login went through (a refusal raised): the engine knows the agent now
        return self.agent(agent_id)  # type: ignore[return-value]

    async def logout(self, agent_id: int) -> Done:
        return await self._ask(i.AgentLogout, agent_id=agent_id)

    async def pause(self, agent_id: int, reason: str = "") -> Done:
        return await self._ask(i.AgentPause, agent_id=agent_id, reason=reason)

    async def unpause(self, agent_id: int) -> Done:
        return await self._ask(i.AgentUnpause, agent_id=agent_id)

    async def wrapup_done(self, agent_id: int) -> Done:
        return await self._ask(i.AgentWrapupDone, agent_id=agent_id)

    async def wrapup_extend(self, agent_id: int, seconds: float) -> Done:
        """The agent's wrap-up now ends ``seconds`` from now (refused outside a wrap-up)."""
        return await self._ask(i.AgentWrapupExtend, agent_id=agent_id, seconds=seconds)

    async def refresh_groups(self, agent_id: int) -> None:
        """Administration changed this agent's groups: a logged-in agent gets them now."""
        if self.agent(agent_id) is not None:
            await self._ask(
                i.UpdateAgentGroups, agent_id=agent_id, groups=await agent_memberships(agent_id)
            )

    # -- calls (S7, C4, C5, C6) ----------------------------------------------------------

    async def reject(self, agent_id: int) -> Done:
        return await self._ask(i.AgentRejectOffer, agent_id=agent_id)

    async def hangup(self, agent_id: int) -> Done:
        return await self._ask(i.AgentHangup, agent_id=agent_id)

    async def hold(self, agent_id: int) -> Done:
        return await self._ask(i.AgentHold, agent_id=agent_id)

    async def resume(self, agent_id: int) -> Done:
        return await self._ask(i.AgentResume, agent_id=agent_id)

    async def record(self, agent_id: int, on: bool | None = None) -> bool:
        """B9, on demand: start or stop recording the agent's call (``on`` None: toggle).
        Returns whether the call is being recorded now."""
        result = self._ctl.toggle_recording(agent_id, on)
        if not result.ok:
            raise AcdRefused(result.code, result.message)
        return result.recording

    def recording_mode(self, group_id: int | None) -> str:
        recorder = self._ctl.recorder
        return recorder.policy.mode_of(group_id) if recorder is not None else "off"

    def recording_now(self, agent_id: int) -> bool:
        recorder = self._ctl.recorder
        return recorder is not None and recorder.policy.recording_now(agent_id)

    async def mute(self, agent_id: int, muted: bool) -> Done:
        return await self._ask(i.AgentMute, agent_id=agent_id, muted=muted)

    async def send_dtmf(self, agent_id: int, digits: str) -> Done:
        return await self._ask(i.AgentSendDtmf, agent_id=agent_id, digits=digits)

    async def attach_client(
        self, call_id: str, client_id: int | None, note_ref: str | None = None
    ) -> Done:
        return await self._ask(
            i.AttachClient, call_id=call_id, client_id=client_id, note_ref=note_ref
        )

    async def transfer(
        self,
        call_id: str,
        target: TransferTarget,
        *,
        by_agent_id: int | None = None,
        by_supervisor_id: int | None = None,
    ) -> Done:
        return await self._ask(
            i.TransferBlind,
            call_id=call_id,
            target=target.to_engine(),
            by_agent_id=by_agent_id,
            by_supervisor_id=by_supervisor_id,
        )

    async def consult(self, call_id: str, target: TransferTarget, agent_id: int
                      ) -> Done:
        return await self._ask(
            i.AttendedConsult, call_id=call_id, target=target.to_engine(), by_agent_id=agent_id
        )

    async def complete_transfer(self, call_id: str, agent_id: int) -> Done:
        return await self._ask(i.AttendedComplete, call_id=call_id, by_agent_id=agent_id)

    async def cancel_transfer(self, call_id: str, agent_id: int) -> Done:
        return await self._ask(i.AttendedCancel, call_id=call_id, by_agent_id=agent_id)

    async def click_to_call(
        self, agent_id: int, number: str, client_id: int | None = None
    ) -> Done:
        return await self._ask(
            i.ClickToCall, agent_id=agent_id, number=number, client_id=client_id
        )

    # -- supervisors (C4, C5, S5) --------------------------------------------------------

    async def force_reject(self, call_id: str, supervisor_id: int) -> Done:
        return await self._ask(
            i.SupervisorForceReject, call_id=call_id, supervisor_id=supervisor_id
        )

    async def force_hangup(self, call_id: str, supervisor_id: int) -> Done:
        return await self._ask(i.SupervisorHangup, call_id=call_id, supervisor_id=supervisor_id)

    async def force_logout(self, agent_id: int, supervisor_id: int) -> Done:
        return await self._ask(
            i.SupervisorForceLogout, agent_id=agent_id, supervisor_id=supervisor_id
        )

    async def force_pause(
        self, agent_id: int, supervisor_id: int, reason: str = "supervisor"
    ) -> Done:
        return await self._ask(
            i.SupervisorForcePause, agent_id=agent_id, supervisor_id=supervisor_id, reason=reason
        )

    # -- B3: listen, whisper, barge ------------------------------------------------------

    async def spy(
        self, call_id: str, supervisor_id: int, extension: str, mode: str
    ) -> dict[str, Any]:
        """Ring the supervisor's phone; once answered it hears (and, per mode, speaks to)
        the call. Returns the spy's id and what it does."""
        if self._spies is None:
            raise AcdUnavailable()
        try:
            spy = await self._spies.start(call_id, supervisor_id, extension, SpyMode(mode))
        except ValueError:
            raise AcdRefused("bad_mode", "mode must be listen, whisper or barge") from None
        except SpyRefused as exc:
            raise AcdRefused(exc.code, exc.message) from None
        return {"spy_id": spy.spy_id, "call_id": spy.call_id, "mode": spy.mode.value,
                "agent_id": (self.call(call_id) or _NoCall).agent_id}

    async def stop_spy(self, spy_id: str) -> bool:
        if self._spies is None:
            raise AcdUnavailable()
        return await self._spies.stop(spy_id)

    def spies(self) -> list[dict[str, Any]]:
        if self._spies is None:
            return []
        return [{"spy_id": s.spy_id, "call_id": s.call_id, "mode": s.mode.value,
                 "supervisor_id": s.supervisor_id, "answered": s.answered,
                 "connected": s.connected}
                for s in self._spies.spies.values()]

    # -- views ---------------------------------------------------------------------------

    def agent(self, agent_id: int) -> AgentView | None:
        """The agent as the engine knows them, logged out included (their last state)."""
        return self._ctl.engine.agent(agent_id)

    def logged_in_agent(self, agent_id: int) -> AgentView | None:
        """The agent if they are in the call distribution now; None otherwise."""
        view = self._ctl.engine.agent(agent_id)
        if view is None or view.state is AgentState.LOGGED_OUT:
            return None
        return view

    def is_logged_in(self, agent_id: int) -> bool:
        return self.logged_in_agent(agent_id) is not None

    def agent_on_extension(self, extension: str, *, besides: int | None = None) -> int | None:
        """The logged-in agent whose phone is ``extension`` (other than ``besides``)."""
        for view in self._ctl.engine.agents():
            if (view.extension == extension and view.agent_id != besides
                    and view.state is not AgentState.LOGGED_OUT):
                return view.agent_id
        return None

    def agent_concerned(self, call_id: str) -> int | None:
        """The agent on the call, or the one it is being offered to; None if neither (and
        for an unknown call: ask ``call`` first)."""
        view = self._ctl.engine.call(call_id)
        if view is not None and view.agent_id is not None:
            return view.agent_id
        return next((a.agent_id for a in self._ctl.engine.agents() if a.call_id == call_id),
                    None)

    def tell_agent(self, agent_id: int, action: str, *, supervisor_id: int,
                   supervisor_name: str, message: str, details: dict[str, Any]) -> None:
        """Tell the agent's page what a supervisor did (supervisor.action)."""
        self._ctl.publisher.supervisor_action(
            agent_id, action, supervisor_id=supervisor_id, supervisor_name=supervisor_name,
            message=message, details=details)


    def call(self, call_id: str) -> CallView | None:
        return self._ctl.engine.call(call_id)

    def snapshot(self) -> dict[str, Any]:
        """The whole live picture, for a supervision page's first paint."""
        engine = self._ctl.engine
        return {
            "at": self._ctl.clock(),
            "agents": [to_json(a) for a in engine.agents()],
            "calls": [to_json(c) for c in engine.calls()],
            "queues": {str(g): engine.queue(g) for g in engine.group_ids()},
        }

