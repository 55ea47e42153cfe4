"""Wafeq as a provider package (SPEC §3b, providers-api.md §3): the HTTP client, its typed
errors (mapped onto the ledger's neutral ones), the payload mapping (draft expenses for
spending, signed manual journals for credits), the idempotency keys, the rate limit, the
provider and its session, the connect flow with its options, and the sandbox
(docs/wafeq-client.md).
"""
