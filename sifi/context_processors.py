from typing import Any

from django.http import HttpRequest

from sifi.permissions import can_use_accounting, can_view_integrations


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the sidebar may show this user."""
    user = getattr(request, "user", None)
    return {
        "nav_settings": can_view_integrations(user),
        "nav_accounting": can_use_accounting(user),
    }
