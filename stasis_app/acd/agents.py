"""Agent-side inputs: login/logout, pause, wrap-up, group membership, configuration.

Decisions (documented in the package docstring too):
- Logout or pause while *ringing*: the offer is withdrawn (result ``cancelled``, not a
  missed offer) and the call goes on to the next agent; the change applies at once.
- Logout or pause while *on a call*: deferred (``AgentChangeDeferred``) until the call ends;
  a deferred logout skips wrap-up. No call is offered meanwhile (the agent is busy).
- Pause during wrap-up ends the wrap-up. Unpause resets the missed-offer counter.
- ``AgentWrapupExtend`` moves the end of a running wrap-up (the state and its start stay);
  how much, and how often, is the caller's policy (the web layer's, per group).
"""

from __future__ import annotations

from collections.abc import Mapping

from .inputs import (
    AgentLogin,
    AgentLogout,
    AgentPause,
    AgentUnpause,
    AgentWrapupDone,
    AgentWrapupExtend,
    ConfigureGroup,
    Input,
    RemoveGroup,
    ResetDailyCounters,
    SupervisorForceLogout,
    SupervisorForcePause,
    UpdateAgentGroups,
)
from .model import (
    Agent,
    AgentState,
    Group,
    LegPurpose,
    OfferResult,
    OverflowTrigger,
    PhoneState,
    Strategy,
    TimerKind,
)
from .outputs import AgentChangeDeferred
from .queueing import QueueOps
from .strategies import agent_key


