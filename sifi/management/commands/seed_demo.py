"""`manage.py seed_demo`: the demo organizations and their people. Idempotent."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from sifi.models import Organization, Role
from sifi.services import create_service_token, ensure_member

DEMO_ORG = "Demo Trading Co."
SECOND_ORG = "Second Org"
DEMO_SERVICE_TOKEN = "svc_demo-trading-ingestion-token-2025"

DEMO_PEOPLE = [
    ("admin", Role.ADMIN, "Aisha", "Al-Harbi"),
    ("finance", Role.FINANCE_MANAGER, "Faisal", "Al-Qahtani"),
    ("accountant", Role.ACCOUNTANT, "Sara", "Al-Otaibi"),
    ("employee", Role.EMPLOYEE, "Omar", "Al-Zahrani"),
]


class Command(BaseCommand):
    help = "Create the demo organizations, users of every role and an ingestion token."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        with transaction.atomic():
            demo, _ = Organization.objects.get_or_create(name=DEMO_ORG)
            second, _ = Organization.objects.get_or_create(name=SECOND_ORG)
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
            token = create_service_token(organization=demo, raw_token=DEMO_SERVICE_TOKEN)

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Organization {DEMO_ORG!r}:")
        for username, role, _first, _last in DEMO_PEOPLE:
            self.stdout.write(f"  {username:<12} {role.label:<16} password: {password}")
        self.stdout.write(f"Organization {SECOND_ORG!r}:")
        self.stdout.write(f"  {'other_admin':<12} {Role.ADMIN.label:<16} password: {password}")
        self.stdout.write(f"Ingestion service token ({DEMO_ORG}): {token}")
