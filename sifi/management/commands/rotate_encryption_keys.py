from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import Integration


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS. "
        "Prepend the new key, run this, then remove the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            # Reading decrypts with any configured key; writing encrypts with the first one.
            for pk, secrets in Integration.objects.exclude(secrets="").values_list("pk", "secrets"):
                Integration.objects.filter(pk=pk).update(secrets=secrets)
                count += 1
        self.stdout.write(f"Re-encrypted {count} secret(s) with the newest key.")
