from django.apps import AppConfig


class OdooConfig(AppConfig):
    """Odoo's package as an app: its sandbox command (and, later, templates and messages)."""

    name = "integrations.providers.odoo"
    label = "odoo"
    verbose_name = "Odoo"
