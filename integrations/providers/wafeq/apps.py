from django.apps import AppConfig


class WafeqConfig(AppConfig):
    """Wafeq's package as an app: its sandbox command (and, later, templates and messages)."""

    name = "integrations.providers.wafeq"
    label = "wafeq"
    verbose_name = "Wafeq"
