"""Issue 12: the phone state of logged-in agents.

An agent may be "available" in the ACD while its phone is busy on a call the app does not own
(an extension-to-extension call, a call not through the app) or unreachable. The adapter
follows each logged-in agent's device and endpoint state (``WatchPhone``) and reports it
(``PhoneStateChanged``); an available agent whose phone is busy or unreachable is kept out
of the groups' indexes, so no strategy offers it a call, and goes back in (waiting callers
offered at once) when its phone is free again.

Our own offers and calls make the phone ring and be in use too: the state is recorded
whatever the agent does, but only read while the agent is available with no leg of ours
(``Agent.offerable``), so a busy-by-us state changes nothing. When our call ends the device
state still says "in use" until Asterisk reports the phone free, a few milliseconds later.
"""

from __future__ import annotations

from .inputs import PhoneStateChanged
from .model import AgentState
from .queueing import QueueOps


class PhoneStateHandlers(QueueOps):
    def _on_phone_state(self, inp: PhoneStateChanged) -> None:
        for agent in self._agents.values():
            if agent.extension != inp.extension or agent.state is AgentState.LOGGED_OUT:
                continue
            if inp.device is not None:
                agent.phone = inp.device
            if inp.online is not None:
                agent.phone_offline = not inp.online
            self._sync_index(agent)
