"""Serializers the integrations API shares with the provider packages."""

from rest_framework import serializers

from accounting.models import Account


class AccountOutputSerializer(serializers.ModelSerializer):
    """One account of a provider's synced chart; `external_id` is the provider's own id, a
    string whatever its type there ("1038", "group-10", "acc_9f2"). Headings (account
    groups) are not assignable."""

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "code",
            "name_en",
            "name_ar",
            "type",
            "group_type",
            "parent",
            "receive_payments",
            "active",
            "is_heading",
        ]
