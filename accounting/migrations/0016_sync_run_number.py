"""Runs get a number of their organization's own ("Sync run #1" is each organization's first):
the runs there are numbered in the order they were started, then every run must have one,
once per organization."""

from django.db import migrations, models

NUMBER_EXISTING_RUNS = """
UPDATE accounting_syncrun AS run SET number = numbered.number
FROM (
    SELECT id, row_number() OVER (PARTITION BY organization_id ORDER BY created_at, id) AS number
    FROM accounting_syncrun
) AS numbered
WHERE numbered.id = run.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0015_sync_run_waiting_window"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncrun",
            name="number",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.RunSQL(NUMBER_EXISTING_RUNS, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="syncrun",
            name="number",
            field=models.PositiveIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="syncrun",
            constraint=models.UniqueConstraint(
                fields=("organization", "number"), name="sync_run_number_per_organization"
            ),
        ),
    ]
