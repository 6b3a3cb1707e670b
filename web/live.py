"""``GET /ws/live``: the live event stream (screen pops, agent states, queues, calls).

One WebSocket per open page. What a connection receives depends on who opened it:
- an agent: their own events (offers, screen pops, state changes);
- a supervisor or an administrator: their own events and the whole supervision picture;
- a supervisor or an administrator asking ``?topics=integrations`` (B6, typically with a
  bearer token): the call and agent events for integrators. Agents may not: those events
  carry every caller's number (see OPTIONAL_TOPICS).
- ``?topics=own``: a supervisor's agent console keeps to their own events (no supervision
  topic).
The first message is a snapshot of the live state, so a page that (re)connects needs no
other request. Events are pushed by the hub as they happen: no polling anywhere. The web
layer completes them on the way out (``enriched``): numbers in the centre's format, and
for the agent's own events their console's status and screen pop.

S9: when the last page of an agent logged in to the ACD goes away (closed tab, crashed
browser, lost network) and does not come back within ``LOST_PAGE_GRACE_S``, the agent is
paused, so nobody is offered calls they cannot see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from crm.hub import INTEGRATIONS, SUPERVISION, agent_topic
from crm.models import Role, User
from crm.tokens import authenticate_token
from crm.users import get_active_user, password_fingerprint
from stasis_app.wire import to_json
from web.appkeys import HUB_KEY, RUNTIME_KEY, SERVICES_KEY, SETTINGS_KEY
from web.formatting import phone_display
from web.reasons import LOST_PAGE_REASON
from web.security.auth import AUTH_METHOD, USER, require_role

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

LOST_PAGE_GRACE_S = 30.0
HEARTBEAT_S = 20.0
# How often an open socket checks that its session or token still stands: a logout, a
# password or role change, a deactivation or a revoked token closes it within this time.
RECHECK_S = 10.0
SESSION_ENDED = 4401  # close code: log in again


class Presence:
    """How many live pages each user has open, and the pauses pending for lost ones."""

    def __init__(self) -> None:
        self.pages: Counter[int] = Counter()
        self.pending: dict[int, asyncio.TimerHandle] = {}

    def opened(self, user_id: int) -> None:
        self.pages[user_id] += 1
        handle = self.pending.pop(user_id, None)
        if handle is not None:
            handle.cancel()

    def closed(self, app: web.Application, user_id: int, grace: float) -> None:
        self.pages[user_id] -= 1
        if self.pages[user_id] > 0:
            return
        del self.pages[user_id]
        loop = asyncio.get_running_loop()
        self.pending[user_id] = loop.call_later(
            grace, lambda: loop.create_task(_pause_lost_agent(app, user_id, self))
        )


def presence(app: web.Application) -> Presence:
    services = app[SERVICES_KEY]
    if "presence" not in services:
        services["presence"] = Presence()
    found: Presence = services["presence"]
    return found


@routes.get("/ws/live")
@require_role(Role.AGENT)
async def live(request: web.Request) -> web.StreamResponse:
    user = request[USER]
    assert user is not None
    if request[AUTH_METHOD] == "session" and not _same_origin(request):
        # A cookie-authenticated WebSocket opened by another site's page (CSWSH).
        raise web.HTTPForbidden(text="cross-site WebSocket refused")
    hub = request.app[HUB_KEY]
    if hub is None:
        raise web.HTTPServiceUnavailable(text="live events are not available")
    topics = _topics_for(user, request.query.get("topics", ""))
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
    await ws.prepare(request)
    subscription = hub.subscribe(topics)
    tracker = presence(request.app)
    tracker.opened(user.id)
    snapshot = await _snapshot(request.app, user, topics)
    sender = asyncio.create_task(_forward(ws, subscription, request.app, user))
    watchdog = asyncio.create_task(_while_allowed(ws, request, user))
    try:
        await ws.send_json({"type": "snapshot", "data": snapshot})
        async for message in ws:  # the page only pings; anything else is ignored
            if message.type is WSMsgType.ERROR:
                break
    finally:
        subscription.close()
        for task in (sender, watchdog):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        grace = request.app[SERVICES_KEY].get("lost_page_grace_s", LOST_PAGE_GRACE_S)
        tracker.closed(request.app, user.id, grace)
    return ws


async def _while_allowed(ws: web.WebSocketResponse, request: web.Request, user: User) -> None:
    """Close the socket once what opened it no longer stands (checked every RECHECK_S)."""
    every = request.app[SERVICES_KEY].get("live_recheck_s", RECHECK_S)
    bearer = request.headers.get("Authorization", "").partition(" ")[2].strip()
    by_token = request[AUTH_METHOD] == "token"
    while not ws.closed:
        await asyncio.sleep(every)
        try:
            if by_token:
                now = await authenticate_token(bearer)
                still = now is not None and now.id == user.id and now.role == user.role
            else:
                now = await get_active_user(user.id)
                still = (now is not None and now.role == user.role
                         and now.session_version == user.session_version
                         and password_fingerprint(now) == password_fingerprint(user))
        except Exception as exc:  # the database away: keep the socket, check again later
            log.debug("live socket recheck failed: %s", exc)
            continue
        if not still:
            await ws.close(code=SESSION_ENDED, message=b"session ended: log in again")
            return


async def _forward(ws: web.WebSocketResponse, subscription: Any, app: web.Application,
                   user: User) -> None:
    async for event in subscription:
        if ws.closed:
            return
        payload = await enriched(app, user, event.type, event.data)
        await ws.send_str(json.dumps({"type": event.type, "data": payload},
                                     separators=(",", ":")))
    # The hub dropped a subscriber too slow to keep up: the page reconnects and re-syncs.
    if not ws.closed:
        await ws.close(code=4000, message=b"too slow: reconnect")


# The topics a connection may ask for by name, and the role each needs. Both carry every
# agent's state and every caller's number, hence supervisors and administrators only.
OPTIONAL_TOPICS: dict[str, Role] = {INTEGRATIONS: Role.SUPERVISOR, SUPERVISION: Role.SUPERVISOR}


def _topics_for(user: User, asked: str) -> list[str]:
    """One's own topic always; supervision for supervisors and up; the named ones if allowed.
    An unknown name is a 400 and a forbidden one a 403, never silently dropped: an
    integrator must learn at once that the stream is not the one asked for."""
    topics = [agent_topic(user.id)]
    names = [part for part in (p.strip() for p in asked.split(",")) if part]
    # "own": a supervisor's agent console needs their own events, not the whole floor's.
    if user.role.at_least(Role.SUPERVISOR) and "own" not in names:
        topics.append(SUPERVISION)
    for name in names:
        if name == "own":
            continue
        needed = OPTIONAL_TOPICS.get(name)
        if needed is None:
            raise web.HTTPBadRequest(
                text=f"unknown topic {name[:40]!r}; known: own, {', '.join(OPTIONAL_TOPICS)}")
        if not user.role.at_least(needed):
            raise web.HTTPForbidden(text=f"the {name} topic needs the {needed.value} role")
        if name not in topics:
            topics.append(name)
    return topics


# Events about the agent themselves that change what their console shows: each carries the
# console's whole status (and a screen pop its whole record), so an offer costs the page no
# request of its own (issue 14, item 10).
OWN_EVENTS = frozenset({
    "call.offered", "screen.pop", "agent.state_changed", "agent.change_deferred",
    "call.answered", "call.ended", "offer.ended", "call.transferred", "supervisor.action",
    "external.connected", "call.held", "call.resumed", "agent.muted", "agent.phone_changed",
})


async def enriched(app: web.Application, user: User, type_: str, data: dict[str, Any]
                   ) -> dict[str, Any]:
    """The event's data with what the pages would otherwise ask for: phone numbers in the
    centre's format and, for the agent's own events, their console status and screen pop.
    The hub's data is shared by every subscriber: it is copied, never changed."""
    from web.api.agent import console_status, pop_payload

    out = dict(data)
    try:
        _display_numbers(out, app[SETTINGS_KEY].default_region)
        if type_ in OWN_EVENTS and user.id in (data.get("agent_id"), data.get("from_agent_id")):
            out["status"] = (await console_status(app, user.id)).model_dump(mode="json")
            if type_ == "screen.pop":
                out["pop"] = (await pop_payload(app, data)).model_dump(mode="json")
    except Exception:  # a missing extra must not cost the page the event itself
        log.exception("could not complete a %s event for user %s", type_, user.id)
    return out


