from django.contrib import admin

from integrations.models import Integration, Job


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "provider",
        "status",
        "secret_hint",
        "auto_sync",
        "last_sync_at",
    ]
    # The secrets are never shown, not even to staff: only the key's hint.
    exclude = ["secrets"]
    readonly_fields = ["secret_hint", "consented_scopes", "consented_by", "consented_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "kind", "status", "done", "total", "created_at"]
    list_filter = ["kind", "status"]
