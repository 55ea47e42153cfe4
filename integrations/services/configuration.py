"""Writes of a connection's configuration: the Source Account, the Input VAT account, Auto
Sync, for books that keep journals the journal our entries go to, and the provider's own
options (its connect flow's `options`)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounting.models import Account
from accounting.providers import provider_for
from accounting.services.pending_rules import adopt_pending_rules
from integrations.connect.base import flow_for
from integrations.models import ConnectionStatus, Integration
from integrations.services.connection import (
    integration_for_update,
    provider_name,
    snapshot,
)
from sifi.exceptions import Conflict
from sifi.models import Organization
from sifi.services import record_audit

_UNSET: Any = object()


def _posting_account(
    *, organization: Organization, account_id: int, field: str, provider: str
) -> Account:
    """An active posting account of the organization's synced chart of `provider`, or a 400
    on `field`."""
    name = provider_name(provider)
    account = Account.objects.filter(
        organization=organization, provider=provider, pk=account_id
    ).first()
    if account is None:
        raise ValidationError(
            {
                field: [
                    _("Pick an account from your synced %(provider)s chart.") % {"provider": name}
                ]
            }
        )
    if not account.active:
        raise ValidationError(
            {
                field: [
                    _("Account %(account)s is inactive in %(provider)s.")
                    % {"account": account, "provider": name}
                ]
            }
        )
    if account.is_heading:
        raise ValidationError(
            {
                field: [
                    _(
                        "Account %(account)s is a heading (it has sub-accounts); pick one of "
                        "its sub-accounts."
                    )
                    % {"account": account}
                ]
            }
        )
    return account


def _paying_account(account: Account, *, provider: str) -> Account:
    """The Source Account of books whose payment side must take payments
    (`Provider.source_account_must_take_payments`) is one they mark so, or a 400."""
    if provider_for(provider).source_account_must_take_payments and not account.receive_payments:
        raise ValidationError(
            {
                "source_account": [
                    _(
                        "%(provider)s pays expenses only from accounts that take payments, and "
                        "%(account)s does not: pick a bank, cash or card account (one enabled "
                        "for payments in %(provider)s)."
                    )
                    % {"provider": provider_name(provider), "account": account}
                ]
            }
        )
    return account


def _asset_account(account: Account) -> Account:
    """The Input VAT account is VAT the organization reclaims: an asset, or a 400 (an account
    whose type says nothing of its class is accepted)."""
    if account.is_asset is False:
        raise ValidationError(
            {
                "input_vat_account": [
                    _(
                        "%(account)s is not an asset account: Input VAT is VAT you reclaim, "
                        "booked to an asset account (not Output VAT, a liability)."
                    )
                    % {"account": account}
                ]
            }
        )
    return account


def _liability_account(account: Account) -> Account:
    """The Output VAT account is VAT the organization owes: a liability, or a 400 (an account
    whose type says nothing of its class is accepted)."""
    if account.is_liability is False:
        raise ValidationError(
            {
                "output_vat_account": [
                    _(
                        "%(account)s is not a liability account: Output VAT is VAT you owe, "
                        "booked to a liability account (not Input VAT, an asset)."
                    )
                    % {"account": account}
                ]
            }
        )
    return account


def _journal(integration: Integration, journal_id: str | None) -> dict[str, Any]:
    name = provider_name(integration.provider)
    if not provider_for(integration.provider).keeps_journals:
        raise ValidationError(
            {"journal": [_("%(provider)s keeps no journals.") % {"provider": name}]}
        )
    for row in integration.journals or []:
        if row.get("id") == journal_id:
            return dict(row)
    raise ValidationError(
        {
            "journal": [
                _("Pick one of the general journals of %(provider)s (Sync now refreshes them).")
                % {"provider": name}
            ]
        }
    )


@transaction.atomic
def configure(
    *,
    actor: Any,
    organization: Organization,
    provider: str,
    source_account_id: int | None = _UNSET,
    input_vat_account_id: int | None = _UNSET,
    output_vat_account_id: int | None = _UNSET,
    auto_sync: bool = _UNSET,
    journal_id: str | None = _UNSET,
    options: Mapping[str, Any] | None = None,
) -> Integration:
    """Set the Source Account, the Input VAT account, Auto Sync and/or (books with journals)
    the journal entries go to, and/or provider options. Both accounts must be active posting
    accounts of the provider's synced chart, and not the same account; the Source Account
    cannot be cleared (None: a 400), the Input VAT account is not one whose type says it is
    a liability, equity, income or expense (None clears it), the Output VAT account (reverse
    charge) one whose type does not say it is an asset, equity, income or expense, and neither
    of the other two (None clears it); the journal one of its
    general journals (None: back to the default one chosen when connecting); each option one
    the provider's flow declares, checked by it (a 400 on the option's name)."""
    integration = integration_for_update(organization=organization, provider=provider)
    if integration.status == ConnectionStatus.NOT_CONNECTED:
        raise Conflict(
            _("Connect %(provider)s before configuring it.")
            % {"provider": provider_name(provider)},
            code="not_connected",
        )
    before = snapshot(integration)
    if source_account_id is None:
        raise ValidationError(
            {
                "source_account": [
                    _(
                        "Pick the Source Account: every entry needs it as its other side "
                        "(the SiFi wallet)."
                    )
                ]
            }
        )
    if source_account_id is not _UNSET:
        integration.source_account = _paying_account(
            _posting_account(
                organization=organization,
                account_id=source_account_id,
                field="source_account",
                provider=provider,
            ),
            provider=provider,
        )
    if input_vat_account_id is not _UNSET:
        integration.input_vat_account = (
            None
            if input_vat_account_id is None
            else _asset_account(
                _posting_account(
                    organization=organization,
                    account_id=input_vat_account_id,
                    field="input_vat_account",
                    provider=provider,
                )
            )
        )
    if output_vat_account_id is not _UNSET:
        integration.output_vat_account = (
            None
            if output_vat_account_id is None
            else _liability_account(
                _posting_account(
                    organization=organization,
                    account_id=output_vat_account_id,
                    field="output_vat_account",
                    provider=provider,
                )
            )
        )
    if journal_id is not _UNSET and journal_id is not None:
        chosen = _journal(integration, journal_id)
        integration.journal_external_id = chosen["id"]
        integration.journal_name = f"{chosen.get('code')} · {chosen.get('name')}"
    if (
        integration.input_vat_account_id is not None
        and integration.input_vat_account_id == integration.source_account_id
    ):
        raise ValidationError(
            {
                "input_vat_account": [
                    _("The Input VAT account cannot be the Source Account (the wallet).")
                ]
            }
        )
    if integration.output_vat_account_id is not None and integration.output_vat_account_id in (
        integration.source_account_id,
        integration.input_vat_account_id,
    ):
        raise ValidationError(
            {
                "output_vat_account": [
                    _(
                        "The Output VAT account cannot be the Source Account nor the Input VAT "
                        "account."
                    )
                ]
            }
        )
    if auto_sync is not _UNSET:
        integration.auto_sync = bool(auto_sync)
    if options:
        integration.options = {**integration.options, **_checked_options(integration, options)}
    integration.save()
    record_audit(
        organization=organization,
        actor=actor,
        action="integration.configure",
        target_type="integration",
        target_id=integration.pk,
        before=before,
        after=snapshot(integration),
    )
    # With a Source Account the rules written before the chart was there can be made.
    adopt_pending_rules(organization=organization)
    return integration


def _checked_options(integration: Integration, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options to store: each declared by the provider's flow and valid (its API field's
    validation, then the flow's own check against what the connection holds)."""
    declared = {option.name: option for option in flow_for(integration.provider).options}
    unknown = sorted(set(options) - set(declared))
    if unknown:
        raise ValidationError(
            {
                name: [
                    _("%(provider)s has no option “%(name)s”.")
                    % {"provider": provider_name(integration.provider), "name": name}
                ]
                for name in unknown
            }
        )
    serializer = flow_for(integration.provider).options_serializer()(data=dict(options))
    if not serializer.is_valid():
        raise ValidationError(
            {name: [str(each) for each in errors] for name, errors in serializer.errors.items()}
        )
    checked: dict[str, Any] = {}
    for name, value in serializer.validated_data.items():
        check = declared[name].check
        checked[name] = check(integration, value) if check else value
    return checked
