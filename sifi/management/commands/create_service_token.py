from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sifi.models import Organization
from sifi.services import create_service_token


class Command(BaseCommand):
    help = "Print a new ingestion token for an organization (shown once, stored hashed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization name")
        parser.add_argument("--name", default="ingestion")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(name=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization named {options['org']!r}.")
        self.stdout.write(create_service_token(organization=organization, name=options["name"]))
