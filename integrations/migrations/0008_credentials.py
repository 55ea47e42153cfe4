"""Credentials become whatever a provider needs: an encrypted mapping of secrets (an API key,
an OAuth refresh token) and a plain mapping of where the books are (an instance URL, a
database, a login, the provider's company). Existing keys and addresses are carried over."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import sifi.fields

_LOCATION_COLUMNS = {
    "url": "instance_url",
    "database": "database",
    "username": "login",
    "company_id": "external_company_id",
}


def carry_credentials_over(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    for integration in Integration.objects.all():
        integration.secrets = {"api_key": integration.api_key} if integration.api_key else {}
        integration.secret_hint = integration.api_key_hint
        integration.location = {
            name: str(getattr(integration, column))
            for name, column in _LOCATION_COLUMNS.items()
            if getattr(integration, column) not in ("", None)
        }
        integration.save(update_fields=["secrets", "secret_hint", "location"])


def carry_credentials_back(apps, schema_editor):
    Integration = apps.get_model("integrations", "Integration")
    for integration in Integration.objects.all():
        integration.api_key = integration.secrets.get("api_key", "")
        integration.api_key_hint = integration.secret_hint
        for name, column in _LOCATION_COLUMNS.items():
            value = integration.location.get(name)
            if column == "external_company_id":
                setattr(integration, column, int(value) if str(value or "").isdecimal() else None)
            else:
                setattr(integration, column, value or "")
        integration.save()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0007_odoo_connection"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("sifi", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="integration",
            name="secrets",
            field=sifi.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="integration",
            name="secret_hint",
            field=models.CharField(blank=True, max_length=4),
        ),
        migrations.AddField(
            model_name="integration",
            name="location",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="integration",
            name="companies",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(carry_credentials_over, carry_credentials_back),
        migrations.RemoveField(model_name="integration", name="api_key"),
        migrations.RemoveField(model_name="integration", name="api_key_hint"),
        migrations.RemoveField(model_name="integration", name="instance_url"),
        migrations.RemoveField(model_name="integration", name="database"),
        migrations.RemoveField(model_name="integration", name="login"),
        migrations.RemoveField(model_name="integration", name="external_company_id"),
        migrations.AlterField(
            model_name="integration",
            name="provider",
            field=models.CharField(max_length=32),
        ),
        migrations.CreateModel(
            name="OAuthState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("provider", models.CharField(max_length=32)),
                ("state_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sifi.organization",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
