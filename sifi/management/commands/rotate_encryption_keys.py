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
            for pk, api_key in Integration.objects.exclude(api_key="").values_list("pk", "api_key"):
                Integration.objects.filter(pk=pk).update(api_key=api_key)
                count += 1
        self.stdout.write(f"Re-encrypted {count} secret(s) with the newest key.")
