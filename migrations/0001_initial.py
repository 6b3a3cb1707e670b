from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from enum import StrEnum
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


# The enums as they were when this migration was written: an old migration must not change
# when a member of crm.models is renamed or removed later (a new migration says that).


class AgentStateName(StrEnum):
    LOGGED_OUT = 'logged_out'
    AVAILABLE = 'available'
    PAUSED = 'paused'
    RINGING = 'ringing'
    ON_CALL = 'on_call'
    WRAPUP = 'wrapup'


class CallOutcome(StrEnum):
    ANSWERED = 'answered'
    ABANDONED = 'abandoned'
    TIMED_OUT = 'timed_out'
    OVERFLOWED = 'overflowed'
    TRANSFERRED = 'transferred'
    REJECTED = 'rejected'
    FAILED = 'failed'


class Direction(StrEnum):
    INBOUND = 'inbound'
    OUTBOUND = 'outbound'


class OfferResult(StrEnum):
    ANSWERED = 'answered'
    NO_ANSWER = 'no_answer'
    BUSY = 'busy'
    REJECTED = 'rejected'
    FAILED = 'failed'
    CANCELLED = 'cancelled'
    CALLER_ABANDONED = 'caller_abandoned'


class OverflowKind(StrEnum):
    NONE = 'none'
    GROUP = 'group'
    NUMBER = 'number'
    GOODBYE = 'goodbye'


class Role(StrEnum):
    AGENT = 'agent'
    SUPERVISOR = 'supervisor'
    ADMIN = 'admin'


