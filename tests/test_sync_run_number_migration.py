"""Runs get their organization's own numbers (accounting 0016): the runs already there are
numbered in the order they were started, each organization from 1."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounting", "0015_sync_run_waiting_window")]
AFTER = [("accounting", "0016_sync_run_number")]


@pytest.fixture
def migrate(transactional_db):
    """Move the schema to the given migrations; the historical apps there. The schema is
    back at the latest migrations afterwards, whatever the test did."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()

    def to(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        executor.loader.build_graph()
        return executor.loader.project_state(targets).apps

    yield to
    to(latest)


def test_existing_runs_are_numbered_per_organization_in_the_order_they_started(migrate):
    apps = migrate(BEFORE)
    organization = apps.get_model("sifi", "Organization")
    first, second = (
        organization.objects.create(name="First"),
        organization.objects.create(name="Second"),
    )
    run = apps.get_model("accounting", "SyncRun")
    start = timezone.now() - datetime.timedelta(days=1)
    started = {}
    # Interleaved, and one created later than a run it started before (created_at decides).
    for name, org, minutes in [
        ("a1", first, 0),
        ("b1", second, 1),
        ("a3", first, 5),
        ("a2", first, 2),
        ("b2", second, 9),
    ]:
        made = run.objects.create(organization=org, status="succeeded", total=1)
        run.objects.filter(pk=made.pk).update(
            created_at=start + datetime.timedelta(minutes=minutes)
        )
        started[name] = made.pk

    apps = migrate(AFTER)
    numbers = dict(apps.get_model("accounting", "SyncRun").objects.values_list("pk", "number"))
    assert {name: numbers[pk] for name, pk in started.items()} == {
        "a1": 1,
        "a2": 2,
        "a3": 3,
        "b1": 1,
        "b2": 2,
    }
    run = apps.get_model("accounting", "SyncRun")
    with pytest.raises(IntegrityError), transaction.atomic():
        run.objects.create(organization_id=first.pk, status="queued", total=1, number=2)
