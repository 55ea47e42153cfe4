"""An organization's Integration, as the ledger sees its books (`accounting.providers`).

`settings.ACCOUNTING_CONNECTIONS` points at `connection_for`: the ledger finds an
organization's connection through it without importing this app.
"""

import datetime
from collections.abc import Mapping

from django.db.models import Case, IntegerField, Value, When

from accounting.models import Account
from accounting.providers import (
    Credentials,
    Provider,
    ProviderSession,
    RequestBudget,
    provider_for,
)
from integrations.connect.base import option_values
from integrations.connect.tax_codes import INPUT_VAT_TAX, OUTPUT_VAT_TAX
from integrations.models import ConnectionStatus, Integration
from integrations.services import mark_needs_attention, write_back_secrets
from sifi.models import Organization


class IntegrationBooks:
    """The ledger's `BooksConnection`, backed by one Integration row."""

    def __init__(self, integration: Integration) -> None:
        self.integration = integration
        self._provider = provider_for(integration.provider)

    @property
    def provider(self) -> Provider:
        return self._provider

    @property
    def is_connected(self) -> bool:
        integration = self.integration
        return integration.status != ConnectionStatus.NOT_CONNECTED and bool(integration.secrets)

    @property
    def attention_reason(self) -> str:
        if self.integration.status != ConnectionStatus.NEEDS_ATTENTION:
            return ""
        return self.integration.attention_reason or str(ConnectionStatus.NEEDS_ATTENTION.label)

    @property
    def source_account(self) -> Account | None:
        return self.integration.source_account

    @property
    def input_vat_account(self) -> Account | None:
        return self.integration.input_vat_account

    @property
    def input_vat(self) -> str | None:
        option = self._provider.input_vat_option
        if option:
            return str(option_values(self.integration).get(option) or "") or None
        account = self.integration.input_vat_account
        return account.external_id if account is not None else None

    @property
    def output_vat(self) -> str | None:
        account = self.integration.output_vat_account
        return account.external_id if account is not None else None

    @property
    def input_vat_tax(self) -> str | None:
        return self._vat_tax(INPUT_VAT_TAX)

    @property
    def output_vat_tax(self) -> str | None:
        return self._vat_tax(OUTPUT_VAT_TAX)

    def _vat_tax(self, option: str) -> str | None:
        """The tax code chosen in the option of that name, when the provider's flow declares
        it (books that book VAT through tax codes)."""
        return str(option_values(self.integration).get(option) or "") or None

    @property
    def attachments_supported(self) -> bool | None:
        return self.integration.attachments_supported

    def remember_attachments_supported(self, supported: bool) -> None:
        Integration.objects.filter(pk=self.integration.pk).update(attachments_supported=supported)
        self.integration.attachments_supported = supported

    @property
    def closed_until(self) -> datetime.date | None:
        return self.integration.books_closed_until

    def remember_closed_until(self, closed_until: datetime.date | None) -> None:
        if closed_until == self.integration.books_closed_until:
            return
        Integration.objects.filter(pk=self.integration.pk).update(books_closed_until=closed_until)
        self.integration.books_closed_until = closed_until

    def needs_attention(self, reason: str) -> None:
        mark_needs_attention(integration_id=self.integration.pk, reason=reason)

    def entry_url(self, entry_id: str | None) -> str:
        where = {name: str(value) for name, value in self.integration.location.items()}
        return self._provider.entry_url(entry_id, credentials=where)

    def credentials(self) -> Credentials:
        """Where the books are and the secrets; a session that refreshes its secrets (OAuth
        tokens) writes them back to this connection, compare-and-set."""
        integration_id = self.integration.pk

        def write_back(
            *, previous: Mapping[str, str], changes: Mapping[str, str]
        ) -> dict[str, str]:
            return write_back_secrets(
                integration_id=integration_id, previous=previous, changes=changes
            )

        return Credentials(self.integration.credentials(), write_back=write_back)

    def open_session(self, *, max_wait: float | None = None) -> ProviderSession:
        integration = self.integration
        return self._provider.open_session(
            self.credentials(),
            journal=integration.journal_external_id,
            max_wait=max_wait,
            options=option_values(integration),
        )

    def request_budget(self) -> RequestBudget | None:
        return self._provider.request_budget(
            self.credentials(), options=option_values(self.integration)
        )


def connection_for(organization: Organization) -> IntegrationBooks | None:
    """The organization's connection: the connected one, else the last it had (a
    disconnected connection keeps its configuration)."""
    integration = (
        Integration.objects.select_related(
            "source_account", "input_vat_account", "output_vat_account"
        )
        .filter(organization=organization)
        .order_by(
            Case(
                When(status=ConnectionStatus.NOT_CONNECTED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            "-updated_at",
        )
        .first()
    )
    return IntegrationBooks(integration) if integration else None
