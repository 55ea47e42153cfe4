"""`manage.py seed_demo`: the demo organizations and their people. Idempotent."""

import datetime
import itertools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounting.demo import demo_transactions
from accounting.services.ingestion import ingest_transactions
from sifi.models import Organization, Role
from sifi.services import create_service_token, ensure_member

DEMO_ORG = "Demo Trading Co."
SECOND_ORG = "Second Org"
ZOHO_ORG = "Zoho Demo Co."
WAFEQ_ORG = "Wafeq Demo Co."
DEMO_SERVICE_TOKEN = "svc_demo-trading-ingestion-token-2025"

DEMO_PEOPLE = [
    ("admin", Role.ADMIN, "Aisha", "Al-Harbi"),
    ("finance", Role.FINANCE_MANAGER, "Faisal", "Al-Qahtani"),
    ("accountant", Role.ACCOUNTANT, "Sara", "Al-Otaibi"),
    ("employee", Role.EMPLOYEE, "Omar", "Al-Zahrani"),
]


# (name, merchant contains, account code): ride-hailing is travel, ads are advertising, the
# bookshop is office supplies; codes of the sandbox's demo chart.
DEMO_RULES = [
    ("Ride-hailing: Careem", "careem", "530101"),
    ("Ride-hailing: Uber", "uber", "530101"),
    ("Google Ads", "google ads", "5202"),
    ("Meta ads", "meta platforms", "5202"),
    ("Jarir (English)", "jarir", "510401"),
    ("Jarir (Arabic)", "جرير", "510401"),
]


