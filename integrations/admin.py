from django.contrib import admin

from integrations.models import Integration, Job


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "provider",
        "status",
        "api_key_hint",
        "auto_sync",
        "last_sync_at",
    ]
    # The API key is never shown, not even to staff: only its hint.
    exclude = ["api_key"]
    readonly_fields = ["api_key_hint", "consented_scopes", "consented_by", "consented_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "organization", "kind", "status", "done", "total", "created_at"]
    list_filter = ["kind", "status"]
