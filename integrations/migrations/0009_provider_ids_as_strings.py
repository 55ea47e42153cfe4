"""Providers' ids become strings, data kept (see accounting 0014): a vendor's id and the
chosen journal convert in place (4 becomes "4", NULL stays NULL;
`vendor_unique_external_id_per_org` is rebuilt on the new type), and the journals a
connection offers ([{"id": 4, ...}]) carry their ids as strings, so the chosen one still
matches its row. (The provider's company is a string already: 0008 moved it into
`location`.) Backwards: the journals' ids become numbers again; going back fails once ids
that are not numbers are stored.
"""

from django.db import migrations, models

JOURNAL_IDS_TO_STRINGS = """
UPDATE integrations_integration
   SET journals = (
       SELECT jsonb_agg(
                  CASE WHEN jsonb_typeof(journal -> 'id') = 'number'
                       THEN jsonb_set(journal, '{id}', to_jsonb(journal ->> 'id'))
                       ELSE journal END
                  ORDER BY position)
         FROM jsonb_array_elements(journals) WITH ORDINALITY AS rows(journal, position))
 WHERE jsonb_typeof(journals) = 'array'
   AND jsonb_path_exists(journals, '$[*].id ? (@.type() == "number")')
"""
JOURNAL_IDS_TO_NUMBERS = """
UPDATE integrations_integration
   SET journals = (
       SELECT jsonb_agg(
                  CASE WHEN journal ->> 'id' ~ '^[0-9]+$'
                       THEN jsonb_set(journal, '{id}', to_jsonb((journal ->> 'id')::bigint))
                       ELSE journal END
                  ORDER BY position)
         FROM jsonb_array_elements(journals) WITH ORDINALITY AS rows(journal, position))
 WHERE jsonb_typeof(journals) = 'array'
   AND jsonb_path_exists(journals, '$[*].id ? (@.type() == "string")')
"""


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0008_credentials"),
    ]

    operations = [
        migrations.AlterField(
            model_name="integration",
            name="journal_external_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="vendor",
            name="external_id",
            field=models.CharField(max_length=64),
        ),
        migrations.RunSQL(JOURNAL_IDS_TO_STRINGS, reverse_sql=JOURNAL_IDS_TO_NUMBERS),
    ]
