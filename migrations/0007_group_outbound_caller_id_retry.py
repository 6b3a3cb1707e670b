from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('crm', '0006_journal_keys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Group',
            name='outbound_caller_id',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddField(
            model_name='Group',
            name='retry_s',
            field=fields.IntField(default=5),
        ),
    ]
