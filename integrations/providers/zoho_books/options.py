"""Zoho Books' own configuration value beside the shared ones: the organization's daily API
quota, which depends on its Zoho plan (Free 1,000; Standard 2,000; Professional 5,000;
Premium and up 10,000; providers-api.md §2.6). The connect flow declares it
(`ConnectFlow.options = (DAILY_QUOTA,)`); the provider reads it from the `options` its
sessions and request budget are given (`provider.daily_quota_of`)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrations.connect.base import ConnectionOption
from integrations.providers.zoho_books.ratelimit import DEFAULT_DAILY_QUOTA

# Zoho's smallest plan's quota, and a generous ceiling (Zoho raises quotas on request).
MIN_DAILY_QUOTA = 1_000
MAX_DAILY_QUOTA = 100_000


def _quota_field(**kwargs: Any) -> serializers.Field:
    return serializers.IntegerField(min_value=MIN_DAILY_QUOTA, max_value=MAX_DAILY_QUOTA, **kwargs)


DAILY_QUOTA = ConnectionOption(
    name="daily_quota",
    label=_("Daily API quota"),
    help=_(
        "Requests Zoho Books allows this organization a day on its plan: Free 1,000, "
        "Standard 2,000, Professional 5,000, Premium and above 10,000."
    ),
    default=DEFAULT_DAILY_QUOTA,
    kind="int",
    api_field=_quota_field,
)