class AgentHandlers(QueueOps):
    def _logged_in(self, agent_id: int, request: Input) -> Agent | None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.state is AgentState.LOGGED_OUT:
            self._refuse("agent_not_logged_in", f"agent {agent_id} is not logged in", request)
            return None
        return agent

    def _check_groups(self, groups: Mapping[int, int], request: Input) -> bool:
        unknown = sorted(g for g in groups if g not in self._groups or self._groups[g].closed)
        if unknown:
            self._refuse("unknown_group", f"unknown group(s) {unknown}", request)
            return False
        return True

    # --------------------------------------------------------------------------- handlers

    def _on_login(self, inp: AgentLogin) -> None:
        old = self._agents.get(inp.agent_id)
        if old is not None and old.state is not AgentState.LOGGED_OUT:
            self._refuse("already_logged_in", f"agent {inp.agent_id} is already logged in", inp)
            return
        if not inp.extension:
            self._refuse("no_extension", "an extension is required to log in", inp)
            return
        if inp.initial_state not in (AgentState.AVAILABLE, AgentState.PAUSED):
            self._refuse("bad_state", "initial state must be available or paused", inp)
            return
        if not self._check_groups(inp.groups, inp):
            return
        agent = Agent(
            agent_id=inp.agent_id,
            extension=inp.extension,
            groups=dict(inp.groups),
            state=AgentState.LOGGED_OUT,
            state_since=self._now,
            reason="",
            idle_since=self._now,
            calls_taken=old.calls_taken if old is not None else 0,
            phone=self._phones.get(inp.extension, PhoneState.UNKNOWN),
        )
        self._agents[agent.agent_id] = agent
        self._phone_agents.setdefault(agent.extension, set()).add(agent.agent_id)
        for gid, penalty in agent.groups.items():
            self._groups[gid].members[agent.agent_id] = penalty
            self._dirty.add(gid)
        reason = inp.reason if inp.initial_state is AgentState.PAUSED else ""
        self._set_state(agent, inp.initial_state, reason)

    def _on_logout(self, inp: AgentLogout | SupervisorForceLogout) -> None:
        agent = self._logged_in(inp.agent_id, inp)
        if agent is None:
            return
        supervisor = inp.supervisor_id if isinstance(inp, SupervisorForceLogout) else None
        reason = "logout" if supervisor is None else f"forced by supervisor {supervisor}"
        if agent.state is AgentState.ON_CALL or self._ringing_own_call(agent):
            agent.pending_logout = True
            self._emit(
                AgentChangeDeferred(
                    at=self._now,
                    agent_id=agent.agent_id,
                    pending=AgentState.LOGGED_OUT,
                    reason=reason,
                    supervisor_id=supervisor,
                )
            )
        elif agent.state is AgentState.RINGING:
            agent.pending_logout = True
            self._withdraw_offer(agent)
        else:
            self._logout(agent, reason)

    def _on_pause(self, inp: AgentPause | SupervisorForcePause) -> None:
        agent = self._logged_in(inp.agent_id, inp)
        if agent is None:
            return
        supervisor = inp.supervisor_id if isinstance(inp, SupervisorForcePause) else None
        if agent.state is AgentState.ON_CALL or self._ringing_own_call(agent):
            agent.pending_pause = inp.reason
            self._emit(
                AgentChangeDeferred(
                    at=self._now,
                    agent_id=agent.agent_id,
                    pending=AgentState.PAUSED,
                    reason=inp.reason,
                    supervisor_id=supervisor,
                )
            )
        elif agent.state is AgentState.RINGING:
            agent.pending_pause = inp.reason
            self._withdraw_offer(agent)
        else:
            self._cancel_timer(agent.wrapup_timer)
            agent.wrapup_timer = None
            self._set_state(agent, AgentState.PAUSED, inp.reason)

    def _on_unpause(self, inp: AgentUnpause) -> None:
        agent = self._logged_in(inp.agent_id, inp)
        if agent is None:
            return
        if agent.state is AgentState.PAUSED:
            agent.missed = 0
            self._set_state(agent, AgentState.AVAILABLE)
        elif agent.pending_pause is not None or agent.resume_state is AgentState.PAUSED:
            agent.pending_pause = None  # changed its mind during the call
            if agent.resume_state is AgentState.PAUSED:
                agent.resume_state = AgentState.AVAILABLE
        else:
            self._refuse("not_paused", f"agent {agent.agent_id} is not paused", inp)

    def _on_wrapup_done(self, inp: AgentWrapupDone) -> None:
        agent = self._logged_in(inp.agent_id, inp)
        if agent is None:
            return
        if agent.state is not AgentState.WRAPUP:
            self._refuse("not_in_wrapup", f"agent {agent.agent_id} is not in wrap-up", inp)
            return
        self._cancel_timer(agent.wrapup_timer)
        agent.wrapup_timer = None
        self._agent_ready(agent)

    def _on_wrapup_extend(self, inp: AgentWrapupExtend) -> None:
        agent = self._logged_in(inp.agent_id, inp)
        if agent is None:
            return
        if agent.state is not AgentState.WRAPUP:
            self._refuse("not_in_wrapup", f"agent {agent.agent_id} is not in wrap-up", inp)
            return
        if not inp.seconds > 0:
            self._refuse("bad_duration", "a wrap-up extension must be a positive time", inp)
            return
        # The wrap-up stays the same state (no AgentStateChanged): only its end moves.
        self._cancel_timer(agent.wrapup_timer)
        agent.wrapup_timer = self._start_timer(TimerKind.WRAPUP, agent.agent_id, inp.seconds)

    def _on_update_groups(self, inp: UpdateAgentGroups) -> None:
        agent = self._logged_in(inp.agent_id, inp)
        if agent is None or not self._check_groups(inp.groups, inp):
            return
        available = agent.state is AgentState.AVAILABLE and agent.phone_free
        old = agent.groups
        agent.groups = dict(inp.groups)
        for gid in old:
            if gid not in agent.groups:
                self._remove_member(self._groups[gid], agent.agent_id)
        for gid, penalty in agent.groups.items():
            group = self._groups[gid]
            group.members[agent.agent_id] = penalty
            if available:
                group.index.add(agent.agent_id, agent_key(group, agent))
            self._dirty.add(gid)

    def _withdraw_offer(self, agent: Agent) -> None:
        """Cancel the agent's ringing offer; the pending pause/logout then applies."""
        leg = self._legs.get(agent.leg_id or "")
        if leg is None:
            self._agent_ready(agent)
            return
        self._offer_missed(leg, OfferResult.CANCELLED, counted=False, hangup=True)

    def _ringing_own_call(self, agent: Agent) -> bool:
        """Ringing for its own click-to-call: the call is the agent's, treat like on a call."""
        leg = self._legs.get(agent.leg_id or "")
        return leg is not None and leg.purpose is LegPurpose.CLICK_TO_CALL

    # ---------------------------------------------------------------------------- groups

    def _on_configure(self, inp: ConfigureGroup) -> None:
        cfg = inp.config
        problems = cfg.problems()
        for alias in (cfg.name.casefold(), cfg.number):
            owner = self._aliases.get(alias) if alias else None
            if owner is not None and owner != cfg.id:
                problems.append(f"name/number {alias!r} is used by group {owner}")
        if problems:
            self._refuse("bad_config", "; ".join(problems), inp)
            return
        group = self._groups.get(cfg.id)
        if group is not None and group.closed:  # re-activated before its last call ended
            group.closed = False
        if group is None:
            group = self._groups[cfg.id] = Group(config=cfg)
        else:
            self._drop_aliases(group)
            rebuild = (
                group.config.strategy != cfg.strategy
                or group.config.member_order != cfg.member_order
            )
            group.config = cfg
            group.ranks = {a: i for i, a in enumerate(cfg.member_order)}
            if rebuild:
                self._rebuild_index(group)
        self._aliases[cfg.name.casefold()] = cfg.id
        if cfg.number:
            self._aliases[cfg.number] = cfg.id
        self._dirty.add(cfg.id)

    def _drop_aliases(self, group: Group) -> None:
        for alias in (group.config.name.casefold(), group.config.number):
            if alias and self._aliases.get(alias) == group.config.id:
                del self._aliases[alias]

    def _on_remove_group(self, inp: RemoveGroup) -> None:
        """The group is deleted or deactivated: it takes no new call, its waiting callers
        leave through its overflow (or back to the dialplan), its agents lose the
        membership; calls in conversation go on, and the group goes once they end."""
        group = self._groups.get(inp.group_id)
        if group is None or group.closed:
            self._refuse("unknown_group", f"unknown group {inp.group_id}", inp)
            return
        group.closed = True
        self._drop_aliases(group)
        for call_id in list(group.queue):
            self._overflow(self._calls[call_id], group, OverflowTrigger.GROUP_CLOSED)
        for agent in self._agents.values():
            agent.groups.pop(inp.group_id, None)
        group.members.clear()
        group.index.clear()
        self._collect_group(group)

    def _on_reset_daily(self, inp: ResetDailyCounters) -> None:
        for agent in self._agents.values():
            agent.calls_taken = 0
        for group in self._groups.values():
            if group.config.strategy is Strategy.FEWEST_CALLS:
                self._rebuild_index(group)
