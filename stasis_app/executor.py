"""Engine commands → ARI requests.

Every channel and bridge is created with the id the engine minted (R-ids), so an event that
arrives before the HTTP reply already finds its leg in the registry. Agent and outbound legs
are *originated* into the app: their StasisStart means "answered", their ringing shows as a
Dial RINGING / ChannelStateChange, and a leg that never answers only gets ChannelDestroyed.
The ring timeout passed to Asterisk is a safety net a little longer than the engine's own
timer, which is what really decides (R-timers).

A request that fails because the channel is already gone (404, or 409/422 "not in Stasis")
is not an error here: the hang-up event that explains it is on its way to the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from itertools import count

from stasis_app.acd import inputs as i
from stasis_app.acd import outputs as o
from stasis_app.acd.model import FailReason
from stasis_app.ari import AriClient, AriError, AriNotFound
from stasis_app.registry import LegKind, Registry
from stasis_app.translate import LEG_ARG

log = logging.getLogger(__name__)

ASTERISK_TIMEOUT_MARGIN_S = 5
# Asterisk sets PJSIP transfer handling per channel: with ari-only, a transfer pressed on the
# phone reaches the app as ChannelTransfer instead of being done behind its back (R-transfer).
AGENT_LEG_VARIABLES = {"PJSIP_TRANSFER_HANDLING()": "ari-only"}


class CommandExecutor:
    def __init__(
        self,
        client: AriClient,
        registry: Registry,
        submit: Callable[[i.Input], None],
        clock: Callable[[], float],
        *,
        agent_dial: str,
        outbound_dial: str,
        outbound_caller_id: str = "",
        set_transfer_handling: bool = True,
    ) -> None:
        self._ari = client
        self._reg = registry
        self._submit = submit
        self._clock = clock
        self._agent_dial = agent_dial
        self._outbound_dial = outbound_dial
        self._outbound_caller_id = outbound_caller_id
        # Only PJSIP channels know the function; on others Asterisk logs an error per call.
        pjsip = agent_dial.upper().startswith("PJSIP/")
        self._leg_variables = AGENT_LEG_VARIABLES if set_transfer_handling and pjsip else None
        self._playback_ids = count(1)
        # Originates in flight, by leg id. A new leg does not wait behind its caller's answer
        # and music on hold (they are other channels); whatever later acts on the leg waits
        # for its originate instead, so a cancel never overtakes the ring it cancels.
        self._originating: dict[str, asyncio.Task[None]] = {}
        self._created_bridges: set[str] = set()

    async def execute(self, command: o.Command) -> None:
        handler = getattr(self, "_" + type(command).__name__, None)
        if handler is None:
            log.error("no ARI translation for %r", command)
            return
        if isinstance(command, (o.OriginateAgent, o.DialOutbound)):
            self.originate_now(command)
            return
        await self._legs_originated(command)
        await self._run(handler, command)

    def originate_now(self, command: o.OriginateAgent | o.DialOutbound) -> None:
        """Send a leg's originate at once, in its own task; registered before it is sent."""
        if isinstance(command, o.OriginateAgent):
            leg_id, handler = command.offer_id, self._OriginateAgent
        else:
            leg_id, handler = command.leg_id, self._DialOutbound
        task = asyncio.create_task(self._run(handler, command), name=f"originate-{leg_id}")
        self._originating[leg_id] = task
        task.add_done_callback(lambda _: self._originating.pop(leg_id, None))

    async def idle(self) -> None:
        """Every originate sent (tests, shutdown)."""
        while self._originating:
            await asyncio.gather(*self._originating.values(), return_exceptions=True)

    async def _legs_originated(self, command: o.Command) -> None:
        legs = [getattr(command, name, None) for name in ("offer_id", "leg_id")]
        legs += list(getattr(command, "leg_ids", ()))
        pending = [self._originating[leg] for leg in legs if leg in self._originating]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run(self, handler: Callable, command: o.Command) -> None:
        try:
            await handler(command)
        except AriNotFound:
            log.debug("%s: resource already gone", type(command).__name__)
        except AriError as exc:
            # addChannel answers 400 "Channel not found" when a leg hung up meanwhile.
            if exc.not_in_stasis or "not found" in (exc.message or "").lower():
                log.debug("%s: channel left Stasis meanwhile", type(command).__name__)
            else:
                log.warning("%s failed: %s", type(command).__name__, exc)

    # -- callers -------------------------------------------------------------------------

    async def _AnswerAndHold(self, cmd: o.AnswerAndHold) -> None:
        await self._ari.channels.answer(cmd.call_id)
        await self._ari.channels.start_moh(cmd.call_id, cmd.moh_class or None)

    async def _HoldCaller(self, cmd: o.HoldCaller) -> None:
        # Out of the agent's bridge (if any) and back on music, e.g. re-queued by a
        # force-reject or a blind transfer to a group.
        for bridge_id in self._reg.bridges_of(cmd.call_id):
            await self._ignore_gone(self._ari.bridges.remove_channel(bridge_id, cmd.call_id))
        await self._ari.channels.start_moh(cmd.call_id, cmd.moh_class or None)

    async def _HangupCall(self, cmd: o.HangupCall) -> None:
        await self._ari.channels.hangup(cmd.call_id, reason="normal")

    async def _PlayAndHangup(self, cmd: o.PlayAndHangup) -> None:
        playback_id = f"{cmd.call_id}-play-{next(self._playback_ids)}"
        self._reg.playbacks[playback_id] = cmd.call_id
        await self._ignore_gone(self._ari.channels.stop_moh(cmd.call_id))
        try:
            await self._ari.request(
                "POST",
                f"/channels/{cmd.call_id}/play/{playback_id}",
                params={"media": cmd.media},
            )
        except AriError:
            # No message can be played: say goodbye by hanging up rather than leave the
            # caller in silence.
            self._reg.playbacks.pop(playback_id, None)
            await self._ari.channels.hangup(cmd.call_id, reason="normal")

    # -- legs ----------------------------------------------------------------------------

    async def _OriginateAgent(self, cmd: o.OriginateAgent) -> None:
        self._reg.add_leg(cmd.offer_id, cmd.call_id, LegKind.AGENT)
        caller_id = _caller_id(cmd.caller_name, cmd.caller_number)
        try:
            await self._ari.channels.originate(
                self._agent_dial.format(extension=cmd.extension),
                channel_id=cmd.offer_id,
                other_channel_id=cmd.offer_id + "-2",
                app_args=f"{LEG_ARG},{cmd.offer_id}",
                caller_id=caller_id,
                timeout=int(cmd.timeout_s) + ASTERISK_TIMEOUT_MARGIN_S,
                variables=self._leg_variables,
            )
        except AriError as exc:
            log.warning("ringing agent %s at %s failed: %s", cmd.agent_id, cmd.extension, exc)
            self._leg_failed(cmd.offer_id)

    async def _DialOutbound(self, cmd: o.DialOutbound) -> None:
        self._reg.add_leg(cmd.leg_id, cmd.call_id, LegKind.OUTBOUND)
        try:
            await self._ari.channels.originate(
                self._outbound_dial.format(number=cmd.number),
                channel_id=cmd.leg_id,
                other_channel_id=cmd.leg_id + "-2",
                app_args=f"{LEG_ARG},{cmd.leg_id}",
                caller_id=cmd.caller_id or self._outbound_caller_id or None,
                timeout=int(cmd.timeout_s) + ASTERISK_TIMEOUT_MARGIN_S,
            )
        except AriError as exc:
            log.warning("dialing %s failed: %s", cmd.number, exc)
            self._leg_failed(cmd.leg_id)

    async def _CancelOffer(self, cmd: o.CancelOffer) -> None:
        await self._ari.channels.hangup(cmd.offer_id, reason="normal")

    async def _HangupLeg(self, cmd: o.HangupLeg) -> None:
        await self._ari.channels.hangup(cmd.leg_id, reason="normal")

    # -- bridges -------------------------------------------------------------------------

    async def _ConnectCall(self, cmd: o.ConnectCall) -> None:
        # Independent requests, sent together: one round trip less before the two talk.
        await asyncio.gather(
            self._ignore_gone(self._ari.channels.stop_moh(cmd.call_id)),
            self._ensure_bridge(cmd.bridge_id, cmd.call_id),
        )
        # A caller still in another bridge of ours is moved by addChannel alone (traces:
        # queue-move-without-remove): ChannelLeftBridge then ChannelEnteredBridge.
        await self._ari.bridges.add_channel(cmd.bridge_id, [cmd.call_id, cmd.leg_id])

    async def _ConnectLegs(self, cmd: o.ConnectLegs) -> None:
        call_id = self._reg.call_of(cmd.leg_ids[0]) or cmd.bridge_id
        for leg_id in cmd.leg_ids:
            if leg_id in self._reg.callers:
                await self._ignore_gone(self._ari.channels.stop_moh(leg_id))
        await self._ensure_bridge(cmd.bridge_id, call_id)
        await self._ari.bridges.add_channel(cmd.bridge_id, list(cmd.leg_ids))

    async def _DestroyBridge(self, cmd: o.DestroyBridge) -> None:
        self._reg.bridges.pop(cmd.bridge_id, None)
        if cmd.bridge_id in self._created_bridges:
            self._created_bridges.discard(cmd.bridge_id)
            await self._ari.bridges.destroy(cmd.bridge_id)

    async def _ensure_bridge(self, bridge_id: str, call_id: str) -> None:
        if bridge_id in self._created_bridges:
            return
        self._created_bridges.add(bridge_id)
        self._reg.add_bridge(bridge_id, call_id)
        await self._ari.bridges.create(bridge_id, type="mixing", name=f"call-{call_id}"[:64])

    # -- helpers -------------------------------------------------------------------------

    def _leg_failed(self, leg_id: str) -> None:
        leg = self._reg.legs.get(leg_id)
        if leg is None or leg.ended:
            return
        leg.ended = True
        now = self._clock()
        if leg.kind is LegKind.AGENT:
            self._submit(i.OfferFailed(now=now, offer_id=leg_id, reason=FailReason.FAILED))
        else:
            self._submit(i.OutboundFailed(now=now, leg_id=leg_id, reason="failed"))

    @staticmethod
    async def _ignore_gone(request: asyncio.Future | object) -> None:
        try:
            await request  # type: ignore[misc]
        except AriNotFound:
            pass
        except AriError as exc:
            if not exc.not_in_stasis and exc.status not in (409, 422):
                raise


def _caller_id(name: str, number: str) -> str | None:
    if not number and not name:
        return None
    clean_name = name.replace('"', "").replace("<", "").replace(">", "")
    return f'"{clean_name}" <{number}>' if clean_name else f"<{number}>"