class Strategy(StrEnum):
    RINGALL = 'ringall'
    LONGEST_IDLE = 'longest_idle'
    FEWEST_CALLS = 'fewest_calls'
    ROUND_ROBIN = 'round_robin'
    RANDOM = 'random'
    LINEAR = 'linear'
    PENALTY = 'penalty'


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Disposition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('label', fields.CharField(max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'dispositions', 'app': 'crm', 'pk_attr': 'id', 'table_description': 'B4: an outcome code an agent picks at wrap-up.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Group',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('number', fields.CharField(null=True, unique=True, max_length=32)),
                ('description', fields.CharField(default='', max_length=255)),
                ('strategy', fields.CharEnumField(default=Strategy.LONGEST_IDLE, description='RINGALL: ringall\nLONGEST_IDLE: longest_idle\nFEWEST_CALLS: fewest_calls\nROUND_ROBIN: round_robin\nRANDOM: random\nLINEAR: linear\nPENALTY: penalty', enum_type=Strategy, max_length=16)),
                ('ring_timeout_s', fields.IntField(default=20)),
                ('wrapup_s', fields.IntField(default=10)),
                ('autopause_after', fields.IntField(default=3)),
                ('max_wait_s', fields.IntField(default=0)),
                ('max_callers', fields.IntField(default=0)),
                ('overflow_kind', fields.CharEnumField(default=OverflowKind.NONE, description='NONE: none\nGROUP: group\nNUMBER: number\nGOODBYE: goodbye', enum_type=OverflowKind, max_length=16)),
                ('overflow_target', fields.CharField(default='', max_length=64)),
                ('moh_class', fields.CharField(default='default', max_length=64)),
                ('join_empty', fields.BooleanField(default=True)),
                ('leave_when_empty', fields.BooleanField(default=False)),
                ('sticky_s', fields.IntField(default=0)),
                ('record_calls', fields.BooleanField(default=False)),
                ('service_level_s', fields.IntField(default=20)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'groups', 'app': 'crm', 'pk_attr': 'id', 'table_description': 'A group is a queue (C8): every queue setting lives here.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PauseReason',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('label', fields.CharField(max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'pause_reasons', 'app': 'crm', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Setting',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('value', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'settings', 'app': 'crm', 'pk_attr': 'key', 'table_description': 'Runtime settings an administrator changes from the UI (not the start-up ones).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('login', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=128)),
                ('email', fields.CharField(default='', max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(default=Role.AGENT, description='AGENT: agent\nSUPERVISOR: supervisor\nADMIN: admin', enum_type=Role, max_length=16)),
                ('active', fields.BooleanField(default=True)),
                ('extension', fields.CharField(default='', max_length=32)),
                ('language', fields.CharField(default='', max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'crm', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AgentState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('agent', fields.ForeignKeyField('crm.User', source_field='agent_id', db_constraint=True, to_field='id', related_name='states', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharEnumField(description='LOGGED_OUT: logged_out\nAVAILABLE: available\nPAUSED: paused\nRINGING: ringing\nON_CALL: on_call\nWRAPUP: wrapup', enum_type=AgentStateName, max_length=16)),
                ('reason', fields.CharField(default='', max_length=64)),
                ('extension', fields.CharField(default='', max_length=32)),
                ('call_ref', fields.CharField(default='', max_length=64)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('local_date', fields.DateField()),
                ('local_hour', fields.SmallIntField()),
            ],
            options={'table': 'agent_states', 'app': 'crm', 'indexes': [Index(fields=['agent_id', 'started_at']), Index(fields=['started_at']), Index(fields=['local_date'])], 'pk_attr': 'id', 'table_description': 'C7: every state an agent was in, from when to when (ended_at null = current).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('crm.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_tokens', 'app': 'crm', 'pk_attr': 'id', 'table_description': 'A bearer token for integrators. Only its SHA-256 is stored.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditLog',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.ForeignKeyField('crm.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.SET_NULL)),
                ('actor_login', fields.CharField(default='', max_length=64)),
                ('action', fields.CharField(max_length=64)),
                ('target_type', fields.CharField(default='', max_length=32)),
                ('target_id', fields.CharField(default='', max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ip', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'audit_log', 'app': 'crm', 'indexes': [Index(fields=['at']), Index(fields=['actor_id', 'at']), Index(fields=['target_type', 'target_id'])], 'pk_attr': 'id', 'table_description': "B8 and S3's per-user action history: who did what to what, and when."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Client',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('first_name', fields.CharField(default='', max_length=64)),
                ('last_name', fields.CharField(default='', max_length=64)),
                ('company', fields.CharField(default='', max_length=128)),
                ('email', fields.CharField(default='', max_length=254)),
                ('address', fields.CharField(default='', max_length=255)),
                ('postal_code', fields.CharField(default='', max_length=16)),
                ('city', fields.CharField(default='', max_length=64)),
                ('country', fields.CharField(default='', max_length=2)),
                ('remarks', fields.TextField(default='', unique=False)),
                ('assigned_agent', fields.ForeignKeyField('crm.User', source_field='assigned_agent_id', null=True, db_constraint=True, to_field='id', related_name='assigned_clients', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'clients', 'app': 'crm', 'indexes': [Index(fields=['last_name', 'first_name']), Index(fields=['company'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Call',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ref', fields.CharField(unique=True, max_length=64)),
                ('direction', fields.CharEnumField(default=Direction.INBOUND, description='INBOUND: inbound\nOUTBOUND: outbound', enum_type=Direction, max_length=8)),
                ('caller_number', fields.CharField(default='', max_length=64)),
                ('caller_name', fields.CharField(default='', max_length=128)),
                ('called_number', fields.CharField(default='', max_length=64)),
                ('group', fields.ForeignKeyField('crm.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('client', fields.ForeignKeyField('crm.Client', source_field='client_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('agent', fields.ForeignKeyField('crm.User', source_field='agent_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('transferred_from', fields.ForeignKeyField('crm.Call', source_field='transferred_from_id', null=True, db_constraint=True, to_field='id', related_name='transfers', on_delete=OnDelete.SET_NULL)),
                ('disposition', fields.ForeignKeyField('crm.Disposition', source_field='disposition_id', null=True, db_constraint=True, to_field='id', related_name='calls', on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('entered_queue_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('first_offered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('wrapup_ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('local_date', fields.DateField()),
                ('local_hour', fields.SmallIntField()),
                ('outcome', fields.CharEnumField(null=True, description='ANSWERED: answered\nABANDONED: abandoned\nTIMED_OUT: timed_out\nOVERFLOWED: overflowed\nTRANSFERRED: transferred\nREJECTED: rejected\nFAILED: failed', enum_type=CallOutcome, max_length=16)),
                ('wait_s', fields.FloatField(null=True)),
                ('talk_s', fields.FloatField(null=True)),
                ('hold_s', fields.FloatField(default=0)),
                ('wrapup_s', fields.FloatField(null=True)),
                ('offers_count', fields.IntField(default=0)),
                ('recording', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'calls', 'app': 'crm', 'indexes': [Index(fields=['started_at']), Index(fields=['local_date', 'local_hour']), Index(fields=['agent_id', 'started_at']), Index(fields=['group_id', 'started_at']), Index(fields=['client_id', 'started_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClientPhone',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client', fields.ForeignKeyField('crm.Client', source_field='client_id', db_constraint=True, to_field='id', related_name='phones', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(db_index=True, max_length=32)),
                ('as_typed', fields.CharField(default='', max_length=64)),
                ('label', fields.CharField(default='', max_length=32)),
            ],
            options={'table': 'client_phones', 'app': 'crm', 'unique_together': (('client', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('crm.User', source_field='user_id', db_constraint=True, to_field='id', related_name='groups', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('crm.Group', source_field='group_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('penalty', fields.IntField(default=0)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'group_members', 'app': 'crm', 'unique_together': (('user', 'group'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Intervention',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('client', fields.ForeignKeyField('crm.Client', source_field='client_id', db_constraint=True, to_field='id', related_name='interventions', on_delete=OnDelete.CASCADE)),
                ('agent', fields.ForeignKeyField('crm.User', source_field='agent_id', null=True, db_constraint=True, to_field='id', related_name='interventions', on_delete=OnDelete.SET_NULL)),
                ('call', fields.ForeignKeyField('crm.Call', source_field='call_id', null=True, db_constraint=True, to_field='id', related_name='interventions', on_delete=OnDelete.SET_NULL)),
                ('disposition', fields.ForeignKeyField('crm.Disposition', source_field='disposition_id', null=True, db_constraint=True, to_field='id', related_name='interventions', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'interventions', 'app': 'crm', 'indexes': [Index(fields=['client_id', 'created_at']), Index(fields=['agent_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "An agent's note on a client record, usually written during or after a call."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Offer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ref', fields.CharField(unique=True, max_length=64)),
                ('call', fields.ForeignKeyField('crm.Call', source_field='call_id', db_constraint=True, to_field='id', related_name='offers', on_delete=OnDelete.CASCADE)),
                ('agent', fields.ForeignKeyField('crm.User', source_field='agent_id', db_constraint=True, to_field='id', related_name='offers', on_delete=OnDelete.CASCADE)),
                ('offered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ringing_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('result', fields.CharEnumField(null=True, description='ANSWERED: answered\nNO_ANSWER: no_answer\nBUSY: busy\nREJECTED: rejected\nFAILED: failed\nCANCELLED: cancelled\nCALLER_ABANDONED: caller_abandoned', enum_type=OfferResult, max_length=20)),
                ('forced', fields.BooleanField(default=False)),
            ],
            options={'table': 'offers', 'app': 'crm', 'indexes': [Index(fields=['agent_id', 'offered_at']), Index(fields=['offered_at'])], 'pk_attr': 'id', 'table_description': 'One ring of one agent for one call, and how it ended.'},
            bases=['Model'],
        ),
    ]
