"""Accounting menu pages (Django templates + htmx), calling the same services as the API; a
module per page: `transactions` (the list, assigning, one transaction), `sync_runs`,
`reconciliations`, `rules`, `receipts` (a receipt link's download), and `actions` (what every
POST action does)."""
