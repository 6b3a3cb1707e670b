"""The persistent data model of the whole product (tortoise-orm, app label ``crm``).

Times are stored in UTC. Calls and agent states also carry their start as a *local* date and
hour (the call centre's time zone at the moment they were written) because reports group by
local day/hour and date-part filters do not work on SQLite.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}


class Strategy(StrEnum):
    RINGALL = "ringall"
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    ROUND_ROBIN = "round_robin"
    RANDOM = "random"
    LINEAR = "linear"
    PENALTY = "penalty"


class OverflowKind(StrEnum):
    NONE = "none"
    GROUP = "group"
    NUMBER = "number"
    GOODBYE = "goodbye"


class RecordingMode(StrEnum):
    """B9: which calls of a group Asterisk records."""

    OFF = "off"
    ALL = "all"  # every conversation of the group
    ON_DEMAND = "on_demand"  # when the agent presses Record


class RecordingStatus(StrEnum):
    RECORDING = "recording"  # Asterisk is writing it
    OK = "ok"
    FAILED = "failed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed_out"
    OVERFLOWED = "overflowed"
    TRANSFERRED = "transferred"
    REJECTED = "rejected"
    FAILED = "failed"


class OfferResult(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CALLER_ABANDONED = "caller_abandoned"


class AgentStateName(StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"


class User(Model):
    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=128)
    email = fields.CharField(max_length=254, default="")
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.AGENT)
    active = fields.BooleanField(default=True)
    # S6: the extension typed at the last ACD login, offered as the default next time.
    extension = fields.CharField(max_length=32, default="")
    language = fields.CharField(max_length=8, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    last_login_at = fields.DatetimeField(null=True)
    # Bumped whenever every session of the user must end (logout, password or role change,
    # deactivation, reactivation): a session cookie carries the value it was opened with.
    session_version = fields.IntField(default=0)

    groups: fields.ReverseRelation[GroupMember]

    class Meta:
        table = "users"
        ordering = ["login"]


class Group(Model):
    """A group is a queue (C8): every queue setting lives here."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    # The dialplan's Stasis(app,inbound,<group>) may name a group by its name or this number.
    number = fields.CharField(max_length=32, null=True, unique=True)
    description = fields.CharField(max_length=255, default="")
    strategy = fields.CharEnumField(Strategy, max_length=16, default=Strategy.LONGEST_IDLE)
    ring_timeout_s = fields.IntField(default=20)
    wrapup_s = fields.IntField(default=10)
    autopause_after = fields.IntField(default=3)
    max_wait_s = fields.IntField(default=0)
    max_callers = fields.IntField(default=0)
    overflow_kind = fields.CharEnumField(OverflowKind, max_length=16, default=OverflowKind.NONE)
    overflow_target = fields.CharField(max_length=64, default="")
    moh_class = fields.CharField(max_length=64, default="default")
    join_empty = fields.BooleanField(default=True)
    leave_when_empty = fields.BooleanField(default=False)
    sticky_s = fields.IntField(default=0)
    # B9. The database default too: the column was added to tables that had groups.
    recording = fields.CharEnumField(RecordingMode, max_length=16, default=RecordingMode.OFF,
                                     db_default="off")
    # What outside numbers see on this group's outbound legs: "Name" <number> or a number.
    # None: the global PROWEBCRM_OUTBOUND_CALLER_ID (and a transfer shows the customer's).
    outbound_caller_id = fields.CharField(max_length=80, null=True)
    # The retry rule: an agent who missed a caller (no answer, busy, refused) is not offered
    # that caller again until this many seconds after the last miss; others are tried first.
    retry_s = fields.IntField(default=5)
    service_level_s = fields.IntField(default=20)
    # Wrap-up policy (the console applies it; the ACD only runs the timer it is given):
    # each "extend" adds this many seconds, and an outcome may be required to finish.
    wrapup_extend_s = fields.IntField(default=30)
    wrapup_requires_outcome = fields.BooleanField(default=False)
    # Supervision colours: a wait turns amber, then red, past these; the day's service
    # level turns amber, then red, below these percentages.
    wait_warn_s = fields.IntField(default=30)
    wait_alert_s = fields.IntField(default=60)
    sl_warn_pct = fields.IntField(default=80)
    sl_alert_pct = fields.IntField(default=60)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    members: fields.ReverseRelation[GroupMember]

    class Meta:
        table = "groups"
        ordering = ["name"]


