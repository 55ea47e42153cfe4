"""Connecting Qoyod: one API key, checked with a real call before it is stored."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from integrations.connect.base import ApiKeyFlow, Connected
from integrations.providers.qoyod.errors import QoyodAuthError, QoyodError
from integrations.providers.qoyod.provider import open_qoyod_client
from integrations.serializers import AccountOutputSerializer
from sifi.exceptions import UpstreamError

if TYPE_CHECKING:
    from sifi.models import Organization


class QoyodAccountOutput(AccountOutputSerializer):
    # Qoyod's accounts keep their historical name for the provider's id too (SPEC §8), a
    # number as it always was (Qoyod's ids are integers; `external_id` is their digits).
    qoyod_id = serializers.IntegerField(source="external_id", read_only=True)

    class Meta(AccountOutputSerializer.Meta):
        fields = [*AccountOutputSerializer.Meta.fields, "qoyod_id"]


class QoyodConnect(ApiKeyFlow):
    key = "qoyod"
    scopes = {
        "organization:read": gettext_lazy("Read organization details"),
        "accounts:read": gettext_lazy("Read the chart of accounts"),
        "vendors:read": gettext_lazy("Read vendors"),
        "journal_entries:write": gettext_lazy("Create journal entries"),
        "documents:write": gettext_lazy("Attach documents (receipts) to journal entries"),
    }
    optional_attributes = ("vendors",)
    account_serializer = QoyodAccountOutput
    credentials_help = (
        gettext_lazy(
            "In Qoyod, open Settings › General Settings › API Key, generate a key, click Save, "  # noqa: RUF001 (the menu path as the provider writes it)
            "then paste it here. We check it with Qoyod before saving it, encrypted."
        ),
    )
    missing_key_message = gettext_lazy("Paste the API key from Qoyod.")

    def check_key(self, *, organization: "Organization", api_key: str) -> Connected:
        """A key Qoyod rejects is a 400 on `api_key`; Qoyod unreachable is a 502."""
        try:
            with open_qoyod_client(api_key=api_key) as client:
                accounts_found = client.validate_key()
        except QoyodAuthError:
            raise ValidationError(
                {
                    "api_key": [
                        _(
                            "Qoyod rejected this API key (wrong, not saved in Qoyod, or another "
                            "company's)."
                        )
                    ]
                }
            ) from None
        except QoyodError as exc:
            raise UpstreamError(
                _("Could not check the key with Qoyod: %(reason)s Nothing was saved; try again.")
                % {"reason": exc.message},
                code="qoyod_unavailable",
            ) from None
        return Connected(secrets={"api_key": api_key}, location={}, accounts_found=accounts_found)
