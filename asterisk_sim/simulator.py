"""The Simulator: wires the engine, phones, callers and generator to one aiohttp server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import ari_rest, ari_ws, control_api
from .callers import CallerManager, SimCall
from .dialplan import Dialplan
from .engine import Engine
from .errors import AriError
from .generator import CallGenerator, GeneratorConfig
from .phones import Behaviour, Phone, PhoneBook
from .scheduler import Scheduler

EventListener = Callable[[str, dict[str, Any], bool], None]
RestListener = Callable[[str, str, int, Any], None]


class PhoneHandle:
    """`sim.phone(ext)`: drive one simulated phone from Python."""

    def __init__(self, sim: Simulator, ext: str) -> None:
        self._sim = sim
        self.ext = ext

    @property
    def info(self) -> Phone:
        phone = self._sim.phones.get(self.ext)
        if phone is None:
            raise KeyError(self.ext)
        return phone

    @property
    def state(self) -> str:
        return self.info.state

    @property
    def channel_id(self) -> str | None:
        return self.info.channel_id

    def answer(self) -> None:
        self._sim.engine.phone_answer(self.ext)

    async def answer_when_ringing(self, timeout: float = 8.0) -> None:
        """Answer as soon as the phone rings. The ACD turns an agent "ringing" when it
        decides to offer, a moment before its originate reaches the phone: a test that
        answered on the ACD's word alone raced that request."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.info.state != "ringing":
            if loop.time() > deadline:
                raise AssertionError(f"phone {self.ext} did not ring within {timeout} s "
                                     f"(state {self.info.state})")
            await asyncio.sleep(0.01)
        self.answer()

    def reject(self) -> None:
        self._sim.engine.phone_reject(self.ext)

    def busy(self) -> None:
        self._sim.engine.phone_reject(self.ext, cause=17)

    def hangup(self) -> None:
        self._sim.engine.phone_hangup(self.ext)

    def set_behaviour(self, behaviour: Behaviour | str, answer_delay: float | None = None) -> None:
        self._sim.phones.add(self.ext, behaviour, answer_delay)


class Simulator:
    """A simulated Asterisk 22 speaking ARI on loopback, with simulated phones.

    ``time_scale`` multiplies every simulated delay (0.1 runs the world ten
    times faster); ``seed`` makes the call generator reproducible.
    """

    def __init__(
        self,
        user: str = "asterisk",
        password: str = "asterisk",
        app_for_inbound: str = "prowebcrm",
        time_scale: float = 1.0,
        seed: int | None = None,
        asterisk_id: str = "02:00:00:5e:00:01",
        dialplan: Dialplan | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.inbound_app = app_for_inbound
        self.scheduler = Scheduler(time_scale)
        self.phones = PhoneBook()
        self.engine = Engine(
            self.scheduler,
            self.phones,
            lambda: self.inbound_app,
            asterisk_id=asterisk_id,
            dialplan=dialplan,
        )
        self.callers = CallerManager(self.engine, self.scheduler)
        self.generator = CallGenerator(self.scheduler, self._generated_call, seed=seed)
        self.rest_listeners: list[RestListener] = []
        self._sockets: set[ari_ws.EventSocket] = set()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # ------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_header(self) -> str:
        """An `Authorization` header value for this simulator's credentials."""
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ari/events"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(ari_rest.build_routes(self))
        app.add_routes(control_api.build_routes(self))
        app.router.add_get("/ari/events", self._events)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        # the port really bound (port 0 asks the system for a free one)
        self.host, self.port = self._runner.addresses[0][:2]

    async def stop(self) -> None:
        """Close every WebSocket, cancel every timer; nothing is left running."""
        self.generator.stop()
        self.scheduler.cancel_all()
        for sock in list(self._sockets):
            sock.close_soon()
            with contextlib.suppress(Exception):
                await sock.ws.close()
        self._sockets.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.scheduler.cancel_all()  # anything a closing socket scheduled

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------
    # Python control API
    # ------------------------------------------------------------------
    def phone(self, ext: str) -> PhoneHandle:
        if self.phones.get(ext) is None:
            raise KeyError(f"no phone {ext}")
        return PhoneHandle(self, ext)

    def place_inbound_call(
        self,
        group: str,
        caller_number: str,
        caller_name: str = "",
        *,
        app: str | None = None,
        talk_time: float | None = None,
        patience: float | None = None,
    ) -> str:
        """Place a customer call into Stasis(<app>,inbound,<group>); returns the
        id of the channel the app sees (the Local ;2 half)."""
        return self.callers.place(group, caller_number, caller_name, app, talk_time, patience).id

    def call(self, call_id: str) -> SimCall:
        return self.callers.calls[call_id]

    def hangup_call(self, call_id: str) -> None:
        """The customer hangs up (customer-hangup-first trace)."""
        self.callers.hangup(call_id)

    def configure_generator(self, **config: Any) -> None:
        self.generator.configure(GeneratorConfig.from_json(config))

    def snapshot(self) -> dict[str, Any]:
        snap = self.engine.snapshot()
        snap["calls"] = [c.to_json() for c in self.callers.calls.values()]
        snap["generator"] = self.generator.status()
        snap["websockets"] = len(self._sockets)
        snap["timers"] = self.scheduler.pending
        return snap

    def add_event_listener(self, fn: EventListener) -> Callable[[], None]:
        """Call fn(app, event, delivered) for every event the simulator emits;
        `delivered` is False when the app had no WebSocket (event dropped)."""
        self.engine.registry.listeners.append(fn)
        return lambda: self.engine.registry.listeners.remove(fn)

    def add_rest_listener(self, fn: RestListener) -> Callable[[], None]:
        """Call fn(method, path, status, body) for every /ari REST reply."""
        self.rest_listeners.append(fn)
        return lambda: self.rest_listeners.remove(fn)

    def _generated_call(
        self, group: str, number: str, talk: float | None, patience: float | None
    ) -> None:
        self.callers.place(group, number, talk_time=talk, patience=patience)

    # ------------------------------------------------------------------
    # HTTP plumbing
    # ------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                return False
            return decoded == f"{self.user}:{self.password}"
        api_key = request.query.get("api_key")
        return api_key is not None and unquote(api_key) == f"{self.user}:{self.password}"

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        path = request.path
        if not (path.startswith("/ari") or path.startswith("/sim")):
            return await handler(request)
        resp: web.StreamResponse
        if not self._authorized(request):
            resp = ari_rest.reply(401, {"message": "Authentication required"})
            resp.headers["WWW-Authenticate"] = 'Basic realm="Asterisk REST Interface"'
            return resp
        try:
            resp = await handler(request)
        except AriError as err:
            resp = ari_rest.reply(err.status, {"message": err.message})
        except web.HTTPMethodNotAllowed:
            resp = ari_rest.reply(405, {"message": "Invalid method"})
        except web.HTTPNotFound:
            resp = ari_rest.reply(404, {"message": "Resource not found"})
        if path.startswith("/ari") and isinstance(resp, web.Response):
            body = resp.get(ari_rest.ARI_BODY)
            for listener in list(self.rest_listeners):
                listener(request.method, path, resp.status, body)
        return resp

    async def _events(self, request: web.Request) -> web.StreamResponse:
        return await ari_ws.events_handler(self, request)


async def run_forever(host: str = "127.0.0.1", port: int = 8088, **kwargs: Any) -> None:
    """Run a simulator until cancelled (used by `python -m asterisk_sim`)."""
    sim = Simulator(**kwargs)
    await sim.start(host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()
