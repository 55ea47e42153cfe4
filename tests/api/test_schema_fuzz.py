"""A bounded schemathesis run over the whole API, as every role that may call each operation.

For each operation of the OpenAPI schema and each caller the role matrix (SPEC §1) lets in,
schemathesis generates requests from the schema, valid ones and invalid ones, some aimed at
real objects of the caller's organization. Each answer must not be a server error and, when
its status is documented, must match the schema. Deterministic (derandomized) and bounded
(EXAMPLES per operation and caller) so that it runs in the suite in well under a minute.
"""

import re
import time
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounting.models import Budget, Document, Reconciliation, SyncRun, TransactionStatus
from integrations.models import Job
from sifi.authentication import ServicePrincipal
from sifi.models import ServiceToken
from sifi.services import create_service_token
from sifi.wsgi import application
from tests.factories import make_account, make_transaction, set_source_account
from tests.integrations.qoyod_payloads import qoyod_accepting

EXAMPLES = 8
CHECKS = [not_a_server_error, response_schema_conformance]


def _schema() -> Any:
    body = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return schemathesis.openapi.from_dict(body)


def callers(operation: Any, principals: dict[str, Any]) -> list[str]:
    """Who may call an operation: asked of the view's own permission classes (the role matrix
    of SPEC §1, the service token, AllowAny), so a new endpoint is covered as it is."""
    path = re.sub(r"\{[^}]+\}", "1", operation.path)
    view = resolve(path).func.view_class  # type: ignore[attr-defined]
    method = operation.method.upper()
    allowed = []
    for name, principal in principals.items():
        request = SimpleNamespace(user=principal, method=method)
        if all(
            permission().has_permission(request, view) for permission in view.permission_classes
        ):
            allowed.append(name)
    return allowed


@pytest.fixture(scope="module")
def api_schema(django_db_blocker):
    with django_db_blocker.unblock():
        return _schema()


@pytest.fixture
def wsgi_app():
    """The real WSGI application, inside the test's database transaction: like Django's test
    client, keep the handler from closing the connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(org_a, users_a, org_b):
    """An organization with everything the API shows: chart, source account, budgets,
    transactions in every state, a sync run and a job; and another organization's objects."""
    set_source_account(org_a)
    marketing = make_account(org_a, code="5201", name_en="Marketing Expenses")
    budget = Budget.objects.create(organization=org_a, name="Marketing Campaign 2025")
    unverified = make_transaction(org_a, budget=budget)
    make_transaction(org_a, status=TransactionStatus.VERIFIED, account=marketing)
    synced = make_transaction(
        org_a, status=TransactionStatus.SYNCED, account=marketing, journal_entry_id="77"
    )
    make_transaction(org_a, vat_amount=Decimal("15.00"), type="card_refund")
    document = Document(
        organization=org_a,
        transaction=synced,
        filename="r.pdf",
        content_type="application/pdf",
        size=4,
        sha256="1" * 64,
    )
    document.file.save("r.pdf", ContentFile(b"%PDF"), save=False)
    document.save()
    reconciliation = Reconciliation.objects.create(
        organization=org_a, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)
    )
    run = SyncRun.objects.create(organization=org_a, total=1)
    job = Job.objects.create(organization=org_a, kind="config_sync")
    theirs = make_transaction(org_b)
    tokens = {role: Token.objects.create(user=user).key for role, user in users_a.items()}
    service_token = create_service_token(organization=org_a)
    return {
        "principals": {
            **users_a,
            "service": ServicePrincipal(
                organization=org_a, token=ServiceToken.objects.get(organization=org_a)
            ),
            "anonymous": AnonymousUser(),
        },
        "headers": {
            **{role: {"Authorization": f"Token {key}"} for role, key in tokens.items()},
            "service": {"Authorization": f"Token {service_token}"},
            "anonymous": {},
        },
        "path_ids": {
            "transaction_id": [unverified.pk, synced.pk, theirs.pk],
            "run_id": [run.pk],
            "job_id": [job.pk],
            "document_id": [document.pk],
            "reconciliation_id": [reconciliation.pk],
        },
    }


def _strategy(operation: Any, path_ids: dict[str, list[int]]) -> Any:
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in path_ids for name in names):
        real = st.fixed_dictionaries({name: st.sampled_from(path_ids[name]) for name in names})
        strategies.append(
            real.flatmap(
                lambda ids: operation.as_strategy(GenerationMode.POSITIVE, path_parameters=ids)
            )
        )
    return st.one_of(strategies)


def fuzz(operation: Any, headers: dict[str, str], path_ids: dict[str, list[int]], app: Any) -> None:
    """EXAMPLES requests to one operation as one caller; raises on the first failed check."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, path_ids))
    def run(case: Any) -> None:
        case.headers = {**(case.headers or {}), **headers}
        response = case.call(app=app)
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_operation_as_every_caller_gives_no_server_error_and_keeps_the_schema(
    api_schema, world, wsgi_app
):
    started = time.monotonic()
    combinations = [
        (operation, caller)
        for operation in (result.ok() for result in api_schema.get_all_operations())
        for caller in callers(operation, world["principals"])
    ]
    failures: list[str] = []
    with qoyod_accepting("fuzz-qoyod-key"):
        for operation, caller in combinations:
            try:
                fuzz(operation, world["headers"][caller], world["path_ids"], wsgi_app)
            except Exception as exc:  # collect all, report together
                failures.append(f"{operation.method.upper()} {operation.path} as {caller}: {exc}")
    elapsed = time.monotonic() - started
    print(f"schemathesis: {len(combinations)} operation-and-caller pairs in {elapsed:.1f} s")
    assert failures == [], "\n\n".join(failures)
    # Every operation was called by someone (an operation nobody may call would be a bug).
    assert len({(op.method, op.path) for op, _ in combinations}) == len(
        list(api_schema.get_all_operations())
    )
