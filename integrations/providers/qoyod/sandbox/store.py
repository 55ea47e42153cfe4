"""The sandbox's persistent state: tenants, charts, vendors, journal entries, attachments."""

import hashlib
import json
from typing import Any

from integrations.providers.qoyod.sandbox import seed
from integrations.sandbox_kit.storage import SqliteStore, dump

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    api_key TEXT PRIMARY KEY, name TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS accounts (
    tenant TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant, id)
);
CREATE TABLE IF NOT EXISTS vendors (
    tenant TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant, id)
);
CREATE TABLE IF NOT EXISTS journal_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, date TEXT NOT NULL,
    description TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS je_tenant_date ON journal_entries (tenant, date);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, entry_id INTEGER NOT NULL,
    filename TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
"""


class Store(SqliteStore):
    """Tenants (by API key) and their books, in SQLite."""

    schema = SCHEMA
    tables = ("tenants", "accounts", "vendors", "journal_entries", "attachments")

    # --- tenants and charts ----------------------------------------------------------------

    def seed_defaults(self) -> None:
        """The demo and second tenants, created once (idempotent)."""
        for key, name in ((seed.DEMO_KEY, "Demo Trading Co."), (seed.SECOND_KEY, "Second Org")):
            if self.tenant(key) is None:
                self.create_tenant(key, name, seed.demo_chart(), seed.vendors())

    def create_tenant(
        self, api_key: str, name: str, accounts: list[dict[str, Any]], vendors: list[dict[str, Any]]
    ) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM accounts WHERE tenant = ?", (api_key,))
            db.execute("DELETE FROM vendors WHERE tenant = ?", (api_key,))
            db.execute(
                "INSERT OR REPLACE INTO tenants (api_key, name, revoked) VALUES (?, ?, 0)",
                (api_key, name),
            )
            db.executemany(
                "INSERT INTO accounts (tenant, id, body) VALUES (?, ?, ?)",
                [(api_key, row["id"], dump(row)) for row in accounts],
            )
            db.executemany(
                "INSERT INTO vendors (tenant, id, body) VALUES (?, ?, ?)",
                [(api_key, row["id"], dump(row)) for row in vendors],
            )

    def tenant(self, api_key: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT api_key, name, revoked FROM tenants WHERE api_key = ?", (api_key,)
            ).fetchone()
        return {"api_key": row[0], "name": row[1], "revoked": bool(row[2])} if row else None

    def tenant_keys(self) -> list[str]:
        with self.lock:
            return [row[0] for row in self.db.execute("SELECT api_key FROM tenants ORDER BY name")]

    def set_revoked(self, api_key: str, revoked: bool) -> bool:
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE tenants SET revoked = ? WHERE api_key = ?", (int(revoked), api_key)
            )
            return cursor.rowcount == 1

    def accounts(self, api_key: str) -> list[dict[str, Any]]:
        return self._bodies("accounts", api_key)

    def vendors(self, api_key: str) -> list[dict[str, Any]]:
        return self._bodies("vendors", api_key)

    def active_account_ids(self, api_key: str) -> set[int]:
        return {row["id"] for row in self.accounts(api_key) if row.get("status") == "Active"}

    def change_accounts(
        self,
        api_key: str,
        *,
        rename: dict[str, dict[str, str]],
        add: list[dict[str, Any]],
        remove: list[int],
    ) -> None:
        """What an accountant does in Qoyod's UI: rename, add and delete accounts."""
        with self.transaction() as db:
            for account_id, names in rename.items():
                row = db.execute(
                    "SELECT body FROM accounts WHERE tenant = ? AND id = ?",
                    (api_key, int(account_id)),
                ).fetchone()
                if row:
                    body = {**json.loads(row[0]), **names}
                    db.execute(
                        "UPDATE accounts SET body = ? WHERE tenant = ? AND id = ?",
                        (dump(body), api_key, int(account_id)),
                    )
            for body in add:
                full = {"status": "Active", "recieve_payments": "false", "group_type": "", **body}
                db.execute(
                    "INSERT OR REPLACE INTO accounts (tenant, id, body) VALUES (?, ?, ?)",
                    (api_key, int(full["id"]), dump(full)),
                )
            db.executemany(
                "DELETE FROM accounts WHERE tenant = ? AND id = ?",
                [(api_key, int(account_id)) for account_id in remove],
            )

    # --- journal entries ---------------------------------------------------------------------

    def create_entry(self, api_key: str, entry: dict[str, Any]) -> dict[str, Any]:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO journal_entries (tenant, date, description, body) VALUES (?,?,?,?)",
                (api_key, entry["date"], entry["description"], "{}"),
            )
            stored = {"id": cursor.lastrowid, **entry}
            db.execute(
                "UPDATE journal_entries SET body = ? WHERE id = ?",
                (dump(stored), cursor.lastrowid),
            )
        return stored

    def entries(
        self,
        api_key: str,
        *,
        date: str | None = None,
        description_contains: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        where, params = self._entry_filter(api_key, date, description_contains, date_from, date_to)
        query = f"SELECT body FROM journal_entries WHERE {where} ORDER BY id"  # noqa: S608
        if limit is not None:
            query += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        with self.lock:
            rows = self.db.execute(query, params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count_entries(
        self,
        api_key: str,
        *,
        date: str | None = None,
        description_contains: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> int:
        where, params = self._entry_filter(api_key, date, description_contains, date_from, date_to)
        with self.lock:
            (count,) = self.db.execute(
                f"SELECT count(*) FROM journal_entries WHERE {where}",  # noqa: S608
                params,
            ).fetchone()
        return int(count)

    @staticmethod
    def _entry_filter(
        api_key: str,
        date: str | None,
        description_contains: str | None,
        date_from: str | None,
        date_to: str | None,
    ) -> tuple[str, list[Any]]:
        where = ["tenant = ?"]
        params: list[Any] = [api_key]
        for condition, value in (
            ("date = ?", date),
            ("instr(lower(description), lower(?)) > 0", description_contains),
            ("date >= ?", date_from),
            ("date <= ?", date_to),
        ):
            if value:
                where.append(condition)
                params.append(value)
        return " AND ".join(where), params

    def delete_entry(self, api_key: str, entry_id: int) -> bool:
        """What an accountant deleting the entry in Qoyod does."""
        with self.transaction() as db:
            cursor = db.execute(
                "DELETE FROM journal_entries WHERE tenant = ? AND id = ?", (api_key, entry_id)
            )
        return cursor.rowcount > 0

    def change_entry(
        self, api_key: str, entry_id: int, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        """What an accountant editing the entry in Qoyod does (date, description, lines)."""
        entry = self.entry(api_key, entry_id)
        if entry is None:
            return None
        allowed = ("date", "description", "debit_amounts", "credit_amounts", "status")
        entry.update({key: value for key, value in changes.items() if key in allowed})
        with self.transaction() as db:
            db.execute(
                "UPDATE journal_entries SET date = ?, description = ?, body = ? WHERE id = ?",
                (
                    entry["date"],
                    entry["description"],
                    dump(entry),
                    entry_id,
                ),
            )
        return entry

    def entry(self, api_key: str, entry_id: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT body FROM journal_entries WHERE tenant = ? AND id = ?", (api_key, entry_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def add_attachment(
        self, api_key: str, entry_id: int, *, filename: str, content_type: str, content: bytes
    ) -> dict[str, Any]:
        digest = hashlib.sha256(content).hexdigest()
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO attachments (tenant, entry_id, filename, content_type, size, sha256)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (api_key, entry_id, filename, content_type, len(content), digest),
            )
        return {
            "id": cursor.lastrowid,
            "filename": filename,
            "content_type": content_type,
            "size": len(content),
            "sha256": digest,
        }

    def attachments(self, api_key: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT id, entry_id, filename, content_type, size, sha256 FROM attachments"
                " WHERE tenant = ? ORDER BY id",
                (api_key,),
            ).fetchall()
        keys = ("id", "entry_id", "filename", "content_type", "size", "sha256")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def _bodies(self, table: str, api_key: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                f"SELECT body FROM {table} WHERE tenant = ? ORDER BY id",  # noqa: S608
                (api_key,),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]
