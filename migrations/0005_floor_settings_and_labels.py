"""Issue 14: each group's wrap-up policy and supervision colour thresholds; French labels of
the pause reasons and dispositions (the existing ``label`` is the English one)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('crm', '0004_acd_lease')]

    initial = False

    operations = [
        ops.AddField(model_name='Group', name='wrapup_extend_s', field=fields.IntField(default=30)),
        ops.AddField(model_name='Group', name='wrapup_requires_outcome',
                     field=fields.BooleanField(default=False)),
        ops.AddField(model_name='Group', name='wait_warn_s', field=fields.IntField(default=30)),
        ops.AddField(model_name='Group', name='wait_alert_s', field=fields.IntField(default=60)),
        ops.AddField(model_name='Group', name='sl_warn_pct', field=fields.IntField(default=80)),
        ops.AddField(model_name='Group', name='sl_alert_pct', field=fields.IntField(default=60)),
        ops.AddField(model_name='PauseReason', name='label_fr',
                     field=fields.CharField(default='', max_length=64)),
        ops.AddField(model_name='Disposition', name='label_fr',
                     field=fields.CharField(default='', max_length=64)),
    ]