def _display_numbers(data: dict[str, Any], region: str) -> None:
    if "caller_number" in data:
        data["caller_display"] = phone_display(str(data["caller_number"] or ""), region)
    if isinstance(data.get("entries"), list):  # queue.changed
        data["entries"] = [{**entry, "caller_display": phone_display(
            str(entry.get("caller_number") or ""), region)} for entry in data["entries"]]


async def _snapshot(app: web.Application, user: User, topics: list[str]) -> dict[str, Any]:
    from web.api.agent import console_status, pop_payload

    acd = app[RUNTIME_KEY]
    if acd is None:
        return {"acd": False}
    region = app[SETTINGS_KEY].default_region
    if SUPERVISION in topics:
        snap = acd.snapshot()
        for call in snap["calls"]:
            _display_numbers(call, region)
        return {"acd": True, **snap}
    view = acd.agent(user.id)
    call = acd.call(view.call_id) if view is not None and view.call_id else None
    status = await console_status(app, user.id)
    pop = await pop_payload(app, to_json(call)) if call is not None else None
    return {"acd": True, "agent": to_json(view), "call": to_json(call),
            "status": status.model_dump(mode="json"),
            "pop": pop.model_dump(mode="json") if pop else None}


def _same_origin(request: web.Request) -> bool:
    """The page that opens the socket is ours: same scheme, host and port. Behind an HTTPS
    proxy (cookie_secure) the scheme must be https even though the proxy talks http to us:
    a page injected into the plain-http site must not ride the secure cookie."""
    origin = request.headers.get("Origin")
    if not origin:
        return True  # not a browser page (scripts, tests)
    parts = urlsplit(origin)
    schemes = {"https"} if request.app[SETTINGS_KEY].cookie_secure else {request.scheme}
    return parts.scheme in schemes and parts.netloc == request.host and not parts.path


async def _pause_lost_agent(app: web.Application, user_id: int, tracker: Presence) -> None:
    tracker.pending.pop(user_id, None)
    acd = app[RUNTIME_KEY]
    if acd is None or tracker.pages.get(user_id):
        return
    view = acd.logged_in_agent(user_id)
    if view is None or view.state.value == "paused":
        return
    log.warning("agent %s lost their console page: pausing them", user_id)
    try:
        await acd.pause(user_id, LOST_PAGE_REASON)
    except Exception as exc:  # an agent on a call gets the pause deferred, or refused
        log.info("could not pause agent %s: %s", user_id, exc)
