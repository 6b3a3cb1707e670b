"""A realistic call-centre history written straight into the tables, fast.

One generator serves the demo (60 days of the seeded centre, ending now) and
``bench/bench_stats.py`` (a million calls of an anonymous centre). It walks each agent's
shift: logged in on an extension, available → ringing → on call → wrap-up cycles, lunch,
breaks and other pauses; each cycle answers a call of one of the agent's groups. Around
those calls it adds what a queue also sees: abandons (more of them in busy hours, short and
long), offers declined or left to ring out, time-outs, click-to-call, transfers (the leg the
receiving agent answered points back to the transferred call), hold time, wrap-up codes and
the agents' notes on the client records.

Rows are tuples in the column order of the ``*_COLS`` constants, with the same fields the
live call journal writes (UTC instants, local date and hour of the start, waits and
durations, chained agent states whose gaps are the logouts), so every report, KPI and
history page reads them like live data. They are bulk-inserted (executemany), one local day
per transaction; the statistics rollups are rebuilt afterwards by the caller.
"""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from crm.stats.rollups import HourSplitter

# One database row of the history, in its table's column order (CALL_COLS, OFFER_COLS...).
Row = tuple[Any, ...]

CALL_COLS = (
    "id, ref, direction, caller_number, caller_name, called_number, group_id, client_id, "
    "agent_id, transferred_from_id, disposition_id, started_at, entered_queue_at, "
    "first_offered_at, answered_at, ended_at, wrapup_ended_at, local_date, local_hour, "
    "outcome, wait_s, talk_s, hold_s, wrapup_s, offers_count, recording"
)
OFFER_COLS = "id, ref, call_id, agent_id, offered_at, ringing_at, ended_at, result, forced"
STATE_COLS = (
    "agent_id, state, reason, extension, call_ref, started_at, ended_at, local_date, local_hour"
)
NOTE_COLS = "client_id, agent_id, call_id, disposition_id, text, created_at"

# positions in a call row (CALL_COLS)
_C_ID, _C_REF, _C_DIR, _C_NUMBER = 0, 1, 2, 3
_C_GROUP, _C_CLIENT, _C_AGENT, _C_FROM, _C_DISPO = 6, 7, 8, 9, 10
_C_STARTED, _C_QUEUED, _C_OFFERED, _C_ANSWERED, _C_ENDED, _C_WRAPPED = 11, 12, 13, 14, 15, 16
_C_DAY, _C_HOUR, _C_OUTCOME, _C_WAIT, _C_OFFERS = 17, 18, 19, 20, 24

PAUSES = ("lunch", "break", "training", "meeting")
TRANSFER_PICKUP_S = 120  # a transferred caller is taken by another agent within this


@dataclass(frozen=True, slots=True)
class AgentPlan:
    """One agent of the generated centre."""

    id: int
    extension: str
    groups: tuple[int, ...]
    shift_start_h: float  # local hour the shift starts (± a quarter of an hour each day)
    works_weekends: bool = False
    stops_at: float | None = None  # UTC timestamp: this agent's history ends there


@dataclass(frozen=True, slots=True)
class Caller:
    number: str  # E.164, as the CRM stores client phones
    client_id: int | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """What the generated centre looks like besides its agents."""

    group_share: dict[int, float] = field(default_factory=dict)  # relative load per group
    wrapup_s: dict[int, int] = field(default_factory=dict)  # group wrap-up (else 5–40 s)
    ring_timeout_s: dict[int, int] = field(default_factory=dict)  # else 20 s
    max_wait_s: dict[int, int] = field(default_factory=dict)  # groups whose callers time out
    pause_codes: tuple[str, ...] = PAUSES  # lunch and break first, then occasional ones
    shift_h: float = 8.5
    ringing_states: bool = True  # False: the gap a ring leaves is not filled (bench)
    peer_misses: bool = False  # bench: another agent missed/declined first (untracked)
    own_declines: float = 0.04  # share of cycles where the agent declines/misses an offer
    outbound_share: float = 0.05
    transfer_share: float = 0.03
    queue_wait_s: float = 12.0  # mean wait before the answering agent's phone rings (x busy)
    abandon_share: float = 0.12  # per answered call, scaled by how busy the hour is
    timeout_share: float = 0.02  # per answered call of a group with a max wait
    link_transfers: bool = True
    callers: Sequence[Caller] = ()  # known callers (most frequent first)
    known_share: float = 0.0  # share of inbound calls from a known caller
    dispositions: Sequence[tuple[int, str]] = ()  # (id, code) of the wrap-up codes
    disposition_share: float = 0.7
    note_share: float = 0.0  # share of calls with a client that get a note at wrap-up
    ref_prefix: str = "h"