class GroupMember(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="groups", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "crm.Group", related_name="members", on_delete=fields.CASCADE
    )
    # the foreign keys' columns, which tortoise adds at run time
    user_id: int
    group_id: int
    penalty = fields.IntField(default=0)
    position = fields.IntField(default=0)

    class Meta:
        table = "group_members"
        unique_together = (("user", "group"),)


class PauseReason(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    label = fields.CharField(max_length=64)  # English, and the fallback of other languages
    label_fr = fields.CharField(max_length=64, default="")
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "pause_reasons"
        ordering = ["position", "code"]


class Disposition(Model):
    """B4: an outcome code an agent picks at wrap-up."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    label = fields.CharField(max_length=64)  # English, and the fallback of other languages
    label_fr = fields.CharField(max_length=64, default="")
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "dispositions"
        ordering = ["position", "code"]


class Client(Model):
    id = fields.IntField(primary_key=True)
    first_name = fields.CharField(max_length=64, default="")
    last_name = fields.CharField(max_length=64, default="")
    company = fields.CharField(max_length=128, default="")
    email = fields.CharField(max_length=254, default="")
    address = fields.CharField(max_length=255, default="")
    postal_code = fields.CharField(max_length=16, default="")
    city = fields.CharField(max_length=64, default="")
    country = fields.CharField(max_length=2, default="")
    remarks = fields.TextField(default="")
    # B10: the agent this client is routed to first, when set.
    assigned_agent: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="assigned_clients", null=True, on_delete=fields.SET_NULL
    )
    assigned_agent_id: int | None  # the foreign key's column, added by tortoise
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    phones: fields.ReverseRelation[ClientPhone]

    class Meta:
        table = "clients"
        indexes = (Index(fields=("last_name", "first_name")), Index(fields=("company",)))


class ClientPhone(Model):
    id = fields.IntField(primary_key=True)
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "crm.Client", related_name="phones", on_delete=fields.CASCADE
    )
    client_id: int  # the foreign key's column, added by tortoise
    # E.164 (phonenumbers), so a caller matches whatever format the number was typed in.
    number = fields.CharField(max_length=32, db_index=True)
    as_typed = fields.CharField(max_length=64, default="")
    label = fields.CharField(max_length=32, default="")

    class Meta:
        table = "client_phones"
        unique_together = (("client", "number"),)


class Call(Model):
    id = fields.IntField(primary_key=True)
    # The ACD's own id for the call (also the id of the caller's channel for inbound calls).
    ref = fields.CharField(max_length=64, unique=True)
    direction = fields.CharEnumField(Direction, max_length=8, default=Direction.INBOUND)
    caller_number = fields.CharField(max_length=64, default="")
    caller_name = fields.CharField(max_length=128, default="")
    called_number = fields.CharField(max_length=64, default="")
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "crm.Group", related_name="calls", null=True, on_delete=fields.SET_NULL
    )
    client: fields.ForeignKeyNullableRelation[Client] = fields.ForeignKeyField(
        "crm.Client", related_name="calls", null=True, on_delete=fields.SET_NULL
    )
    agent: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="calls", null=True, on_delete=fields.SET_NULL
    )
    # the foreign keys' columns, which tortoise adds at run time
    client_id: int | None
    transferred_from: fields.ForeignKeyNullableRelation[Call] = fields.ForeignKeyField(
        "crm.Call", related_name="transfers", null=True, on_delete=fields.SET_NULL
    )
    disposition: fields.ForeignKeyNullableRelation[Disposition] = fields.ForeignKeyField(
        "crm.Disposition", related_name="calls", null=True, on_delete=fields.SET_NULL
    )
    # KPI timestamps (UTC). started_at: the call reached the app; entered_queue_at: queued.
    started_at = fields.DatetimeField()
    entered_queue_at = fields.DatetimeField(null=True)
    first_offered_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    wrapup_ended_at = fields.DatetimeField(null=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    outcome = fields.CharEnumField(CallOutcome, max_length=16, null=True)
    wait_s = fields.FloatField(null=True)
    talk_s = fields.FloatField(null=True)
    hold_s = fields.FloatField(default=0)
    wrapup_s = fields.FloatField(null=True)
    offers_count = fields.IntField(default=0)
    recording = fields.CharField(max_length=255, default="")

    class Meta:
        table = "calls"
        indexes = (
            Index(fields=("started_at",)),
            Index(fields=("local_date", "local_hour")),
            Index(fields=("agent_id", "started_at")),
            Index(fields=("group_id", "started_at")),
            Index(fields=("client_id", "started_at")),
        )


class Recording(Model):
    """B9: one recorded segment of a call (hold and consultations split a call in segments).

    ``call_ref`` is the call's journal key (``Call.ref``): the row is written beside the
    call path, possibly before the call's own row exists."""

    id = fields.IntField(primary_key=True)
    call_ref = fields.CharField(max_length=64)
    group_id = fields.IntField(null=True)
    agent_id = fields.IntField(null=True)
    # Asterisk's live recording name (unique per segment) and where the file is.
    name = fields.CharField(max_length=128, unique=True)
    path = fields.CharField(max_length=512, default="")
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    duration_s = fields.FloatField(null=True)
    size_bytes = fields.BigIntField(null=True)
    status = fields.CharEnumField(RecordingStatus, max_length=16,
                                  default=RecordingStatus.RECORDING)
    error = fields.CharField(max_length=255, default="")

    class Meta:
        table = "recordings"
        indexes = (Index(fields=("call_ref",)), Index(fields=("started_at",)),
                   Index(fields=("agent_id", "started_at")))


class Offer(Model):
    """One ring of one agent for one call, and how it ended."""

    id = fields.IntField(primary_key=True)
    ref = fields.CharField(max_length=64, unique=True)
    call: fields.ForeignKeyRelation[Call] = fields.ForeignKeyField(
        "crm.Call", related_name="offers", on_delete=fields.CASCADE
    )
    agent: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="offers", on_delete=fields.CASCADE
    )
    offered_at = fields.DatetimeField()
    ringing_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    result = fields.CharEnumField(OfferResult, max_length=20, null=True)
    forced = fields.BooleanField(default=False)

    class Meta:
        table = "offers"
        indexes = (Index(fields=("agent_id", "offered_at")), Index(fields=("offered_at",)))


