"""Credentials are whatever a provider needs: encrypted secrets beside a plain "where the
books are"; a session can write refreshed secrets back without a race between workers; the
migration carried every existing key and address over."""

import threading

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.connections import IntegrationBooks
from integrations.models import ConnectionStatus, Integration
from integrations.services import write_back_secrets

TOKENS = {"refresh_token": "refresh-1", "access_token": "access-1"}


@pytest.fixture
def oauth_connection(org_a):
    return Integration.objects.create(
        organization=org_a,
        provider="qoyod",
        status=ConnectionStatus.CONNECTED,
        secrets=TOKENS,
        location={"company_id": "42"},
    )


def test_secrets_and_location_reach_the_provider_as_one_mapping(oauth_connection):
    credentials = IntegrationBooks(oauth_connection).credentials()
    assert credentials == {**TOKENS, "company_id": "42"}


def test_a_refreshed_secret_is_written_back(oauth_connection):
    credentials = IntegrationBooks(oauth_connection).credentials()
    stored = credentials.write_back(previous=TOKENS, changes={"access_token": "access-2"})
    assert stored == {"refresh_token": "refresh-1", "access_token": "access-2"}
    assert credentials["access_token"] == "access-2"
    oauth_connection.refresh_from_db()
    assert oauth_connection.secrets["access_token"] == "access-2"
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_integration")
        (ciphertext,) = cursor.fetchone()
    assert "access-2" not in ciphertext and "refresh-1" not in ciphertext


def test_a_stale_write_back_loses_to_the_worker_that_refreshed_first(oauth_connection):
    first = write_back_secrets(
        integration_id=oauth_connection.pk, previous=TOKENS, changes={"refresh_token": "r-A"}
    )
    second = write_back_secrets(
        integration_id=oauth_connection.pk, previous=TOKENS, changes={"refresh_token": "r-B"}
    )
    assert first["refresh_token"] == second["refresh_token"] == "r-A"
    oauth_connection.refresh_from_db()
    assert oauth_connection.secrets["refresh_token"] == "r-A"


def test_a_disconnected_connection_gets_no_secrets_back(oauth_connection):
    Integration.objects.filter(pk=oauth_connection.pk).update(secrets={})
    stored = write_back_secrets(
        integration_id=oauth_connection.pk, previous=TOKENS, changes={"access_token": "late"}
    )
    assert stored == {}
    oauth_connection.refresh_from_db()
    assert oauth_connection.secrets == {}


@pytest.mark.django_db(transaction=True)
def test_two_workers_writing_back_at_once_leave_one_winner(org_a):
    integration = Integration.objects.create(
        organization=org_a, provider="qoyod", status="connected", secrets=TOKENS
    )
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def refresh(n: int) -> None:
        barrier.wait()
        try:
            stored = write_back_secrets(
                integration_id=integration.pk, previous=TOKENS, changes={"refresh_token": f"r-{n}"}
            )
            answers.append(stored["refresh_token"])
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    integration.refresh_from_db()
    winner = integration.secrets["refresh_token"]
    assert winner.startswith("r-") and answers == [winner] * 8


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_keys_and_addresses_over(org_a):
    executor = MigrationExecutor(connection)
    before = [("integrations", "0007_odoo_connection")]
    after = [("integrations", "0008_credentials")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("integrations", "Integration")
    old.objects.create(
        organization_id=org_a.pk,
        provider="odoo",
        status="connected",
        api_key="odoo-key-5678",
        api_key_hint="5678",
        instance_url="https://acme.odoo.com",
        database="acme",
        login="sifi@acme.sa",
        external_company_id=3,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    integration = Integration.objects.get(organization=org_a)
    assert integration.secrets == {"api_key": "odoo-key-5678"}
    assert integration.secret_hint == "5678"
    assert integration.location == {
        "url": "https://acme.odoo.com",
        "database": "acme",
        "username": "sifi@acme.sa",
        "company_id": "3",
    }
