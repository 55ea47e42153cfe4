"""The one way views find the organization a request acts for."""

from typing import Any

from django.core.exceptions import PermissionDenied

from sifi.models import Organization


def current_organization(request: Any) -> Organization:
    """The requesting user's (or service token's) organization; 403 if there is none."""
    organization = getattr(request.user, "organization", None)
    if not isinstance(organization, Organization):
        raise PermissionDenied("You do not belong to an organization.")
    return organization
