"""S9: a session ends only once its agent has left the call distribution.

Every way out (the console's button, the top bar's logout, the JSON API) goes through here,
so logging out never leaves an agent the ACD keeps offering calls to.
"""

from __future__ import annotations

from aiohttp import web

from web.appkeys import RUNTIME_KEY

BUSY_STATES = ("ringing", "on_call", "wrapup")


# Refused rather than deferred: the agent would otherwise close the page with a call still
# on their phone and nobody to wrap it up.
ON_CALL_MESSAGE = "you are on a call: finish it (and its wrap-up) before logging out"


class OnCall(Exception):
    """The agent has a call (ringing, talking or in wrap-up): logging out must wait."""


async def leave_acd(app: web.Application, user_id: int) -> None:
    """Log the user out of the ACD if they are in it; raise OnCall during a call."""
    acd = app[RUNTIME_KEY]
    view = acd.agent(user_id) if acd is not None else None
    if acd is None or view is None or view.state.value == "logged_out":
        return
    if view.state.value in BUSY_STATES or view.call_id:
        raise OnCall
    await acd.logout(user_id)