class AgentState(Model):
    """C7: every state an agent was in, from when to when (ended_at null = current)."""

    id = fields.IntField(primary_key=True)
    agent: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="states", on_delete=fields.CASCADE
    )
    state = fields.CharEnumField(AgentStateName, max_length=16)
    reason = fields.CharField(max_length=64, default="")
    extension = fields.CharField(max_length=32, default="")
    call_ref = fields.CharField(max_length=64, default="")
    started_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    # The call journal's id of the fact that opened the state, so a replay of its spool
    # after a crash finds the row instead of adding a second one (null: written before).
    ref = fields.CharField(max_length=48, null=True, unique=True)

    class Meta:
        table = "agent_states"
        indexes = (
            Index(fields=("agent_id", "started_at")),
            Index(fields=("started_at",)),
            Index(fields=("local_date",)),
        )


class Intervention(Model):
    """An agent's note on a client record, usually written during or after a call."""

    id = fields.IntField(primary_key=True)
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "crm.Client", related_name="interventions", on_delete=fields.CASCADE
    )
    # the foreign keys' columns, which tortoise adds at run time
    client_id: int
    agent_id: int | None
    agent: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="interventions", null=True, on_delete=fields.SET_NULL
    )
    call: fields.ForeignKeyNullableRelation[Call] = fields.ForeignKeyField(
        "crm.Call", related_name="interventions", null=True, on_delete=fields.SET_NULL
    )
    disposition: fields.ForeignKeyNullableRelation[Disposition] = fields.ForeignKeyField(
        "crm.Disposition", related_name="interventions", null=True, on_delete=fields.SET_NULL
    )
    text = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "interventions"
        indexes = (
            Index(fields=("client_id", "created_at")),
            Index(fields=("agent_id", "created_at")),
        )


