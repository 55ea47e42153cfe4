urlpatterns: list = [
    # The transaction ledger endpoints (SPEC §8) land with the ledger issue.
]