@dataclass(slots=True)
class DayRows:
    # calls are lists while the day is built (transfers and notes amend them), then tuples
    calls: list[Any] = field(default_factory=list)
    offers: list[Row] = field(default_factory=list)
    states: list[Row] = field(default_factory=list)
    notes: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class _Answered:
    """An answered call of the day, until the transfers are linked and the notes written."""

    row: int  # index in DayRows.calls
    agent: int
    group: int | None
    ring_at: float
    answer: float
    end: float  # hang-up
    wrapped: float  # end of wrap-up
    transferred: bool
    plain: bool  # inbound, offered once, not transferred: may become a transfer's leg


class HistoryGenerator:
    """Deterministic history, one local day at a time (so memory stays flat)."""

    def __init__(
        self,
        agents: Sequence[AgentPlan],
        tz: ZoneInfo,
        profile: Profile | None = None,
        *,
        mysql: bool = False,
        seed: int = 42,
        first_call_id: int = 1,
        first_offer_id: int = 1,
    ) -> None:
        self.plans = list(agents)
        self.profile = profile or Profile()
        self.tz = tz
        self.rng = random.Random(seed)
        self.mysql = mysql
        self.split = HourSplitter(tz)
        self.call_id = first_call_id - 1
        self.offer_id = first_offer_id - 1
        self._fmt_cache: dict[int, str] = {}
        self._members: dict[int, list[int]] = {}
        for plan in self.plans:
            for group in plan.groups:
                self._members.setdefault(group, []).append(plan.id)
        callers = list(self.profile.callers)
        # some clients call more often than others, none all day long
        self._caller_weights = list(accumulate(1 / (1 + i) ** 0.3 for i in range(len(callers))))
        self._callers = callers
        self._codes = list(self.profile.dispositions)

    # -- formatting ------------------------------------------------------------------------

    def ts(self, t: float) -> str:
        """A UTC instant as the column stores it (whole seconds)."""
        sec = int(t)
        minute = sec // 60
        prefix = self._fmt_cache.get(minute)
        if prefix is None:
            prefix = time.strftime("%Y-%m-%d %H:%M:", time.gmtime(minute * 60))
            self._fmt_cache[minute] = prefix
            if len(self._fmt_cache) > 200_000:
                self._fmt_cache.clear()
        return f"{prefix}{sec % 60:02d}" + ("" if self.mysql else "+00:00")

    def local(self, t: float) -> tuple[str, int]:
        day, hour, _ = self.split.bucket(t)
        return day.isoformat(), hour

    @staticmethod
    def busyness(hour: int) -> float:
        """Relative call load of a local hour (peaks mid-morning and mid-afternoon)."""
        return {9: 1.2, 10: 1.6, 11: 1.5, 12: 0.8, 13: 0.9, 14: 1.4, 15: 1.5, 16: 1.3}.get(
            hour, 0.7
        )

    # -- one day ---------------------------------------------------------------------------

    def rows(self, day: date, until: float | None = None) -> DayRows:
        """Everything of one local day; with ``until`` (a UTC timestamp), nothing that would
        end after it (so a history ending now leaves no state or call open)."""
        out = DayRows()
        answered: list[_Answered] = []
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()
        weekend = day.weekday() >= 5
        for plan in self.plans:
            if weekend and not plan.works_weekends:
                continue
            start = midnight + plan.shift_start_h * 3600 + self.rng.randint(-900, 900)
            end = start + self.profile.shift_h * 3600
            limit = min(x for x in (until, plan.stops_at, float("inf")) if x is not None)
            self._shift(plan, start, end, limit, out, answered)
        if self.profile.link_transfers:
            self._link_transfers(out, answered)
        if self.profile.note_share > 0 or self._codes:
            self._wrapup_codes(out, answered)
        return out

    def _shift(
        self,
        plan: AgentPlan,
        t: float,
        end: float,
        limit: float,
        out: DayRows,
        answered: list[_Answered],
    ) -> None:
        """One working day of one agent, up to ``end`` (nothing ending after ``limit``)."""
        rng = self.rng
        prof = self.profile
        agent, ext = plan.id, plan.extension
        lunch_at = t + 4 * 3600 + rng.randint(-1800, 1800)
        breaks = [t + 2 * 3600, t + 6.5 * 3600]
        login = ext  # the first state of the session carries the extension typed at login
        while t < end:
            reason = ""
            if t >= lunch_at:
                reason, length, lunch_at = prof.pause_codes[0], rng.randint(2400, 3600), 1e300
            elif breaks and t >= breaks[0]:
                breaks.pop(0)
                reason, length = prof.pause_codes[1], rng.randint(300, 900)
            elif rng.random() < 0.004:
                reason, length = rng.choice(prof.pause_codes[2:]), rng.randint(900, 2700)
            if reason:
                if t + length > limit:
                    return
                self._state(out, agent, "paused", t, t + length, reason, login)
                t += length
                login = ""
                continue
            hour = self.local(t)[1]
            idle = rng.expovariate(1 / (90 / self.busyness(hour)))
            ring = rng.randint(3, 12)
            group = self._group(plan)
            if prof.own_declines and rng.random() < prof.own_declines:
                declined = rng.random() < 0.6
                ring = rng.randint(2, 8) if declined else prof.ring_timeout_s.get(group, 20)
                if t + idle + ring > limit:
                    return
                self._state(out, agent, "available", t, t + idle, "", login)
                login = ""
                self._missed_offer(out, plan, group, t + idle, ring, declined, limit)
                t += idle + ring
                continue
            talk = max(15.0, rng.lognormvariate(5.3, 0.6))
            wrap = self._wrap(group)
            ring_at = t + idle
            answer = ring_at + ring
            if answer + talk + wrap > limit:
                return
            self._state(out, agent, "available", t, ring_at, "", login)
            login = ""
            call = self._call(out, plan, group, ring_at, answer, talk, wrap, limit, answered)
            purpose = "click_to_call" if call[_C_DIR] == "outbound" else "queue"
            ref = call[_C_REF] if prof.ringing_states else ""
            if prof.ringing_states:
                self._state(out, agent, "ringing", ring_at, answer, purpose, call_ref=ref)
            self._state(out, agent, "on_call", answer, answer + talk, purpose if ref else "",
                        call_ref=ref)
            self._state(out, agent, "wrapup", answer + talk, answer + talk + wrap, call_ref=ref)
            t = answer + talk + wrap

    def _group(self, plan: AgentPlan) -> int:
        share = self.profile.group_share
        if len(plan.groups) == 1 or not share:
            return self.rng.choice(plan.groups)
        return self.rng.choices(plan.groups, [share.get(g, 1.0) for g in plan.groups])[0]

    def _wrap(self, group: int) -> int:
        configured = self.profile.wrapup_s.get(group)
        if configured is None:
            return self.rng.randint(5, 40)
        # the timer closes wrap-up at the setting; agents often finish earlier
        return self.rng.randint(max(1, configured // 3), configured)

    def _state(
        self,
        out: DayRows,
        agent: int,
        state: str,
        t0: float,
        t1: float,
        reason: str = "",
        ext: str = "",
        call_ref: str = "",
    ) -> None:
        day, hour = self.local(t0)
        out.states.append(
            (agent, state, reason, ext, call_ref, self.ts(t0), self.ts(t1), day, hour)
        )

    # -- calls -----------------------------------------------------------------------------

    def _caller(self, known_share: float) -> Caller:
        if self._callers and self.rng.random() < known_share:
            return self.rng.choices(self._callers, cum_weights=self._caller_weights)[0]
        return Caller(f"+336{self.rng.randrange(10**8):08d}")

    def _call(
        self,
        out: DayRows,
        plan: AgentPlan,
        group: int,
        ring_at: float,
        answer: float,
        talk: float,
        wrap: float,
        limit: float,
        answered: list[_Answered],
    ) -> list[Any]:
        rng = self.rng
        prof = self.profile
        agent = plan.id
        end = answer + talk
        if rng.random() < prof.outbound_share:
            # click-to-call: the agent's phone rings first, then the client picks up
            callee = self._caller(1.0)
            row = self._new_call("outbound", None, agent, ring_at, None, ring_at, answer,
                                 talk, wrap, "answered", called=callee)
            self._offer(out, row[_C_ID], agent, ring_at, ring_at + 2, "answered")
            self._keep(out, row, answered, agent, None, ring_at, answer, end, wrap, False)
            return row
        hour = self.local(answer)[1]
        queued = ring_at - rng.expovariate(1 / (prof.queue_wait_s * self.busyness(hour)))
        first_offer = ring_at
        earlier: list[tuple[int, float, float, str]] = []
        if prof.peer_misses and rng.random() < 0.06:  # someone else missed or declined first
            other = rng.choice(self.plans).id
            missed = rng.random() < 0.7
            length = 20 if missed else rng.randint(2, 8)
            first_offer = queued
            earlier.append((other, queued, queued + length, "no_answer" if missed else "rejected"))
            queued -= length
        transferred = rng.random() < prof.transfer_share
        caller = self._caller(prof.known_share)
        row = self._new_call("inbound", group, agent, queued, queued, first_offer, answer, talk,
                             wrap, "transferred" if transferred else "answered", caller=caller)
        for other, o0, o1, result in earlier:
            self._offer(out, row[_C_ID], other, o0, o1, result)
        self._offer(out, row[_C_ID], agent, ring_at, answer, "answered")
        row[_C_OFFERS] = 1 + len(earlier)
        plain = not earlier and not transferred
        self._keep(out, row, answered, agent, group, ring_at, answer, end, wrap, transferred,
                   plain)
        busy = self.busyness(hour)
        if rng.random() < prof.abandon_share * busy / 1.15:  # an abandon around that time
            wait = rng.expovariate(1 / 35)
            t0 = queued + rng.randint(-600, 600)
            if t0 + wait <= limit:
                self._unanswered(out, group, t0, t0 + wait, "abandoned")
        max_wait = prof.max_wait_s.get(group)
        if max_wait and rng.random() < prof.timeout_share * busy:
            t0 = queued + rng.randint(-900, 900)
            if t0 + max_wait <= limit:
                self._unanswered(out, group, t0, t0 + max_wait, "timed_out")
        return row

    def _missed_offer(
        self,
        out: DayRows,
        plan: AgentPlan,
        group: int,
        ring_at: float,
        ring: float,
        declined: bool,
        limit: float,
    ) -> None:
        """The agent declines an offer, or lets it ring out; the caller then gives up."""
        queued = ring_at - self.rng.expovariate(1 / 15)
        gave_up = ring_at + ring + self.rng.expovariate(1 / 25)
        if gave_up > limit:
            gave_up = ring_at + ring
        row = self._unanswered(out, group, queued, gave_up, "abandoned", first_offer=ring_at)
        result = "rejected" if declined else "no_answer"
        self._offer(out, row[_C_ID], plan.id, ring_at, ring_at + ring, result)
        row[_C_OFFERS] = 1
        if self.profile.ringing_states:
            self._state(out, plan.id, "ringing", ring_at, ring_at + ring, "queue",
                        call_ref=row[_C_REF])

    def _keep(
        self,
        out: DayRows,
        row: list[Any],
        answered: list[_Answered],
        agent: int,
        group: int | None,
        ring_at: float,
        answer: float,
        end: float,
        wrap: float,
        transferred: bool,
        plain: bool = False,
    ) -> None:
        answered.append(_Answered(len(out.calls), agent, group, ring_at, answer, end,
                                  end + wrap, transferred, plain))
        out.calls.append(row)

    def _new_call(
        self,
        direction: str,
        group: int | None,
        agent: int,
        started: float,
        queued: float | None,
        first_offer: float,
        answered: float,
        talk: float,
        wrap: float,
        outcome: str,
        caller: Caller | None = None,
        called: Caller | None = None,
    ) -> list[Any]:
        self.call_id += 1
        cid = self.call_id
        day, hour = self.local(started)
        ts = self.ts
        end = answered + talk
        hold = 30.0 if self.rng.random() < 0.1 else 0.0
        client = (caller or called or Caller("")).client_id
        return [
            cid, f"{self.profile.ref_prefix}{cid}", direction,
            caller.number if caller else "", "", called.number if called else "",
            group, client, agent, None, None,
            ts(started), ts(queued) if queued is not None else None, ts(first_offer),
            ts(answered), ts(end), ts(end + wrap), day, hour, outcome,
            float(int(answered - (queued if queued is not None else started))),
            float(int(talk)), hold, float(int(wrap)), 1, "",
        ]

    def _unanswered(
        self,
        out: DayRows,
        group: int,
        started: float,
        ended: float,
        outcome: str,
        first_offer: float | None = None,
    ) -> list[Any]:
        self.call_id += 1
        cid = self.call_id
        day, hour = self.local(started)
        ts = self.ts
        caller = self._caller(self.profile.known_share)
        row = [
            cid, f"{self.profile.ref_prefix}{cid}", "inbound", caller.number, "", "",
            group, caller.client_id, None, None, None,
            ts(started), ts(started), ts(first_offer) if first_offer is not None else None,
            None, ts(ended), None, day, hour, outcome,
            float(int(ended - started)), None, 0.0, None, 0, "",
        ]
        out.calls.append(row)
        return row

    def _offer(
        self, out: DayRows, call_id: int, agent: int, t0: float, t1: float, result: str
    ) -> None:
        self.offer_id += 1
        oid = self.offer_id
        out.offers.append(
            (oid, f"{self.profile.ref_prefix}o{oid}", call_id, agent, self.ts(t0),
             self.ts(t0 + 1), self.ts(t1), result, 0)
        )

    # -- after the day's calls -------------------------------------------------------------

    def _link_transfers(self, out: DayRows, answered: list[_Answered]) -> None:
        """Each transferred call continues as a call another agent of its group answered
        shortly after; that call becomes the transfer's leg (same caller, no queue)."""
        by_agent: dict[int, list[_Answered]] = {}
        for a in answered:
            if a.plain:
                by_agent.setdefault(a.agent, []).append(a)
        starts = {agent: [a.ring_at for a in items] for agent, items in by_agent.items()}
        for parent in sorted((a for a in answered if a.transferred), key=lambda a: a.end):
            best: _Answered | None = None
            for other in self._members.get(parent.group or 0, ()):
                if other == parent.agent or other not in by_agent:
                    continue
                items = by_agent[other]
                i = bisect.bisect_left(starts[other], parent.end)
                while i < len(items) and items[i].ring_at <= parent.end + TRANSFER_PICKUP_S:
                    if items[i].plain:  # this agent's first free one
                        if best is None or items[i].ring_at < best.ring_at:
                            best = items[i]
                        break
                    i += 1
            if best is None:
                continue  # it went to an outside number: no leg of ours
            best.plain = False
            self._make_leg(out, out.calls[parent.row], best)

    def _make_leg(self, out: DayRows, parent: list[Any], leg: _Answered) -> None:
        row = out.calls[leg.row]
        ts = self.ts
        day, hour = self.local(leg.ring_at)
        row[_C_NUMBER] = parent[_C_NUMBER]
        row[_C_GROUP] = parent[_C_GROUP]  # a transfer to an agent keeps the call's group
        row[_C_CLIENT] = parent[_C_CLIENT]
        row[_C_FROM] = parent[_C_ID]
        row[_C_STARTED] = ts(leg.ring_at)
        row[_C_QUEUED] = None
        row[_C_OFFERED] = ts(leg.ring_at)
        row[_C_DAY], row[_C_HOUR] = day, hour
        row[_C_WAIT] = float(int(leg.answer - leg.ring_at))

    def _wrapup_codes(self, out: DayRows, answered: list[_Answered]) -> None:
        """The wrap-up code agents pick, and the note they leave on the client's record."""
        rng = self.rng
        prof = self.profile
        for a in answered:
            row = out.calls[a.row]
            code: tuple[int, str] | None = None
            if self._codes and rng.random() < prof.disposition_share:
                code = rng.choice(self._codes)
                row[_C_DISPO] = code[0]
            client = row[_C_CLIENT]
            if client is not None and rng.random() < prof.note_share:
                at = a.wrapped - rng.uniform(0, max(1.0, a.wrapped - a.end))
                text = note_text(rng, code[1] if code else "", row[_C_DIR] == "outbound")
                out.notes.append((client, a.agent, row[_C_ID], code[0] if code else None,
                                  text, self.ts(at)))

    def finish(self, out: DayRows) -> DayRows:
        """Rows as tuples, transfer legs after the calls they point to (foreign keys)."""
        calls = [tuple(r) for r in out.calls]
        out.calls = [r for r in calls if r[_C_FROM] is None] + [
            r for r in calls if r[_C_FROM] is not None
        ]
        return out


NOTES: dict[str, tuple[str, ...]] = {
    "sale": (
        "Commande passée : {product}, livraison sous {days} jours.",
        "Devis accepté pour {product}. Bon de commande envoyé par e-mail.",
        "Renouvellement du contrat {product} pour un an.\nRemise fidélité de 10 % appliquée.",
    ),
    "info": (
        "Renseigné(e) sur les tarifs de {product}.",
        "Demande les horaires de l'agence et les délais de livraison.",
        "Questions sur la facture du mois dernier : explications données, client satisfait.",
    ),
    "complaint": (
        "Réclamation : colis reçu endommagé. Retour organisé, remplacement sous {days} jours.",
        "Conteste un double prélèvement.\nTransmis à la comptabilité, réponse promise sous "
        "48 h.",
        "Mécontent du délai d'intervention du technicien. Geste commercial proposé.",
    ),
    "callback": (
        "Occupé(e), souhaite être rappelé(e) {when}.",
        "Attend l'accord de sa direction pour {product} : rappeler {when}.",
    ),
    "wrong": ("Faux numéro : la personne ne connaît pas ce client.",),
    "": (
        "Appel de suivi, rien à signaler.",
        "Mise à jour de l'adresse de livraison.",
        "Problème de connexion résolu en ligne (redémarrage de la box).",
    ),
}
PRODUCTS = ("l'offre Premium", "l'abonnement Pro", "la maintenance annuelle", "le pack Sérénité",
            "la licence Entreprise", "l'option Mobilité")
WHEN = ("demain matin", "lundi", "en fin de semaine", "après 17 h", "la semaine prochaine")


def note_text(rng: random.Random, code: str, outbound: bool) -> str:
    text = rng.choice(NOTES.get(code) or NOTES[""]).format(
        product=rng.choice(PRODUCTS), days=rng.randint(2, 10), when=rng.choice(WHEN)
    )
    return ("Appel sortant. " + text) if outbound else text


# -- writing ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Totals:
    calls: int = 0
    offers: int = 0
    states: int = 0
    notes: int = 0

    def add(self, rows: DayRows) -> None:
        self.calls += len(rows.calls)
        self.offers += len(rows.offers)
        self.states += len(rows.states)
        self.notes += len(rows.notes)


def days(first: date, count: int) -> Iterator[date]:
    for i in range(count):
        yield first + timedelta(days=i)


def insert_sql(table: str, columns: str, mark: str = "?") -> str:
    marks = ", ".join(mark for _ in columns.split(","))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


async def write_history(
    gen: HistoryGenerator,
    first: date,
    last: date,
    *,
    until: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Totals:
    """Generate and insert the local days [first, last] through the ORM's connection."""
    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    mark = "%s" if Tortoise.get_connection("default").capabilities.dialect == "mysql" else "?"
    tables = (("calls", CALL_COLS), ("offers", OFFER_COLS), ("agent_states", STATE_COLS),
              ("interventions", NOTE_COLS))
    statements = [insert_sql(table, cols, mark) for table, cols in tables]
    totals = Totals()
    count = (last - first).days + 1
    for n, day in enumerate(days(first, count), start=1):
        rows = gen.finish(gen.rows(day, until))
        async with in_transaction("default") as conn:
            for statement, batch in zip(
                statements, (rows.calls, rows.offers, rows.states, rows.notes), strict=True
            ):
                for i in range(0, len(batch), 5000):
                    await conn.execute_many(statement, [list(r) for r in batch[i : i + 5000]])
        totals.add(rows)
        if progress is not None and (n % 10 == 0 or n == count):
            progress(f"call history {n}/{count} days: {totals.calls:,} calls, "
                     f"{totals.notes:,} client notes")
    return totals


class SyntheticCentre(HistoryGenerator):
    """The bench's centre: ``agents`` anonymous agents (ids 1..agents) in one or two of
    ``groups`` groups (ids 1..groups), early and late shifts, a third working weekends."""

    def __init__(self, agents: int, mysql: bool, groups: int = 8,
                 tz: ZoneInfo | None = None) -> None:
        rng = random.Random(42)
        self.agents = agents
        self.groups = {
            a: rng.sample(range(1, groups + 1), rng.choice((1, 1, 2)))
            for a in range(1, agents + 1)
        }
        plans = [
            AgentPlan(a, f"{2000 + a}", tuple(self.groups[a]), 8 if a % 2 else 12,
                      works_weekends=a % 3 == 0)
            for a in range(1, agents + 1)
        ]
        profile = Profile(ringing_states=False, peer_misses=True, own_declines=0.0,
                          link_transfers=False, timeout_share=0.0, ref_prefix="b")
        super().__init__(plans, tz or ZoneInfo("Europe/Paris"), profile, mysql=mysql)

    def day(self, day: date) -> tuple[list[Row], list[Row], list[Row]]:
        rows = self.finish(self.rows(day))
        return rows.calls, rows.offers, rows.states
