"""A Zoho Books look-alike for the demo and end-to-end tests: Zoho's accounts server (consent
page, token endpoint, revocation) and the Books v3 API we use (organizations, chart of
accounts, journals, attachments) in Zoho's shapes, its errors as `{"code", "message"}`, both
request limits (code 44 a minute, code 45 a day), data kept in SQLite across restarts, knobs
for latency, faults and token lifetime, and an inspection page. Standard library only."""

from integrations.providers.zoho_books.sandbox.server import SANDBOX

__all__ = ["SANDBOX"]
