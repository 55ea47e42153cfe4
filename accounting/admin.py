from django.contrib import admin

from accounting.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ar", "type", "organization", "active"]
    list_filter = ["active", "type", "organization"]
    search_fields = ["code", "name_en", "name_ar"]
