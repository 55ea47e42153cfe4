"""Provider-neutral names, data kept: an account's provider id is `external_id` and it says
which provider it mirrors (every existing chart came from Qoyod); a document's attachment id
is `external_attachment_id`."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounting", "0007_remove_unused_wallet"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="account", name="account_unique_qoyod_id_per_org"),
        migrations.RenameField(model_name="account", old_name="qoyod_id", new_name="external_id"),
        migrations.AddField(
            model_name="account",
            name="provider",
            field=models.CharField(default="qoyod", max_length=32),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                fields=("organization", "provider", "external_id"),
                name="account_unique_external_id",
            ),
        ),
        migrations.RenameField(
            model_name="document",
            old_name="qoyod_attachment_id",
            new_name="external_attachment_id",
        ),
    ]
