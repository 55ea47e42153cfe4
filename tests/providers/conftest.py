import pytest

from accounting.providers import provider_keys
from tests.providers.harnesses import HARNESSES, SandboxHarness


@pytest.fixture(params=provider_keys())
def harness(request, settings) -> SandboxHarness:
    """Each registered provider's harness, its sandbox fresh and the product pointed at it; a
    provider registered without a harness fails the suites."""
    key = request.param
    if key not in HARNESSES:
        pytest.fail(f"Provider {key!r} is registered but has no contract harness.")
    harness = HARNESSES[key](request.getfixturevalue(f"{key}_sandbox"))
    for name, value in harness.product_settings().items():
        setattr(settings, name, value)
    return harness
