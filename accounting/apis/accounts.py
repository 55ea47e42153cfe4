"""Account search (the pickers): the organization's posting accounts by code or name."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting.models import Account
from accounting.selectors import SEARCH_LIMIT, account_search
from accounting.services.verification import source_account_for
from sifi.permissions import AccountingPermission
from sifi.tenancy import current_organization


class AccountSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    purpose = serializers.ChoiceField(
        choices=[("assign", "assign"), ("source", "source"), ("input_vat", "input_vat")],
        required=False,
        default="assign",
        help_text="assign: accounts a transaction can take (not the Source Account), most used "
        "first; source: bank and cash first; input_vat: tax accounts first.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=50, default=SEARCH_LIMIT
    )

    def validate_q(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("Type letters or digits.")
        return value


class AccountSearchOutputSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField(help_text="What the picker shows: code · name")

    class Meta:
        model = Account
        fields = ["id", "code", "name_en", "name_ar", "text"]

    def get_text(self, account: Account) -> str:
        return str(account)


class AccountSearchApi(APIView):
    """Posting accounts matching `q` (code prefix, English or Arabic name), the ones this
    organization uses most first; at most `limit` (20). Pickers call it as people type."""

    permission_classes = [AccountingPermission]

    @extend_schema(
        parameters=[AccountSearchQuerySerializer],
        responses=AccountSearchOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = AccountSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        organization = current_organization(request)
        exclude: tuple[int, ...] = ()
        if query.validated_data["purpose"] == "assign":
            source = source_account_for(organization)
            exclude = (source.pk,) if source else ()
        accounts = account_search(
            organization=organization,
            query=query.validated_data["q"],
            purpose=query.validated_data["purpose"],
            limit=query.validated_data["limit"],
            exclude=exclude,
        )
        return Response(AccountSearchOutputSerializer(accounts, many=True).data)
