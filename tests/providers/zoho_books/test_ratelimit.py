"""The Zoho organization's request budget on the real Redis: 100 a minute and the plan's
daily quota, both at once, keyed by the organization and never by a secret."""

import pytest

from integrations.providers.zoho_books.ratelimit import (
    bucket_for_organization,
    limiter_for_organization,
)


def test_the_budget_is_100_a_minute_and_a_daily_quota_of_1000_by_default(bucket_org):
    budget = limiter_for_organization(bucket_org)
    minute, day = budget.windows()
    assert (minute.name, minute.limit) == ("minute", 100)
    assert (day.name, day.limit) == ("day", 1_000)
    assert 60 <= minute.period_seconds < 61 and 86_400 <= day.period_seconds < 86_401
    assert budget.limit == 100  # the minute paces requests


def test_the_minute_window_holds_the_101st_request(bucket_org):
    budget = limiter_for_organization(bucket_org, daily_quota=10_000)
    assert all(budget.try_acquire() == 0 for _ in range(100))
    wait = budget.try_acquire()
    assert 55 < wait <= 61
    minute, day = budget.windows()
    assert (minute.used, day.used) == (100, 100)
    assert minute.wait_seconds > 0 and day.wait_seconds == 0


def test_the_plans_daily_quota_holds_the_day_and_takes_no_slot_from_the_minute(bucket_org):
    budget = limiter_for_organization(bucket_org, daily_quota=3)
    assert [budget.try_acquire() for _ in range(3)] == [0, 0, 0]
    wait = budget.try_acquire()
    assert 86_000 < wait <= 86_401
    minute, day = budget.windows()
    assert (minute.used, day.used) == (3, 3)  # the refused request took a slot in neither
    assert day.wait_seconds > 3_600 and minute.wait_seconds == 0


def test_every_process_of_the_same_organization_shares_the_budget(bucket_org):
    first = limiter_for_organization(bucket_org, daily_quota=5)
    second = limiter_for_organization(bucket_org, daily_quota=5)
    assert [first.try_acquire() for _ in range(3)] == [0, 0, 0]
    assert [second.try_acquire() == 0 for _ in range(3)] == [True, True, False]


def test_the_bucket_is_the_organization_never_a_secret():
    assert bucket_for_organization("10234695") == "org-10234695"
    assert limiter_for_organization("10234695").key == "org-10234695"
    odd = bucket_for_organization("org id/with spaces")
    assert len(odd) == 24 and " " not in odd  # a digest for anything else
    with pytest.raises(ValueError):
        bucket_for_organization(" ")
