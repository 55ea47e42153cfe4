"""Zoho Books as a provider package: the HTTP clients (the organization's books, and the
accounts server's token refresh), their typed errors (mapped onto the ledger's neutral ones),
the payload mapping and the organization's two-window request budget. Not registered yet: the
provider, its connect flow and its sandbox come next. See docs/zoho-books-client.md."""
