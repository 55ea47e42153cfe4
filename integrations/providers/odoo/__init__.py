"""Odoo as a provider package: the JSON-RPC client, its typed errors (mapped onto the ledger's
neutral ones), the payload mapping, the per-instance request limit, the provider and its
sandbox. See docs/odoo-client.md."""
