"""The role matrix of SPEC §1, in one place. Every view names one of these.

| role            | configure integrations | read integration status | accounting menu |
|-----------------|------------------------|-------------------------|-----------------|
| Admin           | yes                    | yes                     | yes             |
| Finance Manager | yes                    | yes                     | yes             |
| Accountant      | no                     | yes (read-only)         | yes             |
| Employee        | no                     | no                      | no              |
"""

from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from sifi.models import Role

CONFIGURE_INTEGRATIONS = frozenset({Role.ADMIN, Role.FINANCE_MANAGER})
VIEW_INTEGRATIONS = frozenset({Role.ADMIN, Role.FINANCE_MANAGER, Role.ACCOUNTANT})
USE_ACCOUNTING = frozenset({Role.ADMIN, Role.FINANCE_MANAGER, Role.ACCOUNTANT})


def _member_role(user: Any) -> str | None:
    """The role of an authenticated person who belongs to an organization, else None."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_service", False):
        return None
    if getattr(user, "organization_id", None) is None:
        return None
    return str(user.role)


def can_configure_integrations(user: Any) -> bool:
    return _member_role(user) in CONFIGURE_INTEGRATIONS


def can_view_integrations(user: Any) -> bool:
    return _member_role(user) in VIEW_INTEGRATIONS


def can_use_accounting(user: Any) -> bool:
    return _member_role(user) in USE_ACCOUNTING


class _RolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return self.allows(request.user, request.method or "GET")

    def allows(self, user: Any, method: str) -> bool:
        raise NotImplementedError


class IsOrganizationMember(_RolePermission):
    """Any person of an organization, whatever the role."""

    def allows(self, user: Any, method: str) -> bool:
        return _member_role(user) is not None


class IntegrationsPermission(_RolePermission):
    """Admin and Finance Manager read and write; Accountant reads; Employee is refused."""

    def allows(self, user: Any, method: str) -> bool:
        if method in SAFE_METHODS:
            return can_view_integrations(user)
        return can_configure_integrations(user)


class RulesPermission(_RolePermission):
    """Coding rules: Admin and Finance Manager write them; Accountants read them."""

    def allows(self, user: Any, method: str) -> bool:
        if method in SAFE_METHODS:
            return can_use_accounting(user)
        return can_configure_integrations(user)


class AccountingPermission(_RolePermission):
    """The Accounting menu: Admin, Finance Manager and Accountant."""

    def allows(self, user: Any, method: str) -> bool:
        return can_use_accounting(user)


class IsServiceToken(BasePermission):
    """Only SiFi's card platform, authenticated with a service token."""

    message = "This endpoint takes a service token."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_service", False))


class RolePageMixin(AccessMixin):
    """For server-rendered pages: login required, then the role check (403 otherwise)."""

    page_permission: type[_RolePermission] = IsOrganizationMember

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.page_permission().allows(request.user, request.method or "GET"):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
