"""Engine commands → ARI requests.

Every channel and bridge is created with the id the engine minted (R-ids), so an event that
arrives before the HTTP reply already finds its leg in the registry. Agent and outbound legs
are *originated* into the app: their StasisStart means "answered", their ringing shows as a
Dial RINGING / ChannelStateChange, and a leg that never answers only gets ChannelDestroyed.
The ring timeout passed to Asterisk is a safety net a little longer than the engine's own
timer, which is what really decides (R-timers).

Waiting callers sit in their group's *holding bridge* (``pwq-<group id>``), which plays the
group's music once for all of them: no music generator per caller, and a caller moves to its
agent with one ``addChannel``. A call's mixing bridge is created while the agent's phone
rings, so the answer costs that single request. Both ids are deterministic, so a restarted
process finds its queues and calls in Asterisk.

A request that fails because the channel is already gone (404, or 409/422 "not in Stasis")
is not an error here: the hang-up event that explains it is on its way to the engine. Any
other failure (Asterisk busy, a timeout) is retried when harmless, and otherwise becomes an
engine input, so the engine's picture never drifts from Asterisk's.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

from stasis_app.acd import inputs as i
from stasis_app.acd import outputs as o
from stasis_app.acd.model import FailReason
from stasis_app.ari import REQUEST_RANK, AriClient, AriError, AriNotFound, AriUnavailable
from stasis_app.registry import Leg, LegKind, Registry
from stasis_app.translate import LEG_ARG

log = logging.getLogger(__name__)

ASTERISK_TIMEOUT_MARGIN_S = 5
REFUSED_VARIABLE = "PROWEBCRM_REFUSED"
HOLDING_PREFIX = "pwq-"  # + group id: the group's holding bridge, kept while the group exists
RETRY_DELAYS_S = (0.2, 0.5, 1.0)  # a request Asterisk did not serve is tried again this often
UNREACHABLE_RETRY_S = 1.0  # then, while Asterisk cannot be reached at all, this often
UNREACHABLE_PATIENCE_S = 60.0  # for so long (an ARI link cut, Asterisk restarting)
EARLY_STASIS_WAITS_S = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, None)  # a created channel's StasisStart
# Asterisk sets PJSIP transfer handling per channel: with ari-only, a transfer pressed on the
# phone reaches the app as ChannelTransfer instead of being done behind its back (R-transfer).
# Asterisk 22's ari-only REFER (res_pjsip_refer.c, refer_incoming_ari_request) publishes the
# ChannelTransfer event before it stores the state its progress frame hook reads: an answer
# (transfer_progress) that lands in between dereferences a null pointer and Asterisk crashes,
# taking every call with it. The phone hears the outcome this much later, never in that window.
TRANSFER_ANSWER_AFTER_S = 0.25
AGENT_LEG_VARIABLES = {"PJSIP_TRANSFER_HANDLING()": "ari-only"}
# The sample dialplan's hang-up handler ([prowebcrm-hangup]) notes when a channel ends, in a
# global the runtime reads after a restart or a lost link. The dialplan pushes it on callers;
# the app pushes it on the agents' legs it places, so that a conversation whose agent hung up
# while no process watched is recorded as ending then, not when the next process found the
# caller alone. The legs' ends go to a list of their own (the argument), so they never push
# callers' ends out of Asterisk's capped list (a dialplan older than this ignores it).
LEG_ENDS = "PROWEBCRM_LEG_ENDS"
LEG_HANGUP_HANDLER = {"CHANNEL(hangup_handler_push)": f"prowebcrm-hangup,s,1({LEG_ENDS})"}


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
        self._leg_variables = {**LEG_HANGUP_HANDLER, **(
            AGENT_LEG_VARIABLES if set_transfer_handling and pjsip else {})}
        self._playback_ids = count(1)
        # Originates in flight, by leg id. A new leg does not wait behind its caller's answer
        # and music on hold (they are other channels); whatever later acts on the leg waits
        # for its originate instead, so a cancel never overtakes the ring it cancels.
        self._originating: dict[str, asyncio.Task[None]] = {}
        # Bridges being created or created, by id: whoever needs one awaits its creation.
        # bridge id -> done when Asterisk has the bridge (its result is not used)
        self._bridges: dict[str, asyncio.Future[Any]] = {}
        self._holding: dict[int, asyncio.Task[str]] = {}  # group id -> its holding bridge
        self._early: dict[str, set[str]] = {}  # bridge -> legs put in it before an answer
        self._own_music: set[str] = set()  # callers on music of their own (not in a bridge)
        self._waiting_in: dict[str, int] = {}  # caller -> group whose holding bridge it is in
        self._patient = True  # waits out an unreachable Asterisk (not while stopping)
        # One table from command type to what it does in Asterisk (tests/ari checks that
        # every command the engine can emit has one).
        self.handlers: dict[type[o.Command], Callable[[Any], Awaitable[None]]] = {
            o.AnswerAndHold: self._AnswerAndHold, o.HoldCaller: self._HoldCaller,
            o.HangupCall: self._HangupCall, o.ReturnToDialplan: self._ReturnToDialplan,
            o.PlayAndHangup: self._PlayAndHangup, o.OriginateAgent: self._OriginateAgent,
            o.DialOutbound: self._DialOutbound, o.MuteLeg: self._MuteLeg,
            o.SendDtmf: self._SendDtmf, o.CancelOffer: self._CancelOffer,
            o.HangupLeg: self._HangupLeg, o.ConnectCall: self._ConnectCall,
            o.ConnectLegs: self._ConnectLegs, o.DestroyBridge: self._DestroyBridge,
            o.TransferProgress: self._TransferProgress, o.RingPhone: self._RingPhone,
        }

    @staticmethod
    def holding_bridge_id(group_id: int) -> str:
        return f"{HOLDING_PREFIX}{group_id}"

    async def execute(self, command: o.Command) -> None:
        handler = self.handlers.get(type(command))
        if handler is None:
            log.error("no ARI translation for %r", command)
            return
        if isinstance(command, (o.OriginateAgent, o.DialOutbound)):
            self.originate_now(command)
            return
        await self._legs_originated(command)
        await self._run(handler, command)

    def originate_now(self, command: o.OriginateAgent | o.DialOutbound) -> None:
        """Send a leg's originate at once, in its own task; registered before it is sent.
        An agent's leg also gets its call's bridge made meanwhile."""
        handler: Callable[[Any], Awaitable[None]]
        if isinstance(command, o.OriginateAgent):
            leg_id, handler = command.offer_id, self._OriginateAgent
            if command.bridge_id:
                self._bridge(command.bridge_id, command.call_id)
        else:
            leg_id, handler = command.leg_id, self._DialOutbound
        task = asyncio.create_task(self._run(handler, command), name=f"originate-{leg_id}")
        self._originating[leg_id] = task
        task.add_done_callback(lambda _: self._originating.pop(leg_id, None))

    def stop_waiting(self) -> None:
        """Stopping: a request Asterisk cannot be reached for is not tried for long (the calls
        stay in Asterisk for the next process)."""
        self._patient = False

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

    async def _run(self, handler: Callable[[Any], Awaitable[None]], command: o.Command
                   ) -> None:
        name = type(command).__name__
        # The call's requests go before newer calls' (stasis_app.ari.rest_pool); this runs in
        # its own task (the call's worker or the leg's originate), so the mark stays here.
        REQUEST_RANK.set(self._reg.arrival_of(self._reg.call_of_command(command)))
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                await handler(command)
                return
            except AriError as exc:
                if _gone(exc) and not _bridge_lost(command, exc):
                    log.debug("%s: resource already gone (%s)", name, exc)
                    return
                delay = self._retry_delay(command, exc, attempt, time.monotonic() - started)
                if delay is None:
                    log.warning("%s failed after %d attempt(s): %s", name, attempt, exc)
                    self._failed(command)
                    return
                log.log(logging.INFO if attempt <= len(RETRY_DELAYS_S) else logging.DEBUG,
                        "%s failed (%s): trying again in %.1f s", name, exc, delay)
            await asyncio.sleep(delay)

    def _retry_delay(self, command: o.Command, exc: AriError, attempt: int,
                     waited_s: float) -> float | None:
        """How long before the next try, or None to give up and tell the engine."""
        if not self._retryable(command):
            return None
        if attempt <= len(RETRY_DELAYS_S):
            return RETRY_DELAYS_S[attempt - 1]
        # Asterisk not reached at all (the link is down, the proxy or Asterisk restarting):
        # nothing was refused, and giving up would end a waiting caller over a network blip.
        # Its hang-up, if it went meanwhile, answers the next try with a 404.
        if self._patient and isinstance(exc, AriUnavailable) and (
                waited_s < UNREACHABLE_PATIENCE_S):
            return UNREACHABLE_RETRY_S
        return None

    @staticmethod
    def _retryable(command: o.Command) -> bool:
        # An originate or a bridge move is never resent blindly: the first may have been
        # carried out after all (a timeout); the engine decides what to do instead.
        return not isinstance(command, (o.OriginateAgent, o.DialOutbound, o.ConnectCall,
                                        o.ConnectLegs))

    def _failed(self, command: o.Command) -> None:
        """What Asterisk could not do becomes an engine input (never only a log line)."""
        if not self._patient:
            return  # stopping: the engine takes no more input; the next process takes over
        now = self._clock()
        if isinstance(command, o.ConnectCall):
            self._submit(i.ConnectFailed(now=now, call_id=command.call_id,
                                         leg_id=command.leg_id))
        elif isinstance(command, o.ConnectLegs):
            call_id = self._reg.call_of(command.leg_ids[0])
            if call_id is not None:
                self._submit(i.ConnectFailed(now=now, call_id=call_id,
                                             leg_id=command.leg_ids[-1]))
        elif isinstance(command, (o.AnswerAndHold, o.HoldCaller, o.PlayAndHangup)):
            self._submit(i.HoldFailed(now=now, call_id=command.call_id))
        # Hang-ups and bridge removals that kept failing are left to the periodic reconcile,
        # which compares the engine with Asterisk and ends what is left.

    # -- callers -------------------------------------------------------------------------

    async def _AnswerAndHold(self, cmd: o.AnswerAndHold) -> None:
        caller = self._reg.callers.get(cmd.call_id)
        if caller is None or not caller.answered:  # one request less when an IVR answered
            await self._ari.channels.answer(cmd.call_id)
            if caller is not None:
                caller.answered = True
        if cmd.hold:
            await self._wait(cmd.call_id, cmd.group_id, cmd.moh_class)

    async def _HoldCaller(self, cmd: o.HoldCaller) -> None:
        await self._wait(cmd.call_id, cmd.group_id, cmd.moh_class)

    async def _wait(self, call_id: str, group_id: int | None, moh_class: str) -> None:
        """The caller waits: in its group's holding bridge (one addChannel, which also takes it
        out of the bridge it was in), or out of every bridge on music of its own."""
        if group_id is not None:
            bridge_id = await self.holding_bridge(group_id, moh_class)
            if call_id in self._own_music:
                self._own_music.discard(call_id)
                await self._ignore_gone(self._ari.channels.stop_moh(call_id))
            await self._ari.bridges.add_channel(bridge_id, call_id)
            self._waiting_in[call_id] = group_id
            return
        bridges = self._reg.bridges_of(call_id)
        holding = self._waiting_in.pop(call_id, None)
        if holding is not None:
            bridges.append(self.holding_bridge_id(holding))
        for bridge_id in bridges:
            await self._ignore_gone(self._ari.bridges.remove_channel(bridge_id, call_id))
        await self._ari.channels.start_moh(call_id, moh_class or None)
        self._own_music.add(call_id)

    def adopt_waiting(self, call_id: str, group_id: int) -> None:
        """A caller found in a group's holding bridge after a restart."""
        self._waiting_in[call_id] = group_id

    def adopt_held(self, call_id: str) -> None:
        """A caller found on hold (on its own music) after a restart: resuming stops it."""
        self._own_music.add(call_id)

    def adopt_bridge(self, bridge_id: str, call_id: str) -> None:
        """A call's bridge found in Asterisk after a restart: ours to use and destroy."""
        self._reg.add_bridge(bridge_id, call_id)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        self._bridges[bridge_id] = done

    def forget(self, call_id: str) -> None:
        """The call is over: drop what was kept of it."""
        self._own_music.discard(call_id)
        self._waiting_in.pop(call_id, None)

    def holding_bridge(self, group_id: int, moh_class: str, *, again: bool = False
                       ) -> asyncio.Task[str]:
        """The group's holding bridge, created (with its music) once; callers await it.
        ``again``: Asterisk lost it (it restarted): make it anew."""
        task = self._holding.get(group_id)
        if again and task is not None and task.done():
            task = None
        if task is None or (task.done() and task.exception() is not None):
            task = self._holding[group_id] = asyncio.ensure_future(
                self._make_holding(group_id, moh_class))
        return task

    async def _make_holding(self, group_id: int, moh_class: str) -> str:
        bridge_id = self.holding_bridge_id(group_id)
        try:
            await self._ari.bridges.create(bridge_id, type="holding", name=f"queue-{group_id}")
        except AriError as exc:
            if exc.status != 409:  # 409: it exists already (kept across a restart)
                raise
        try:
            await self._ari.bridges.start_moh(bridge_id, moh_class or None)
        except AriError as exc:
            if exc.status != 409:
                raise
        return bridge_id

    async def _HangupCall(self, cmd: o.HangupCall) -> None:
        await self._ari.channels.hangup(cmd.call_id, reason="normal")

    async def _ReturnToDialplan(self, cmd: o.ReturnToDialplan) -> None:
        # The dialplan goes on after Stasis() and reads why (sample: [refused]).
        self._waiting_in.pop(cmd.call_id, None)
        await self._music_off(cmd.call_id)
        await self._ari.channels.set_variable(cmd.call_id, REFUSED_VARIABLE, cmd.reason)
        await self._ari.channels.continue_in_dialplan(cmd.call_id)
        leg = self._reg.legs.get(cmd.call_id)
        if leg is not None and leg.phone:  # a phone's call the dialplan places: not ours
            del self._reg.legs[cmd.call_id]

    async def _PlayAndHangup(self, cmd: o.PlayAndHangup) -> None:
        playback_id = f"{cmd.call_id}-play-{next(self._playback_ids)}"
        self._reg.playbacks[playback_id] = cmd.call_id
        await self._out_of_bridges(cmd.call_id)
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

    async def _out_of_bridges(self, call_id: str) -> None:
        bridges = self._reg.bridges_of(call_id)
        holding = self._waiting_in.pop(call_id, None)
        if holding is not None:
            bridges.append(self.holding_bridge_id(holding))
        for bridge_id in bridges:
            await self._ignore_gone(self._ari.bridges.remove_channel(bridge_id, call_id))
        if call_id in self._own_music:
            self._own_music.discard(call_id)
            await self._ignore_gone(self._ari.channels.stop_moh(call_id))

    # -- legs ----------------------------------------------------------------------------

    async def _OriginateAgent(self, cmd: o.OriginateAgent) -> None:
        self._reg.add_leg(cmd.offer_id, cmd.call_id, LegKind.AGENT)
        caller_id = _caller_id(cmd.caller_name, cmd.caller_number)
        try:
            await self._ari.channels.originate(
                self._agent_dial.format(extension=cmd.extension),
                channel_id=cmd.offer_id,
                other_channel_id=cmd.offer_id + "-2",
                # Enough to re-adopt the call after a restart: the leg, its agent, its caller.
                app_args=f"{LEG_ARG},{cmd.offer_id},{cmd.agent_id},{cmd.call_id}",
                caller_id=caller_id,
                timeout=int(cmd.timeout_s) + ASTERISK_TIMEOUT_MARGIN_S,
                variables=self._leg_variables,
                originator=self._originator(cmd.call_id),
            )
        except AriError as exc:
            if originator_gone(exc):
                # The caller hung up while its agent's phone was being dialled: no failed
                # offer (no miss for the agent), the caller is gone.
                log.info("caller %s gone before its offer to agent %s", cmd.call_id,
                         cmd.agent_id)
                self._caller_gone(cmd.call_id, cmd.offer_id)
            elif endpoint_unreachable(exc):
                log.warning("agent %s's phone %s is unreachable: %s", cmd.agent_id,
                            cmd.extension, exc)
                self._leg_failed(cmd.offer_id, FailReason.UNREACHABLE)
            else:
                log.warning("ringing agent %s at %s failed: %s", cmd.agent_id, cmd.extension,
                            exc)
                self._leg_failed(cmd.offer_id)

    async def _DialOutbound(self, cmd: o.DialOutbound) -> None:
        leg = self._reg.add_leg(cmd.leg_id, cmd.call_id, LegKind.OUTBOUND)
        listener = self._reg.legs.get(cmd.listener or "")
        if listener is not None and listener.phone:
            # The agent dialled from the phone: it hears ringback while the number rings.
            await self._ignore_gone(self._ari.channels.ring(listener.leg_id))
        elif cmd.listener and cmd.early_bridge:
            await self._dial_early(cmd, leg)
            return
        try:
            await self._ari.channels.originate(
                self._dial_string(cmd),
                channel_id=cmd.leg_id,
                other_channel_id=cmd.leg_id + "-2",
                # No agent: an outside party (see _OriginateAgent for why the call is named).
                app_args=f"{LEG_ARG},{cmd.leg_id},,{cmd.call_id}",
                caller_id=cmd.caller_id or self._outbound_caller_id or None,
                timeout=int(cmd.timeout_s) + ASTERISK_TIMEOUT_MARGIN_S,
                # No originator here: Asterisk would copy the customer's name into the leg's
                # connected line, hence into From and P-Asserted-Identity next to the
                # company's number. The trunk's codec policy is the carrier's anyway.
            )
        except AriError as exc:
            log.warning("dialing %s failed: %s", cmd.number, exc)
            self._leg_failed(cmd.leg_id)

    async def _dial_early(self, cmd: o.DialOutbound, leg: Leg) -> None:
        """Create the number's channel, put it in a bridge with the agent who waits, then
        dial: Asterisk plays that agent the ringback (a ringing channel in a bridge with an
        answered one), and the far end's early media ("number not in service") reaches them.
        An originate would only hand the channel over once answered."""
        assert cmd.listener is not None and cmd.early_bridge is not None
        leg.early = True
        presented = cmd.caller_id or self._outbound_caller_id
        try:
            await self._ari.channels.create(
                self._dial_string(cmd),
                channel_id=cmd.leg_id,
                other_channel_id=cmd.leg_id + "-2",
                app_args=f"{LEG_ARG},{cmd.leg_id},,{cmd.call_id}",
                # The far end is shown to the agent's phone as the number it is.
                variables={"CALLERID(all)": f"<{cmd.number}>",
                           **({"CONNECTEDLINE(all,i)": presented} if presented else {})},
            )
            if presented:
                # Two channels in a bridge present each other's caller id (connected line):
                # the agent's leg carries the company's presentation for the outside world.
                await self._ari.channels.set_variable(cmd.listener, "CALLERID(all)", presented)
            await self._bridge(cmd.early_bridge, cmd.call_id)
            await self._add_once_in_stasis(cmd.early_bridge, [cmd.listener, cmd.leg_id])
            self._early[cmd.early_bridge] = {cmd.listener, cmd.leg_id}
            await self._ari.channels.dial(
                cmd.leg_id, timeout=int(cmd.timeout_s) + ASTERISK_TIMEOUT_MARGIN_S)
        except AriError as exc:
            log.warning("dialing %s failed: %s", cmd.number, exc)
            if not _gone(exc):
                await self._ignore_gone(self._ari.channels.hangup(cmd.leg_id))
            self._leg_failed(cmd.leg_id)

    async def _add_once_in_stasis(self, bridge_id: str, channel_ids: list[str]) -> None:
        """A created channel enters the app a moment after /channels/create answers (its
        StasisStart); until then Asterisk refuses it a bridge (422)."""
        for delay in EARLY_STASIS_WAITS_S:
            try:
                await self._ari.bridges.add_channel(bridge_id, channel_ids)
                return
            except AriError as exc:
                if not exc.not_in_stasis or delay is None:
                    raise
            await asyncio.sleep(delay)

    def _dial_string(self, cmd: o.DialOutbound) -> str:
        if cmd.internal:  # a colleague's phone, by its extension
            return self._agent_dial.format(extension=cmd.number)
        return self._outbound_dial.format(number=cmd.number)

    def _originator(self, call_id: str) -> str | None:
        """The caller's channel, so an agent's leg offers the caller's codec first and a phone
        that supports it answers with it: no transcoding between carrier and phone. A
        click-to-call has no caller channel (its call id names no channel): none then."""
        caller = self._reg.callers.get(call_id)
        return call_id if caller is not None and not caller.hung_up else None

    async def _MuteLeg(self, cmd: o.MuteLeg) -> None:
        # "in": what the leg sends into the bridge; the agent still hears the caller.
        if cmd.muted:
            await self._ari.channels.mute(cmd.leg_id, "in")
        else:
            await self._ari.channels.unmute(cmd.leg_id, "in")

    async def _SendDtmf(self, cmd: o.SendDtmf) -> None:
        # Asterisk's defaults (100 ms tones, 100 ms apart) suit IVRs and carriers alike.
        await self._ari.channels.send_dtmf(cmd.channel_id, cmd.digits)

    async def _CancelOffer(self, cmd: o.CancelOffer) -> None:
        await self._ari.channels.hangup(cmd.offer_id, reason="normal")

    async def _HangupLeg(self, cmd: o.HangupLeg) -> None:
        await self._ari.channels.hangup(cmd.leg_id, reason="normal")

    # -- bridges -------------------------------------------------------------------------

    async def _ConnectCall(self, cmd: o.ConnectCall) -> None:
        self._waiting_in.pop(cmd.call_id, None)
        await asyncio.gather(self._bridge(cmd.bridge_id, cmd.call_id),
                             self._music_off(cmd.call_id))
        # One request puts both in the call's bridge; a caller in a holding bridge is moved
        # by addChannel alone (traces: queue-move-without-remove).
        await self._ari.bridges.add_channel(cmd.bridge_id, [cmd.call_id, cmd.leg_id])

    async def _ConnectLegs(self, cmd: o.ConnectLegs) -> None:
        if set(cmd.leg_ids) <= self._early.pop(cmd.bridge_id, set()):
            return  # already together since the dial (early media)
        call_id = self._reg.call_of(cmd.leg_ids[0]) or cmd.bridge_id
        await asyncio.gather(self._bridge(cmd.bridge_id, call_id),
                             *(self._music_off(leg_id) for leg_id in cmd.leg_ids),
                             *(self._answer_phone(leg_id) for leg_id in cmd.leg_ids))
        await self._ari.bridges.add_channel(cmd.bridge_id, list(cmd.leg_ids))

    async def _answer_phone(self, leg_id: str) -> None:
        """A phone that dialled out waits unanswered (ringback): answered with its far end,
        so it is billed and gets media only once somebody is there."""
        leg = self._reg.legs.get(leg_id)
        if leg is not None and leg.phone:
            await self._ari.channels.answer(leg_id)

    async def _music_off(self, channel_id: str) -> None:
        if channel_id in self._own_music:
            self._own_music.discard(channel_id)
            await self._ignore_gone(self._ari.channels.stop_moh(channel_id))

    async def _RingPhone(self, cmd: o.RingPhone) -> None:
        await self._ari.channels.ring(cmd.channel_id)

    async def _TransferProgress(self, cmd: o.TransferProgress) -> None:
        # The call's later commands (the transferor's hangup) wait behind this one, so the
        # phone is still told before its channel goes.
        await asyncio.sleep(TRANSFER_ANSWER_AFTER_S)
        await self._ignore_gone(self._ari.channels.transfer_progress(cmd.channel_id,
                                                                     cmd.state.value))

    async def _DestroyBridge(self, cmd: o.DestroyBridge) -> None:
        self._early.pop(cmd.bridge_id, None)
        self._reg.bridges.pop(cmd.bridge_id, None)
        creation = self._bridges.pop(cmd.bridge_id, None)
        if creation is None:
            return
        try:
            await creation
        except AriError:
            return  # never made: nothing to destroy
        await self._ari.bridges.destroy(cmd.bridge_id)

    def _bridge(self, bridge_id: str, call_id: str) -> asyncio.Future[Any]:
        """The call's mixing bridge: created once (while the phone rings), awaited by all."""
        task = self._bridges.get(bridge_id)
        if task is None or (task.done() and task.exception() is not None):
            self._reg.add_bridge(bridge_id, call_id)
            ranked = contextvars.copy_context()
            ranked.run(REQUEST_RANK.set, self._reg.arrival_of(call_id))
            task = self._bridges[bridge_id] = asyncio.get_running_loop().create_task(
                self._ari.bridges.create(bridge_id, type="mixing", name=f"call-{call_id}"[:64]),
                context=ranked)
            task.add_done_callback(_log_failure)
        return task

    # -- helpers -------------------------------------------------------------------------

    def _caller_gone(self, call_id: str, leg_id: str) -> None:
        leg = self._reg.legs.get(leg_id)
        if leg is not None:
            leg.ended = True
        caller = self._reg.callers.get(call_id)
        if caller is None or caller.hung_up:
            return  # its hang-up is told (or was) by its own events
        caller.hung_up = True
        self._submit(i.CallerHungUp(now=self._clock(), call_id=call_id))

    def _leg_failed(self, leg_id: str, reason: FailReason = FailReason.FAILED) -> None:
        leg = self._reg.legs.get(leg_id)
        if leg is None or leg.ended:
            return
        leg.ended = True
        now = self._clock()
        if leg.kind is LegKind.AGENT:
            self._submit(i.OfferFailed(now=now, offer_id=leg_id, reason=reason))
        else:
            self._submit(i.OutboundFailed(now=now, leg_id=leg_id, reason="failed"))

    @staticmethod
    async def _ignore_gone(request: Awaitable[Any]) -> None:
        try:
            await request
        except AriNotFound:
            pass
        except AriError as exc:
            if not exc.not_in_stasis and exc.status not in (409, 422):
                raise


