"""The ledger's JSON API (SPEC §8), one module per concept. Views are thin: parse, call a
selector or service, serialize."""
