"""Ingestion API: SiFi's card platform sends batches of transactions (service token)."""

import base64
import binascii
import datetime
import io
from typing import Any

import pycountry
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import Document, TransactionType, direction_of
from accounting.services.ingestion import (
    IncomingDocument,
    IncomingReceipts,
    IncomingTransaction,
    UnknownTransaction,
    ingest_transactions,
    wallet_currency_error,
)
from sifi.models import Organization
from sifi.permissions import IsServiceToken
from sifi.tenancy import current_organization

MAX_BATCH = 1000
MAX_DESCRIPTION = 2000
# Plausible transaction times: SiFi did not exist before 2000, and a clock a little ahead is
# tolerated, a date in the future is not.
EARLIEST_OCCURRED_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
MAX_AHEAD = datetime.timedelta(days=1)

# File signatures: a receipt must really be the kind of file it says it is.
MAGIC = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def _is_readable(content: bytes, content_type: str) -> bool:
    """The file opens as what it claims: a PDF with at least one page, an image that decodes.
    A signature alone is not enough (an HTML page starting with `%PDF` is not a receipt)."""
    try:
        if content_type == "application/pdf":
            return len(PdfReader(io.BytesIO(content), strict=False).pages) > 0
        with Image.open(io.BytesIO(content)) as image:
            if image.format != PILLOW_FORMATS[content_type]:
                return False
            image.load()  # decodes every pixel: a truncated or corrupt file fails here
        return True
    except (PyPdfError, UnidentifiedImageError, OSError, ValueError, KeyError, RecursionError):
        return False


def _is_iso_4217(code: str) -> bool:
    return pycountry.currencies.get(alpha_3=code) is not None


class DocumentInputSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=200)
    content_type = serializers.ChoiceField(choices=list(MAGIC))
    content = serializers.CharField(help_text="The file, base64-encoded (at most 10 MB).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            content = base64.b64decode(attrs["content"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content": "Not valid base64."}) from None
        if not content:
            raise serializers.ValidationError({"content": "The file is empty."})
        if len(content) > Document.MAX_BYTES:
            raise serializers.ValidationError({"content": "A receipt can be at most 10 MB."})
        if not content.startswith(MAGIC[attrs["content_type"]]) or not _is_readable(
            content, attrs["content_type"]
        ):
            raise serializers.ValidationError(
                {"content": f"The file is not a readable {attrs['content_type']}."}
            )
        return {**attrs, "content": content}


class NamedRefSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CardRefSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    last4 = serializers.RegexField(r"^[0-9]{4}$")


class IngestItemSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=TransactionType.choices)
    direction = serializers.ChoiceField(choices=["debit", "credit"], required=False)
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=None, coerce_to_string=False
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={"invalid": "ISO 4217 code"})
    vat_amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, required=False, allow_null=True
    )
    original_amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="A payment abroad: what the merchant charged, in original_currency.",
    )
    original_currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": "ISO 4217 code"},
    )
    occurred_at = serializers.DateTimeField()
    merchant = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_DESCRIPTION
    )
    employee = NamedRefSerializer(required=False, allow_null=True)
    budget = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    card = CardRefSerializer(required=False, allow_null=True)
    documents = serializers.ListField(
        child=DocumentInputSerializer(), required=False, max_length=10
    )

    def validate_currency(self, value: str) -> str:
        if not _is_iso_4217(value):
            raise serializers.ValidationError(f"{value} is not an ISO 4217 currency code.")
        return value

    def validate_original_currency(self, value: str) -> str:
        return self.validate_currency(value) if value else value

    def validate_occurred_at(self, value: datetime.datetime) -> datetime.datetime:
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        if aware < EARLIEST_OCCURRED_AT:
            raise serializers.ValidationError("A transaction date cannot be before 2000-01-01.")
        if aware > timezone.now() + MAX_AHEAD:
            raise serializers.ValidationError(
                "A transaction date cannot be more than a day in the future."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["amount"] <= 0:
            raise serializers.ValidationError({"amount": "The amount must be more than 0."})
        vat = attrs.get("vat_amount")
        if vat is not None and (vat < 0 or vat >= attrs["amount"]):
            raise serializers.ValidationError(
                {"vat_amount": "VAT must be at least 0 and less than the amount."}
            )
        organization = self.context.get("organization")
        if organization is not None:
            wrong_currency = wallet_currency_error(organization, attrs["currency"])
            if wrong_currency:
                raise serializers.ValidationError({"currency": wrong_currency})
        original_amount = attrs.get("original_amount")
        if (original_amount is None) != (not attrs["original_currency"]):
            field = "original_currency" if original_amount is not None else "original_amount"
            raise serializers.ValidationError(
                {field: "Send original_amount and original_currency together, or neither."}
            )
        if original_amount is not None and original_amount <= 0:
            raise serializers.ValidationError(
                {"original_amount": "The original amount must be more than 0."}
            )
        expected = direction_of(attrs["type"])
        if attrs.get("direction") and attrs["direction"] != expected:
            raise serializers.ValidationError(
                {"direction": f"A {attrs['type']} is always a {expected}."}
            )
        return attrs

    def to_incoming(self, attrs: dict[str, Any]) -> IncomingTransaction:
        employee = attrs.get("employee") or {}
        card = attrs.get("card") or {}
        return IncomingTransaction(
            reference=attrs["reference"],
            type=attrs["type"],
            amount=attrs["amount"],
            currency=attrs["currency"],
            occurred_at=attrs["occurred_at"],
            vat_amount=attrs.get("vat_amount"),
            original_amount=attrs.get("original_amount"),
            original_currency=attrs["original_currency"],
            merchant=attrs["merchant"],
            description=attrs["description"],
            employee_reference=employee.get("reference", ""),
            employee_name=employee.get("name", ""),
            budget=attrs["budget"].strip(),
            card_reference=card.get("reference", ""),
            card_last4=card.get("last4", ""),
            documents=tuple(IncomingDocument(**doc) for doc in attrs.get("documents", [])),
        )


class LateReceiptSerializer(serializers.Serializer):
    """A late receipt: only the reference of a transaction already sent, and its receipts."""

    reference = serializers.CharField(max_length=64)
    documents = serializers.ListField(child=DocumentInputSerializer(), min_length=1, max_length=10)

    @staticmethod
    def is_late_receipt(raw: Any) -> bool:
        return isinstance(raw, dict) and bool(raw.get("documents")) and set(raw) <= LATE_KEYS

    def to_incoming(self, attrs: dict[str, Any]) -> IncomingReceipts:
        return IncomingReceipts(
            reference=attrs["reference"],
            documents=tuple(IncomingDocument(**doc) for doc in attrs["documents"]),
        )


LATE_KEYS = frozenset({"reference", "documents"})


class LedgerIngestApi(APIView):
    """A batch of SiFi transactions, idempotent by reference, all-or-nothing validation."""

    permission_classes = [IsServiceToken]

    class OutputSerializer(serializers.Serializer):
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        changed_after_sync = serializers.IntegerField()
        results = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        request=IngestItemSerializer(many=True),
        responses=OutputSerializer,
        description=(
            "A batch of at most 1,000 transactions, idempotent by reference. An item with only "
            "`reference` and `documents` is a late receipt: its receipts are added to the "
            "transaction already there (400 if there is none; nothing is saved). Receipts are "
            "read for their ZATCA QR code in the background (`vat_evidence`)."
        ),
    )
    def post(self, request: Request) -> Response:
        items = request.data
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError(
                {"detail": "Send a non-empty JSON array of transactions."}
            )
        if len(items) > MAX_BATCH:
            raise serializers.ValidationError(
                {"detail": f"At most {MAX_BATCH} transactions per batch."}
            )
        organization = current_organization(request)
        errors, incoming = self._validate(items, organization)
        if errors:
            return Response(
                {
                    "detail": f"{len(errors)} of {len(items)} transactions are invalid; "
                    "nothing was saved.",
                    "items": errors,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            result = ingest_transactions(
                organization=organization, items=incoming, actor=request.user
            )
        except UnknownTransaction as unknown:
            return Response(
                {
                    "detail": "A late receipt names no transaction; nothing was saved.",
                    "items": [
                        {
                            "index": next(
                                index
                                for index, item in enumerate(incoming)
                                if item.reference == unknown.reference
                            ),
                            "reference": unknown.reference,
                            "errors": {
                                "reference": [
                                    "No transaction has this reference: send the transaction "
                                    "first, then its late receipts."
                                ]
                            },
                        }
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(self.OutputSerializer(result).data)

    @staticmethod
    def _validate(
        items: list[Any], organization: Organization
    ) -> tuple[list[dict[str, Any]], list[IncomingTransaction | IncomingReceipts]]:
        errors: list[dict[str, Any]] = []
        incoming: list[IncomingTransaction | IncomingReceipts] = []
        seen: set[str] = set()
        for index, raw in enumerate(items):
            item: IngestItemSerializer | LateReceiptSerializer
            if LateReceiptSerializer.is_late_receipt(raw):
                item = LateReceiptSerializer(data=raw)
            else:
                item = IngestItemSerializer(data=raw, context={"organization": organization})
            reference = raw.get("reference") if isinstance(raw, dict) else None
            if not item.is_valid():
                errors.append({"index": index, "reference": reference, "errors": item.errors})
                continue
            # The reference as it will be stored (trimmed, a string): " R1" and "R1", 777 and
            # "777" are the same transaction.
            reference = item.validated_data["reference"]
            if reference in seen:
                errors.append(
                    {
                        "index": index,
                        "reference": reference,
                        "errors": {"reference": ["Appears twice in this batch."]},
                    }
                )
                continue
            seen.add(reference)
            incoming.append(item.to_incoming(item.validated_data))
        return errors, incoming