class Command(BaseCommand):
    help = "Create the demo organizations, users of every role and an ingestion token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--transactions",
            type=int,
            default=3000,
            help="How many demo transactions the demo organization has (default 3000).",
        )
        parser.add_argument(
            "--connect-qoyod",
            action="store_true",
            help="Also connect the demo organization to the Qoyod sandbox's demo tenant "
            "(QOYOD_BASE_URL must point at a running sandbox), sync its chart and pick the "
            "source account.",
        )
        parser.add_argument(
            "--connect-odoo",
            action="store_true",
            help="Also give the second organization a demo ledger and connect it to the Odoo "
            "sandbox's demo database (ODOO_SANDBOX_URL, default http://127.0.0.1:8769, must "
            "point at a running sandbox), sync its chart and pick the source and VAT accounts.",
        )
        parser.add_argument(
            "--connect-zoho",
            action="store_true",
            help="Also give Zoho Demo Co. a demo ledger and connect it to the Zoho Books sandbox "
            "(ZOHO_SANDBOX_URL, default http://127.0.0.1:8771, must point at a running sandbox, "
            "with ZOHO_ACCOUNTS_URL/ZOHO_ACCOUNTS_SERVERS and the sandbox's client): signs in "
            "through its consent page as a person would, syncs the chart and picks the source "
            "and VAT accounts.",
        )
        parser.add_argument(
            "--connect-wafeq",
            action="store_true",
            help="Also give Wafeq Demo Co. a demo ledger and connect it to the Wafeq sandbox "
            "(WAFEQ_BASE_URL must point at a running sandbox's /v1), sync its chart and tax "
            "rates and pick the source account and the input VAT tax rate.",
        )
        parser.add_argument(
            "--second-org-transactions",
            type=int,
            default=300,
            help="How many demo transactions the second organization gets with --connect-odoo "
            "(and Zoho Demo Co. with --connect-zoho, Wafeq Demo Co. with --connect-wafeq).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        with transaction.atomic():
            demo, _ = Organization.objects.get_or_create(name=DEMO_ORG)
            second, _ = Organization.objects.get_or_create(name=SECOND_ORG)
            zoho, _ = Organization.objects.get_or_create(name=ZOHO_ORG)
            for username, role, first, last in DEMO_PEOPLE:
                ensure_member(
                    organization=demo,
                    username=username,
                    role=role,
                    password=password,
                    first_name=first,
                    last_name=last,
                )
            ensure_member(
                organization=second,
                username="other_admin",
                role=Role.ADMIN,
                password=password,
                first_name="Khalid",
                last_name="Al-Dossari",
            )
            ensure_member(
                organization=zoho,
                username="zoho_admin",
                role=Role.ADMIN,
                password=password,
                first_name="Noura",
                last_name="Al-Shehri",
            )
            wafeq_org, _ = Organization.objects.get_or_create(name=WAFEQ_ORG)
            ensure_member(
                organization=wafeq_org,
                username="wafeq_admin",
                role=Role.ADMIN,
                password=password,
                first_name="Faisal",
                last_name="Al-Harbi",
            )
            token = create_service_token(organization=demo, raw_token=DEMO_SERVICE_TOKEN)

        if options["connect_qoyod"]:
            self._connect_qoyod(demo)
        self._seed_rules(demo)  # before the ledger: what arrives gets its suggestions
        self._seed_ledger(demo, options["transactions"])
        if options["connect_odoo"]:
            self._seed_ledger(second, options["second_org_transactions"])
            self._connect_odoo(second)
        if options["connect_zoho"]:
            self._seed_ledger(zoho, options["second_org_transactions"])
            self._connect_zoho(zoho)
        if options["connect_wafeq"]:
            self._seed_ledger(wafeq_org, options["second_org_transactions"])
            self._connect_wafeq(wafeq_org)

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo ledger: {options['transactions']} transactions.")
        self.stdout.write(f"Organization {DEMO_ORG!r}:")
        for username, role, _first, _last in DEMO_PEOPLE:
            self.stdout.write(f"  {username:<12} {role.label:<16} password: {password}")
        self.stdout.write(f"Organization {SECOND_ORG!r}:")
        self.stdout.write(f"  {'other_admin':<12} {Role.ADMIN.label:<16} password: {password}")
        self.stdout.write(f"Organization {ZOHO_ORG!r}:")
        self.stdout.write(f"  {'zoho_admin':<12} {Role.ADMIN.label:<16} password: {password}")
        self.stdout.write(f"Organization {WAFEQ_ORG!r}:")
        self.stdout.write(f"  {'wafeq_admin':<12} {Role.ADMIN.label:<16} password: {password}")
        self.stdout.write(f"Ingestion service token ({DEMO_ORG}): {token}")

    def _seed_ledger(self, organization: Organization, count: int) -> int:
        """Ingest the deterministic demo ledger in batches; existing references stay as is."""
        created = 0
        end = datetime.date(2025, 11, 30)
        from accounting.models import Transaction

        existing = set(
            Transaction.objects.filter(organization=organization).values_list(
                "reference", flat=True
            )
        )
        incoming = demo_transactions(count, end=end, existing=existing)
        while batch := list(itertools.islice(incoming, 500)):
            created += ingest_transactions(organization=organization, items=batch).created
        return created

    def _seed_rules(self, organization: Organization) -> None:
        """A handful of sensible coding rules: pending until the organization's chart has
        their accounts and a Source Account is set (the first walk-through's configuration
        adopts them, `accounting.services.pending_rules`), made at once when it has.
        Idempotent."""
        from accounting.services.pending_rules import add_pending_rule, adopt_pending_rules
        from accounting.services.suggestions import apply_rules

        for priority, (name, text, code) in enumerate(DEMO_RULES, start=1):
            add_pending_rule(
                organization=organization,
                name=name,
                priority=priority * 10,
                conditions={"merchant_contains": text},
                account_code=code,
            )
        if adopt_pending_rules(organization=organization, reapply=False):
            apply_rules(organization=organization)  # the ledger already there, at once

    def _connect_qoyod(self, organization: Organization) -> None:
        """Demo Trading Co. keeps its books in the Qoyod sandbox's demo company (SPEC §9)."""
        self._connect_demo(
            organization,
            provider="qoyod",
            username="admin",
            values={"api_key": "sandbox-demo-key"},
            accounts=("110101", "1104"),
            start_hint=f"the Qoyod sandbox at {settings.QOYOD_BASE_URL}: start it with "
            "`manage.py qoyod_sandbox --port 8765`",
        )

    def _connect_odoo(self, organization: Organization) -> None:
        """Second Org keeps its books in the Odoo sandbox's demo database (SPEC §9)."""
        from integrations.providers.odoo.sandbox.seed import (
            DEMO_DATABASE,
            DEMO_KEY,
            DEMO_LOGIN,
        )

        url = settings.ODOO_SANDBOX_URL
        self._connect_demo(
            organization,
            provider="odoo",
            username="other_admin",
            values={
                "url": url,
                "database": DEMO_DATABASE,
                "username": DEMO_LOGIN,
                "api_key": DEMO_KEY,
            },
            accounts=("111001", "114001"),
            start_hint=f"the Odoo sandbox at {url}: start it with `manage.py odoo_sandbox "
            "--port 8769` (and ALLOW_PRIVATE_PROVIDER_URLS=true when DEBUG is off)",
        )

    def _connect_zoho(self, organization: Organization) -> None:
        """Zoho Demo Co. keeps its books in the Zoho Books sandbox's demo organization (SPEC
        §9), connected through the sandbox's consent page as a person would: Accept, then the
        callback with the code."""
        url = settings.ZOHO_SANDBOX_URL
        self._connect_demo(
            organization,
            provider="zoho_books",
            username="zoho_admin",
            sign_in=lambda admin: self._accept_zoho_consent(organization, admin),
            accounts=("110101", "1104"),
            start_hint=f"the Zoho Books sandbox at {url}: start it with `manage.py "
            "zoho_books_sandbox --port 8771`, with ZOHO_ACCOUNTS_URL and ZOHO_ACCOUNTS_SERVERS "
            f"set to {url}, ZOHO_CLIENT_ID/ZOHO_CLIENT_SECRET to sifi-sandbox-client/"
            "sifi-sandbox-secret and ALLOW_PRIVATE_PROVIDER_URLS=true",
        )

    def _accept_zoho_consent(self, organization: Organization, admin: Any) -> None:
        """Start the sign-in, press Accept on the sandbox's consent page, and come back to the
        callback with what it sends (the services the callback page calls)."""
        from urllib.parse import parse_qsl, urlsplit

        import httpx

        from integrations.services import finish_authorization, start_authorization

        authorize_url = start_authorization(
            actor=admin, organization=organization, provider="zoho_books"
        )
        consent = urlsplit(authorize_url)
        answer = httpx.post(
            f"{consent.scheme}://{consent.netloc}{consent.path}",
            data={**dict(parse_qsl(consent.query)), "decision": "accept"},
            follow_redirects=False,
            timeout=10.0,
        )
        if answer.status_code != 302:
            raise CommandError(f"the consent page answered HTTP {answer.status_code}")
        back = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
        finish_authorization(
            actor=admin, organization=organization, provider="zoho_books", params=back
        )

    def _connect_wafeq(self, organization: Organization) -> None:
        """Wafeq Demo Co. keeps its books in the Wafeq sandbox's demo organization (SPEC §9):
        VAT as its 15 % input tax rate; refunds stay off manual journals (the default)."""
        from integrations.providers.wafeq.sandbox.seed import DEMO_KEY, INPUT_VAT_RATE

        self._connect_demo(
            organization,
            provider="wafeq",
            username="wafeq_admin",
            values={"api_key": DEMO_KEY},
            accounts=("1101", None),
            options={"input_vat_tax_rate": INPUT_VAT_RATE},
            start_hint=f"the Wafeq sandbox at {settings.WAFEQ_BASE_URL}: start it with "
            "`manage.py wafeq_sandbox --port 8773` (and ALLOW_PRIVATE_PROVIDER_URLS=true when "
            "DEBUG is off)",
        )

    def _connect_demo(
        self,
        organization: Organization,
        *,
        provider: str,
        username: str,
        accounts: tuple[str, str | None],
        start_hint: str,
        values: dict[str, str] | None = None,
        sign_in: Callable[[Any], None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        """Connect `organization` to a provider's sandbox as `username` (unless it is
        connected) with credentials (`values`) or a sign-in (`sign_in`, OAuth), sync its
        chart, and pick the Source Account and Input VAT account by code (and the provider's
        `options`, e.g. an input VAT tax rate)."""
        from accounting.models import Account
        from integrations.config_sync import run_config_sync
        from integrations.jobs import start_config_sync
        from integrations.models import Integration
        from integrations.services import configure, connect, record_consent
        from sifi.models import User

        admin = User.objects.get(username=username)
        integration = Integration.objects.filter(
            organization=organization, provider=provider
        ).first()
        if integration is None or integration.status == "not_connected":
            record_consent(actor=admin, organization=organization, accept=True, provider=provider)
            try:
                if sign_in is not None:
                    sign_in(admin)
                else:
                    connect(
                        actor=admin,
                        organization=organization,
                        provider=provider,
                        values=values or {},
                    )
            except Exception as exc:
                raise CommandError(f"Could not connect to {start_hint}. ({exc})") from exc
        job = start_config_sync(
            actor=admin, organization=organization, attributes=["accounts"], provider=provider
        )
        run_config_sync(job_id=job.pk)  # no-op if a worker already took it: wait for it then
        for _ in range(120):
            job.refresh_from_db()
            if job.status in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        chart = Account.objects.filter(organization=organization, provider=provider)
        wallet = chart.get(code=accounts[0])
        input_vat = chart.get(code=accounts[1]) if accounts[1] else None
        configure(
            actor=admin,
            organization=organization,
            provider=provider,
            source_account_id=wallet.pk,
            input_vat_account_id=input_vat.pk if input_vat else None,
            options=options,
        )
        vat = input_vat or (options or {}).get("input_vat_tax_rate")
        self.stdout.write(
            f"{organization.name} connected to {provider}'s sandbox; source account: {wallet}; "
            f"input VAT: {vat}."
        )
