"""Vendors say which accounting system they are mirrored from: a vendor's id is its provider's
own, so two systems' vendors of one organization never share a row. Every vendor stored so far
came from the only provider that offered the attribute."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("integrations", "0009_provider_ids_as_strings")]

    operations = [
        migrations.AddField(
            model_name="vendor",
            name="provider",
            field=models.CharField(default="qoyod", max_length=32),
            preserve_default=False,
        ),
        migrations.RemoveConstraint(model_name="vendor", name="vendor_unique_external_id_per_org"),
        migrations.AddConstraint(
            model_name="vendor",
            constraint=models.UniqueConstraint(
                fields=("organization", "provider", "external_id"),
                name="vendor_unique_external_id_per_provider",
            ),
        ),
    ]
