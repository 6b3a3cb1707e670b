from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('crm', '0005_floor_settings_and_labels')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JournalProgress',
            fields=[
                ('epoch', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('seq', fields.BigIntField()),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'journal_progress', 'app': 'crm', 'pk_attr': 'epoch', 'table_description': 'The last fact of each call-journal process (epoch) written to the database, in the'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AgentState',
            name='ref',
            field=fields.CharField(null=True, unique=True, max_length=48),
        ),
    ]
