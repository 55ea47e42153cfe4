from django.apps import AppConfig


class ZohoBooksConfig(AppConfig):
    """Zoho Books' package as an app: its sandbox command (and, later, templates and
    messages)."""

    name = "integrations.providers.zoho_books"
    label = "zoho_books"
    verbose_name = "Zoho Books"
