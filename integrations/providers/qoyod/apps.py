from django.apps import AppConfig


class QoyodConfig(AppConfig):
    """Qoyod's package as an app: its sandbox command (and, later, templates and messages)."""

    name = "integrations.providers.qoyod"
    label = "qoyod"
    verbose_name = "Qoyod"
