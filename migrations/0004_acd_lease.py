from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('crm', '0003_session_version')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AcdLease',
            fields=[
                ('name', fields.CharField(primary_key=True, max_length=64, unique=True, db_index=True)),
                ('holder', fields.CharField(default='', max_length=160)),
                ('beat', fields.BigIntField(default=0)),
                ('updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'acd_lease', 'app': 'crm', 'pk_attr': 'name', 'table_description': 'Which process runs the ACD of one Stasis application name (one active, others stand'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Revision',
            fields=[
                ('name', fields.CharField(primary_key=True, max_length=64, unique=True, db_index=True)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'revisions', 'app': 'crm', 'pk_attr': 'name', 'table_description': 'Counters bumped when something a running process caches changes (``acd_config``:'},
            bases=['Model'],
        ),
    ]
