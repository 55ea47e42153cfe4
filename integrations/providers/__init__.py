"""Accounting systems, one package each (see docs/ARCHITECTURE.md, "Adding a provider")."""
