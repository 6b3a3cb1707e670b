"""Phones the test drives by hand, over real SIP.

An extension of the ``driven`` range is a PJSIP endpoint whose contact is Asterisk itself:
ringing it sends a real INVITE that comes back in as the ``loop`` endpoint and enters this
driver's own Stasis app (``<app>-driver``). The driver then rings, answers, declines (603),
reports busy (486) or hangs up that far end on command, so the agent leg the ACD originated
sees exactly what a desk phone would send.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from stasis_app.ari import AriClient, AriError
from stasis_app.ari import events as ev


@dataclass
class DrivenCall:
    channel_id: str
    ext: str
    caller_number: str
    answered: bool = False
    ended: bool = False


@dataclass
class DrivenPhones:
    url: str
    user: str
    password: str
    app: str
    ring_at_once: bool = True
    calls: dict[str, DrivenCall] = field(default_factory=dict)  # channel id -> call
    _client: AriClient | None = None

    async def start(self) -> None:
        self._client = AriClient(self.url, self.user, self.password, self.app)
        self._client.on_event(self._on_event)
        await self._client.start(takeover=True)

    async def stop(self) -> None:
        if self._client is not None:
            for call in list(self.calls.values()):
                if not call.ended:
                    with contextlib.suppress(AriError):
                        await self._client.channels.hangup(call.channel_id)
            await self._client.close()

    async def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.StasisStart) and event.args[:1] == ("phone",):
            ext = event.args[1] if len(event.args) > 1 else ""
            number = event.channel.caller.number if event.channel.caller else ""
            self.calls[event.channel.id] = DrivenCall(event.channel.id, ext, number)
            if self.ring_at_once and self._client is not None:
                with contextlib.suppress(AriError):
                    await self._client.channels.ring(event.channel.id)
        elif isinstance(event, (ev.StasisEnd, ev.ChannelDestroyed)):
            call = self.calls.get(event.channel.id)
            if call is not None:
                call.ended = True

    def ringing(self, ext: str) -> DrivenCall | None:
        for call in self.calls.values():
            if call.ext == ext and not call.ended:
                return call
        return None

    async def wait_ringing(self, ext: str, timeout: float = 8.0) -> DrivenCall:
        deadline = asyncio.get_running_loop().time() + timeout
        while (call := self.ringing(ext)) is None:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"phone {ext} never rang")
            await asyncio.sleep(0.02)
        return call

    async def answer(self, ext: str) -> None:
        call = await self.wait_ringing(ext)
        assert self._client is not None
        await self._client.channels.answer(call.channel_id)
        call.answered = True

    async def hangup(self, ext: str, reason: str = "normal") -> None:
        call = await self.wait_ringing(ext)
        assert self._client is not None
        await self._client.channels.hangup(call.channel_id, reason=reason)  # type: ignore[arg-type]

    async def decline(self, ext: str) -> None:
        await self.hangup(ext, "rejected")

    async def busy(self, ext: str) -> None:
        await self.hangup(ext, "busy")
