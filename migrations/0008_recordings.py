from enum import StrEnum

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


# The enums as they were when this migration was written (see 0001).


class RecordingMode(StrEnum):
    OFF = 'off'
    ALL = 'all'
    ON_DEMAND = 'on_demand'


class RecordingStatus(StrEnum):
    RECORDING = 'recording'
    OK = 'ok'
    FAILED = 'failed'


class Migration(migrations.Migration):
    dependencies = [('crm', '0007_group_outbound_caller_id_retry')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Group',
            name='recording',
            field=fields.CharEnumField(default='off', db_default='off', description='OFF: off\nALL: all\nON_DEMAND: on_demand', enum_type=RecordingMode, max_length=16),
        ),
        # A group that recorded its calls records all of them (mode "all").
        ops.RunSQL(
            "UPDATE `groups` SET `recording` = 'all' WHERE `record_calls`",
            reverse_sql="UPDATE `groups` SET `record_calls` = (`recording` = 'all')",
        ),
        ops.RemoveField(model_name='Group', name='record_calls'),
        ops.CreateModel(
            name='Recording',
            fields=[
                ('id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('call_ref', fields.CharField(max_length=64)),
                ('group_id', fields.IntField(null=True)),
                ('agent_id', fields.IntField(null=True)),
                ('name', fields.CharField(unique=True, max_length=128)),
                ('path', fields.CharField(default='', max_length=512)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('duration_s', fields.FloatField(null=True)),
                ('size_bytes', fields.BigIntField(null=True)),
                ('status', fields.CharEnumField(default=RecordingStatus.RECORDING, description='RECORDING: recording\nOK: ok\nFAILED: failed', enum_type=RecordingStatus, max_length=16)),
                ('error', fields.CharField(default='', max_length=255)),
            ],
            options={'table': 'recordings', 'app': 'crm', 'pk_attr': 'id', 'table_description': 'B9: one recorded segment of a call (hold and consultations split a call in segments).', 'indexes': [Index(fields=('call_ref',)), Index(fields=('started_at',)), Index(fields=('agent_id', 'started_at'))]},
            bases=['Model'],
        ),
    ]
