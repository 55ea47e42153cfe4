"""A vendor's provider id is `external_id` (data kept)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("integrations", "0004_attachments_capability"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="vendor", name="vendor_unique_qoyod_id_per_org"),
        migrations.RenameField(model_name="vendor", old_name="qoyod_id", new_name="external_id"),
        migrations.AddConstraint(
            model_name="vendor",
            constraint=models.UniqueConstraint(
                fields=("organization", "external_id"), name="vendor_unique_external_id_per_org"
            ),
        ),
    ]
