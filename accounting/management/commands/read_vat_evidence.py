"""`python manage.py read_vat_evidence`: queue the reading of every receipt never read for its
ZATCA QR code (transactions ingested before VAT evidence existed, or a reading lost)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounting import tasks
from accounting.services.vat_evidence import pending_chunks, read_vat_evidence
from sifi.models import Organization


class Command(BaseCommand):
    help = (
        "Queue the reading of the receipts of every transaction whose VAT evidence is still "
        "pending (the workers read them), or read them here with --here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organization (its name)")
        parser.add_argument(
            "--here", action="store_true", help="read in this process instead of queueing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization_id = None
        if options["org"]:
            found = Organization.objects.filter(name=options["org"]).first()
            if found is None:
                raise CommandError(f"No organization named {options['org']!r}.")
            organization_id = found.pk
        transactions = 0
        for chunk in pending_chunks(organization_id=organization_id):
            if options["here"]:
                read_vat_evidence(transaction_ids=chunk)
            else:
                tasks.read_vat_evidence.delay(chunk)
            transactions += len(chunk)
        verb = "read" if options["here"] else "queued for reading"
        self.stdout.write(f"{transactions} transactions {verb}.")
