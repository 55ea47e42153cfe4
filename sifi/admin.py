from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from sifi.models import AuditEvent, Organization, ServiceToken, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "base_currency", "time_zone", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "organization", "role", "is_staff"]
    list_filter = ["role", "organization", "is_staff"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("SiFi", {"fields": ("organization", "role")}))


@admin.register(ServiceToken)
class ServiceTokenAdmin(admin.ModelAdmin):
    list_display = ["organization", "name", "hint", "created_at", "revoked_at"]
    readonly_fields = ["token_hash", "hint"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "organization",
        "actor_label",
        "action",
        "target_type",
        "target_id",
    ]
    list_filter = ["action", "organization"]

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
