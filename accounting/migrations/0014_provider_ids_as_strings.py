"""Providers' ids become strings, data kept (the next providers' ids are "acc_9f2",
"460000000038029"): PostgreSQL converts each column in place (`ALTER COLUMN ... TYPE
varchar(64) USING col::varchar(64)`: 1038 becomes "1038", NULL stays NULL) and rebuilds the
indexes on it, among them `account_unique_external_id`, the chart's upsert key.

Then the data that follows the new form:
- Odoo's account groups (headings) had negative ids (-10); they are "group-10" now;
- the lines kept with each synced transaction (`journal_entry_lines`, what reconciliation
  compares) and a reconciliation's entry ids hold the ids as JSON strings, as new ones do.

Backwards: headings get their negative ids again; the JSON can stay (the code before this
reads strings of digits too). Going back fails once ids that are not numbers are stored.
"""

from django.db import migrations, models

ODOO_GROUPS_TO_STRINGS = """
UPDATE accounting_account
   SET external_id = 'group-' || substr(external_id, 2)
 WHERE provider = 'odoo' AND external_id ~ '^-[0-9]+$'
"""
ODOO_GROUPS_TO_NEGATIVE = """
UPDATE accounting_account
   SET external_id = '-' || substr(external_id, length('group-') + 1)
 WHERE provider = 'odoo' AND external_id ~ '^group-[0-9]+$'
"""
# [{"account": 1038, ...}] → [{"account": "1038", ...}], in the lines' order.
LINE_ACCOUNTS_TO_STRINGS = """
UPDATE accounting_transaction
   SET journal_entry_lines = (
       SELECT jsonb_agg(
                  CASE WHEN jsonb_typeof(line -> 'account') = 'number'
                       THEN jsonb_set(line, '{account}', to_jsonb(line ->> 'account'))
                       ELSE line END
                  ORDER BY position)
         FROM jsonb_array_elements(journal_entry_lines) WITH ORDINALITY AS lines(line, position))
 WHERE jsonb_typeof(journal_entry_lines) = 'array'
   AND jsonb_path_exists(journal_entry_lines, '$[*].account ? (@.type() == "number")')
"""
# [5, 7] → ["5", "7"]
ENTRY_IDS_TO_STRINGS = """
UPDATE accounting_reconciliationitem
   SET journal_entry_ids = (
       SELECT jsonb_agg(
                  CASE WHEN jsonb_typeof(entry_id) = 'number'
                       THEN to_jsonb(entry_id #>> '{}') ELSE entry_id END
                  ORDER BY position)
         FROM jsonb_array_elements(journal_entry_ids) WITH ORDINALITY AS ids(entry_id, position))
 WHERE jsonb_typeof(journal_entry_ids) = 'array'
   AND jsonb_path_exists(journal_entry_ids, '$[*] ? (@.type() == "number")')
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0013_sync_run_waiting_until"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="external_id",
            field=models.CharField(max_length=64),
        ),
        migrations.AlterField(
            model_name="document",
            name="external_attachment_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="syncrunitem",
            name="journal_entry_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="transaction",
            name="journal_entry_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.RunSQL(ODOO_GROUPS_TO_STRINGS, reverse_sql=ODOO_GROUPS_TO_NEGATIVE),
        migrations.RunSQL(LINE_ACCOUNTS_TO_STRINGS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(ENTRY_IDS_TO_STRINGS, reverse_sql=migrations.RunSQL.noop),
    ]
