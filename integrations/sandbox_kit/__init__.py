"""The sandbox kit: what every accounting system's look-alike shares, naming none of them.

A provider's sandbox (`integrations/providers/<key>/sandbox/`) keeps only its own API shapes:
its paths or RPC methods, its validation and its error bodies. From the kit it takes
- `server`: the HTTP skeleton (threaded, TCP_NODELAY, each answer in one write), the knobs
  (latency, rate limit, faults before and after the write is stored) and the controls under
  `/_sandbox/` (health, config, faults, stats, reset, the inspection page);
- `storage`: SQLite behind one lock, kept across restarts;
- `command`: `manage.py sandbox <provider key>` and the provider's own `<key>_sandbox`.
"""
