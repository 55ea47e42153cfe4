"""The Wafeq sandbox's persistent state: organizations (one per API key), their records (accounts,
tax rates, files, expenses, manual journals) as JSON rows, and the idempotency keys they were
written with, in SQLite (across restarts)."""

import json
import time
from typing import Any

from integrations.providers.wafeq.sandbox import seed
from integrations.sandbox_kit.storage import SqliteStore, dump

SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (
    api_key TEXT PRIMARY KEY, body TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, api_key TEXT NOT NULL, kind TEXT NOT NULL,
    id TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (api_key, kind, id)
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    api_key TEXT NOT NULL, key TEXT NOT NULL, scope TEXT NOT NULL, digest TEXT NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL, stored_at REAL NOT NULL,
    PRIMARY KEY (api_key, key)
);
"""
PREFIXES = {"file": "att_", "expense": "exp_", "journal": "jou_"}


class Store(SqliteStore):
    schema = SCHEMA
    tables = ("organizations", "records", "idempotency_keys")

    def seed_defaults(self) -> None:
        if self.organization(seed.DEMO_KEY) is None:
            self.create_organization(
                seed.DEMO_KEY,
                org_id=seed.DEMO_ORGANIZATION,
                name=seed.DEMO_NAME,
                currency=seed.DEMO_CURRENCY,
                accounts=seed.demo_accounts(),
            )

    # --- organizations ------------------------------------------------------------------------

    def create_organization(
        self,
        api_key: str,
        *,
        org_id: str,
        name: str,
        currency: str,
        accounts: list[dict[str, Any]],
    ) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM organizations WHERE api_key = ?", (api_key,))
            db.execute("DELETE FROM records WHERE api_key = ?", (api_key,))
            db.execute("DELETE FROM idempotency_keys WHERE api_key = ?", (api_key,))
            db.execute(
                "INSERT INTO organizations (api_key, body) VALUES (?, ?)",
                (api_key, dump(seed.organization(org_id, name, currency))),
            )
            rows = [("account", row) for row in accounts]
            rows += [("tax_rate", row) for row in seed.tax_rate_rows()]
            db.executemany(
                "INSERT INTO records (api_key, kind, id, body) VALUES (?, ?, ?, ?)",
                [(api_key, kind, row["id"], dump(row)) for kind, row in rows],
            )

    def organization(self, api_key: str) -> dict[str, Any] | None:
        """The organization the key is bound to, None if no key is (revoked: `revoked`)."""
        with self.lock:
            row = self.db.execute(
                "SELECT body, revoked FROM organizations WHERE api_key = ?", (api_key,)
            ).fetchone()
        if row is None:
            return None
        return {**json.loads(row[0]), "revoked": bool(row[1])}

    def api_keys(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT api_key FROM organizations ORDER BY 1")]

    def set_revoked(self, api_key: str, revoked: bool) -> bool:
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE organizations SET revoked = ? WHERE api_key = ?", (int(revoked), api_key)
            ).rowcount
        return bool(changed)

    # --- records ------------------------------------------------------------------------------

    def records(self, api_key: str, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind, in the order created."""
        with self.lock:
            rows = self.db.execute(
                "SELECT body FROM records WHERE api_key = ? AND kind = ? ORDER BY seq",
                (api_key, kind),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def record(self, api_key: str, kind: str, record_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT body FROM records WHERE api_key = ? AND kind = ? AND id = ?",
                (api_key, kind, record_id),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def insert(
        self,
        api_key: str,
        kind: str,
        body: dict[str, Any],
        *,
        key: tuple[str, str, str] | None = None,
        status: int = 201,
    ) -> dict[str, Any]:
        """Store a new record (its id given here) and, with `key` (key, scope, digest), the
        answer that key replays, in one transaction."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO records (api_key, kind, id, body) VALUES (?, ?, '', '{}')",
                (api_key, kind),
            )
            seq = int(cursor.lastrowid or 0)
            record = {"id": f"{PREFIXES[kind]}S{seq:07d}", **body}
            record["created_ts"] = record["modified_ts"] = _now()
            db.execute(
                "UPDATE records SET id = ?, body = ? WHERE seq = ?",
                (record["id"], dump(record), seq),
            )
            if key is not None:
                db.execute(
                    "INSERT OR REPLACE INTO idempotency_keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (api_key, key[0], key[1], key[2], status, dump(record), time.time()),
                )
        return record

    def update(
        self, api_key: str, kind: str, record_id: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT body FROM records WHERE api_key = ? AND kind = ? AND id = ?",
                (api_key, kind, record_id),
            ).fetchone()
            if row is None:
                return None
            record = {**json.loads(row[0]), **changes, "modified_ts": _now()}
            db.execute(
                "UPDATE records SET body = ? WHERE api_key = ? AND kind = ? AND id = ?",
                (dump(record), api_key, kind, record_id),
            )
        return record

    def delete(self, api_key: str, record_id: str) -> bool:
        with self.transaction() as db:
            deleted = db.execute(
                "DELETE FROM records WHERE api_key = ? AND id = ? AND kind IN "
                "('expense', 'journal')",
                (api_key, record_id),
            ).rowcount
        return bool(deleted)

    # --- idempotency keys ---------------------------------------------------------------------

    def remembered(
        self, api_key: str, key: str, *, window_s: float
    ) -> tuple[str, str, int, dict[str, Any]] | None:
        """(scope, digest, status, body) of a key used within the last `window_s` seconds."""
        with self.lock:
            row = self.db.execute(
                "SELECT scope, digest, status, body, stored_at FROM idempotency_keys "
                "WHERE api_key = ? AND key = ?",
                (api_key, key),
            ).fetchone()
        if row is None or time.time() - float(row[4]) > window_s:
            return None
        return str(row[0]), str(row[1]), int(row[2]), json.loads(row[3])


def _now() -> str:
    """Now, to the microsecond: the creation order of records made in one second."""
    nanoseconds = time.time_ns()
    seconds, fraction = divmod(nanoseconds, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction // 1000:06d}Z"