class AuditLog(Model):
    """B8 and S3's per-user action history: who did what to what, and when."""

    id = fields.IntField(primary_key=True)
    at = fields.DatetimeField()
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="actions", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None  # the foreign key's column, added by tortoise
    # Kept as text too, so the log still reads right if the actor row is ever gone.
    actor_login = fields.CharField(max_length=64, default="")
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    details: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_log"
        indexes = (
            Index(fields=("at",)),
            Index(fields=("actor_id", "at")),
            Index(fields=("target_type", "target_id")),
        )


class ApiToken(Model):
    """A bearer token for integrators. Only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "crm.User", related_name="tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)
    token_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=12)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"


class JournalProgress(Model):
    """The last fact of each call-journal process (epoch) written to the database, in the
    same transaction as the fact: a replay of a spool after a crash or an ambiguous commit
    skips what is already in (crm.journal)."""

    epoch = fields.CharField(max_length=32, primary_key=True)
    seq = fields.BigIntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "journal_progress"


class Setting(Model):
    """Runtime settings an administrator changes from the UI (not the start-up ones)."""

    key = fields.CharField(max_length=64, primary_key=True)
    value: fields.Field[Any] = fields.JSONField()

    class Meta:
        table = "settings"


class AcdLease(Model):
    """Which process runs the ACD of one Stasis application name (one active, others stand
    by). The holder bumps ``beat`` every second; a stand-by that sees it still for a few
    seconds takes the lease over by compare-and-swap on (holder, beat): no clock is compared
    between machines."""

    name = fields.CharField(max_length=64, primary_key=True)
    holder = fields.CharField(max_length=160, default="")
    beat = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "acd_lease"


class Revision(Model):
    """Counters bumped when something a running process caches changes (``acd_config``:
    groups and memberships, which the active ACD reloads within a second)."""

    name = fields.CharField(max_length=64, primary_key=True)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "revisions"



# -- statistics rollups (crm/stats/rollups.py maintains them, reports read them) ------------
#
# Keys are plain integers, not foreign keys: a rollup outlives the group or agent it counts,
# and 0 stands for "none" (an abandoned call has no agent) so the unique keys stay usable
# for upserts (NULLs never collide in a unique index). Each fact is kept at the finest grain
# (hour x group x agent) plus two coarser copies derived from it, because a month at the
# finest grain is still tens of thousands of rows: per day (with agents) and per hour
# (without agents). Reports read the smallest table that has the keys they need.


class StatsCallSums(Model):
    """Sums over ended calls (abstract: the columns of the three call rollups).

    The answered_le_* and abandoned_lt_* columns are cumulative wait histograms at the fixed
    thresholds of crm.stats.rollups so any of those T or short-abandon values can be reported
    without the raw calls.
    """

    calls = fields.IntField(default=0)
    new_calls = fields.IntField(default=0)
    queued = fields.IntField(default=0)
    answered = fields.IntField(default=0)
    answered_queued = fields.IntField(default=0)
    wait_answered_s = fields.FloatField(default=0)
    abandoned = fields.IntField(default=0)
    wait_abandoned_s = fields.FloatField(default=0)
    transferred = fields.IntField(default=0)
    overflowed = fields.IntField(default=0)
    timed_out = fields.IntField(default=0)
    rejected = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    handled = fields.IntField(default=0)
    talk_s = fields.FloatField(default=0)
    hold_s = fields.FloatField(default=0)
    wrapup_s = fields.FloatField(default=0)
    answered_le_5 = fields.IntField(default=0)
    answered_le_10 = fields.IntField(default=0)
    answered_le_15 = fields.IntField(default=0)
    answered_le_20 = fields.IntField(default=0)
    answered_le_25 = fields.IntField(default=0)
    answered_le_30 = fields.IntField(default=0)
    answered_le_45 = fields.IntField(default=0)
    answered_le_60 = fields.IntField(default=0)
    answered_le_90 = fields.IntField(default=0)
    answered_le_120 = fields.IntField(default=0)
    answered_le_180 = fields.IntField(default=0)
    abandoned_lt_3 = fields.IntField(default=0)
    abandoned_lt_5 = fields.IntField(default=0)
    abandoned_lt_10 = fields.IntField(default=0)
    abandoned_lt_15 = fields.IntField(default=0)
    abandoned_lt_20 = fields.IntField(default=0)
    abandoned_lt_30 = fields.IntField(default=0)

    class Meta:
        abstract = True


class StatsCallHourly(StatsCallSums):
    """Ended calls per local date, local hour, group, last agent and direction."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    group_id = fields.IntField(default=0)
    agent_id = fields.IntField(default=0)
    direction = fields.CharField(max_length=8)

    class Meta:
        table = "stats_call_hourly"
        unique_together = (("local_date", "local_hour", "group_id", "agent_id", "direction"),)
        indexes = (
            Index(fields=("agent_id", "local_date")),
            Index(fields=("group_id", "local_date")),
        )


