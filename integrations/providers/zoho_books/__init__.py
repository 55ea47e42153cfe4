"""Zoho Books as a provider package: the HTTP clients (the organization's books, and the
accounts server's token refresh), their typed errors (mapped onto the ledger's neutral ones),
the payload mapping, the organization's two-window request budget, the access token shared by
every worker (`tokens.py`), the provider (`provider.py`) and the sandbox (`sandbox/`). See
docs/zoho-books-client.md."""
