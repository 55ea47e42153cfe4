"""The Odoo sandbox's persistent state: databases (one company each), users with API keys, and
records of the models we use, kept as JSON rows in SQLite (across restarts)."""

import json
import sqlite3
from typing import Any

from integrations.providers.odoo.sandbox import seed
from integrations.sandbox_kit.storage import SqliteStore, dump

SCHEMA = """
CREATE TABLE IF NOT EXISTS databases (
    name TEXT PRIMARY KEY, company TEXT NOT NULL, currency_id INTEGER NOT NULL,
    currency TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    database TEXT NOT NULL, uid INTEGER NOT NULL, login TEXT NOT NULL, api_key TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (database, login)
);
CREATE TABLE IF NOT EXISTS records (
    database TEXT NOT NULL, model TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (database, model, id)
);
CREATE TABLE IF NOT EXISTS sequences (
    database TEXT NOT NULL, model TEXT NOT NULL, last_id INTEGER NOT NULL,
    PRIMARY KEY (database, model)
);
"""
FIRST_IDS = {"account.move": 1, "account.move.line": 1, "ir.attachment": 1}


class Store(SqliteStore):
    """Databases, their users and their records, in SQLite."""

    schema = SCHEMA
    tables = ("databases", "users", "records", "sequences")

    # --- databases and users ------------------------------------------------------------------

    def seed_defaults(self) -> None:
        """The demo database, created once (idempotent)."""
        if self.database(seed.DEMO_DATABASE) is None:
            self.create_database(
                seed.DEMO_DATABASE,
                company=seed.DEMO_COMPANY,
                login=seed.DEMO_LOGIN,
                api_key=seed.DEMO_KEY,
                accounts=seed.demo_accounts(),
            )

    def create_database(
        self,
        name: str,
        *,
        company: str,
        login: str,
        api_key: str,
        accounts: list[dict[str, Any]],
        currency: tuple[int, str] = seed.SAR,
    ) -> None:
        """A database with one company, one user (uid 2, like Odoo's first user after the
        admin), the chart, its groups and the usual journals."""
        with self.transaction() as db:
            for table in ("databases", "users", "records", "sequences"):
                column = "name" if table == "databases" else "database"
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))  # noqa: S608
            db.execute(
                "INSERT INTO databases (name, company, currency_id, currency) VALUES (?,?,?,?)",
                (name, company, currency[0], currency[1]),
            )
            db.execute(
                "INSERT INTO users (database, uid, login, api_key) VALUES (?, 2, ?, ?)",
                (name, login, api_key),
            )
            rows = [
                *(("account.account", row) for row in accounts),
                *(("account.group", row) for row in seed.demo_groups()),
                *(("account.journal", row) for row in seed.journals()),
                *(("account.tax", row) for row in seed.taxes()),
            ]
            db.executemany(
                "INSERT INTO records (database, model, id, body) VALUES (?, ?, ?, ?)",
                [(name, model, row["id"], dump(row)) for model, row in rows],
            )

    def database(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT name, company, currency_id, currency FROM databases WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            return None
        return {"name": row[0], "company": row[1], "currency_id": row[2], "currency": row[3]}

    def databases(self) -> list[str]:
        with self.lock:
            return [row[0] for row in self.db.execute("SELECT name FROM databases ORDER BY name")]

    def user(self, database: str, *, login: str | None = None, uid: int | None = None) -> Any:
        query = "SELECT uid, login, api_key, revoked FROM users WHERE database = ? AND "
        query += "login = ?" if login is not None else "uid = ?"
        with self.lock:
            row = self.db.execute(query, (database, login if login is not None else uid)).fetchone()
        if row is None:
            return None
        return {"uid": row[0], "login": row[1], "api_key": row[2], "revoked": bool(row[3])}

    def set_revoked(self, database: str, login: str, revoked: bool) -> bool:
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE users SET revoked = ? WHERE database = ? AND login = ?",
                (int(revoked), database, login),
            )
            return cursor.rowcount == 1

    # --- records ----------------------------------------------------------------------------

    def records(self, database: str, model: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT body FROM records WHERE database = ? AND model = ? ORDER BY id",
                (database, model),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def get(self, database: str, model: str, record_id: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT body FROM records WHERE database = ? AND model = ? AND id = ?",
                (database, model, record_id),
            ).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _next_id(db: sqlite3.Connection, database: str, model: str) -> int:
        row = db.execute(
            "SELECT last_id FROM sequences WHERE database = ? AND model = ?", (database, model)
        ).fetchone()
        if row is None:
            (highest,) = db.execute(
                "SELECT coalesce(max(id), 0) FROM records WHERE database = ? AND model = ?",
                (database, model),
            ).fetchone()
            next_id = max(int(highest) + 1, FIRST_IDS.get(model, 1))
            db.execute(
                "INSERT INTO sequences (database, model, last_id) VALUES (?, ?, ?)",
                (database, model, next_id),
            )
            return next_id
        db.execute(
            "UPDATE sequences SET last_id = last_id + 1 WHERE database = ? AND model = ?",
            (database, model),
        )
        return int(row[0]) + 1

    def insert(self, database: str, model: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.transaction() as db:
            return self._insert(db, database, model, body)

    def _insert(
        self, db: sqlite3.Connection, database: str, model: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        stored = {**body, "id": self._next_id(db, database, model)}
        db.execute(
            "INSERT INTO records (database, model, id, body) VALUES (?, ?, ?, ?)",
            (database, model, stored["id"], dump(stored)),
        )
        return stored

    def create_move(
        self, database: str, move: dict[str, Any], lines: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A journal entry and its lines, in one transaction (as Odoo's create is)."""
        with self.transaction() as db:
            stored = self._insert(db, database, "account.move", {**move, "line_ids": []})
            line_ids = [
                self._insert(db, database, "account.move.line", {**line, "move_id": stored["id"]})[
                    "id"
                ]
                for line in lines
            ]
            stored["line_ids"] = line_ids
            self._write(db, database, "account.move", stored)
        return stored

    def replace_move(
        self,
        database: str,
        move_id: int,
        changes: dict[str, Any],
        lines: list[dict[str, Any]] | None,
    ) -> None:
        """A `write` on an entry: its header changes and, given, its lines replaced, in one
        transaction (as Odoo's write is)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT body FROM records WHERE database = ? AND model = ? AND id = ?",
                (database, "account.move", move_id),
            ).fetchone()
            move = {**json.loads(row[0]), **changes}
            if lines is not None:
                for line_id in move.get("line_ids") or []:
                    db.execute(
                        "DELETE FROM records WHERE database = ? AND model = ? AND id = ?",
                        (database, "account.move.line", line_id),
                    )
                move["line_ids"] = [
                    self._insert(db, database, "account.move.line", {**line, "move_id": move_id})[
                        "id"
                    ]
                    for line in lines
                ]
                move["amount_total"] = round(sum(line["debit"] for line in lines), 2)
            self._write(db, database, "account.move", move)

    def write(self, database: str, model: str, body: dict[str, Any]) -> None:
        with self.transaction() as db:
            self._write(db, database, model, body)

    @staticmethod
    def _write(db: sqlite3.Connection, database: str, model: str, body: dict[str, Any]) -> None:
        db.execute(
            "INSERT OR REPLACE INTO records (database, model, id, body) VALUES (?, ?, ?, ?)",
            (database, model, body["id"], dump(body)),
        )

    def delete(self, database: str, model: str, record_ids: list[int]) -> int:
        with self.transaction() as db:
            return sum(
                db.execute(
                    "DELETE FROM records WHERE database = ? AND model = ? AND id = ?",
                    (database, model, record_id),
                ).rowcount
                for record_id in record_ids
            )

    # --- what tests and demos look at and do ---------------------------------------------------

    def moves(self, database: str) -> list[dict[str, Any]]:
        """Every journal entry, with its lines and attachments."""
        lines = self.records(database, "account.move.line")
        attachments = self.records(database, "ir.attachment")
        moves = self.records(database, "account.move")
        for move in moves:
            move["lines"] = [line for line in lines if line["move_id"] == move["id"]]
            move["attachments"] = [
                a
                for a in attachments
                if a["res_model"] == "account.move" and a["res_id"] == move["id"]
            ]
        return moves

    def change_accounts(self, database: str, changes: dict[str, Any]) -> int:
        """What an accountant does in Odoo: rename, add, deprecate and delete accounts
        (`rename`: {id: {"name", "name_ar"}}, `add`, `deprecate`, `remove`); how many remain."""
        for account_id, renamed in (changes.get("rename") or {}).items():
            row = self.get(database, "account.account", int(account_id))
            if row:
                names = dict(row["name"])
                if "name" in renamed:
                    names["en_US"] = renamed["name"]
                if "name_ar" in renamed:
                    names["ar_001"] = renamed["name_ar"]
                self.write(database, "account.account", {**row, **renamed, "name": names})
        for row in changes.get("add") or []:
            self.write(
                database,
                "account.account",
                seed.account(
                    int(row["id"]),
                    str(row["code"]),
                    str(row.get("name") or ""),
                    str(row.get("name_ar") or ""),
                    str(row.get("account_type") or "expense"),
                    row.get("group_id"),
                ),
            )
        for account_id in changes.get("deprecate") or []:
            row = self.get(database, "account.account", int(account_id))
            if row:
                self.write(database, "account.account", {**row, "deprecated": True})
        self.delete(database, "account.account", [int(i) for i in changes.get("remove") or []])
        return len(self.records(database, "account.account"))

    def delete_move(self, database: str, move_id: int) -> bool:
        """What an accountant deleting the entry in Odoo does."""
        move = self.get(database, "account.move", move_id)
        if move is None:
            return False
        self.delete(database, "account.move.line", list(move.get("line_ids") or []))
        self.delete(database, "account.move", [move_id])
        return True

    def change_move(
        self, database: str, move_id: int, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        """What an accountant editing the entry in Odoo does: its date, reference, state or
        lines (`lines`: [{"account_id", "debit", "credit"}])."""
        move = self.get(database, "account.move", move_id)
        if move is None:
            return None
        move.update({key: changes[key] for key in ("date", "ref", "state") if key in changes})
        if "lines" in changes:
            self.delete(database, "account.move.line", list(move.get("line_ids") or []))
            new_ids = []
            for line in changes["lines"]:
                debit, credit = float(line.get("debit") or 0), float(line.get("credit") or 0)
                stored = self.insert(
                    database,
                    "account.move.line",
                    {
                        "move_id": move_id,
                        "account_id": int(line["account_id"]),
                        "name": str(line.get("name") or ""),
                        "debit": debit,
                        "credit": credit,
                        "balance": debit - credit,
                        "company_id": 1,
                    },
                )
                new_ids.append(stored["id"])
            move["line_ids"] = new_ids
        self.write(database, "account.move", move)
        return move