class StatsCallDaily(StatsCallSums):
    """stats_call_hourly summed over the hours of each local date."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    group_id = fields.IntField(default=0)
    agent_id = fields.IntField(default=0)
    direction = fields.CharField(max_length=8)

    class Meta:
        table = "stats_call_daily"
        unique_together = (("local_date", "group_id", "agent_id", "direction"),)
        indexes = (Index(fields=("agent_id", "local_date")),)


class StatsCallGroupHourly(StatsCallSums):
    """stats_call_hourly summed over the agents (per local hour, group and direction)."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    group_id = fields.IntField(default=0)
    direction = fields.CharField(max_length=8)

    class Meta:
        table = "stats_call_group_hourly"
        unique_together = (("local_date", "local_hour", "group_id", "direction"),)


class StatsOfferSums(Model):
    """Sums over ended offers (abstract)."""

    offers = fields.IntField(default=0)
    answered = fields.IntField(default=0)
    rejected = fields.IntField(default=0)
    no_answer = fields.IntField(default=0)
    busy = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    cancelled = fields.IntField(default=0)
    caller_abandoned = fields.IntField(default=0)
    forced = fields.IntField(default=0)

    class Meta:
        abstract = True


class StatsOfferHourly(StatsOfferSums):
    """Ended offers (rings) per agent, bucketed at their call's local date and hour."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    group_id = fields.IntField(default=0)
    agent_id = fields.IntField()

    class Meta:
        table = "stats_offer_hourly"
        unique_together = (("local_date", "local_hour", "group_id", "agent_id"),)
        indexes = (Index(fields=("agent_id", "local_date")),)


class StatsOfferDaily(StatsOfferSums):
    """stats_offer_hourly summed over the hours of each local date."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    group_id = fields.IntField(default=0)
    agent_id = fields.IntField()

    class Meta:
        table = "stats_offer_daily"
        unique_together = (("local_date", "group_id", "agent_id"),)
        indexes = (Index(fields=("agent_id", "local_date")),)


class StatsAgentHourly(Model):
    """Seconds each agent spent in each state (and pause reason) per local date and hour.

    A state spanning several hours is split across them. entries counts the states that
    started in the hour.
    """

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    agent_id = fields.IntField()
    state = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=64, default="")
    seconds = fields.FloatField(default=0)
    entries = fields.IntField(default=0)

    class Meta:
        table = "stats_agent_hourly"
        unique_together = (("local_date", "local_hour", "agent_id", "state", "reason"),)
        indexes = (Index(fields=("agent_id", "local_date")),)


class StatsAgentDaily(Model):
    """stats_agent_hourly summed over the hours of each local date."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    agent_id = fields.IntField()
    state = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=64, default="")
    seconds = fields.FloatField(default=0)
    entries = fields.IntField(default=0)

    class Meta:
        table = "stats_agent_daily"
        unique_together = (("local_date", "agent_id", "state", "reason"),)
        indexes = (Index(fields=("agent_id", "local_date")),)


class StatsStateHourly(Model):
    """stats_agent_hourly summed over the agents (per local hour, state and reason)."""

    id = fields.IntField(primary_key=True)
    local_date = fields.DateField()
    local_hour = fields.SmallIntField()
    state = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=64, default="")
    seconds = fields.FloatField(default=0)
    entries = fields.IntField(default=0)

    class Meta:
        table = "stats_state_hourly"
        unique_together = (("local_date", "local_hour", "state", "reason"),)
