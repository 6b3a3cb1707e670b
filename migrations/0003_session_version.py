from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('crm', '0002_stats_rollups')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='session_version',
            field=fields.IntField(default=0),
        ),
    ]