def originator_gone(exc: AriError) -> bool:
    """400 "Provided originator channel was not found": the caller whose codec the leg was
    to offer has hung up meanwhile."""
    return exc.status == 400 and "originator" in (exc.message or "").lower()


def endpoint_unreachable(exc: AriError) -> bool:
    """500 "Allocation failed": Asterisk could not make a channel to the endpoint (a PJSIP
    endpoint with no registered contact)."""
    return (exc.status or 0) >= 500 and "allocation failed" in (exc.message or "").lower()


def _gone(exc: AriError) -> bool:
    """The channel or bridge is no longer there: its hang-up event explains it."""
    message = (exc.message or "").lower()
    return isinstance(exc, AriNotFound) or exc.not_in_stasis or (
        exc.status == 400 and "not found" in message)


def _bridge_lost(command: o.Command, exc: AriError) -> bool:
    """addChannel's 404 is the *bridge* missing, which no hang-up event will explain: the
    caller would sit answered and alone while the engine thinks it connected."""
    return isinstance(command, (o.ConnectCall, o.ConnectLegs)) and isinstance(exc, AriNotFound)


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("creating a bridge failed: %s", task.exception())


def _caller_id(name: str, number: str) -> str | None:
    if not number and not name:
        return None
    clean_name = name.replace('"', "").replace("<", "").replace(">", "")
    return f'"{clean_name}" <{number}>' if clean_name else f"<{number}>"
