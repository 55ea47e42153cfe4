"""Wafeq as a provider package (SPEC §3b, providers-api.md §3): the HTTP client, its typed
errors (mapped onto the ledger's neutral ones), the payload mapping (draft expenses for
spending, signed manual journals for credits), the idempotency keys and the rate limit.

Not registered yet: no provider class, connect flow or sandbox (docs/wafeq-client.md).
"""
