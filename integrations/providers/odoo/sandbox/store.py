"""The Odoo sandbox's persistent state: databases (one company each), users with API keys, and
records of the models we use, kept as JSON rows in SQLite (across restarts)."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from integrations.providers.odoo.sandbox import seed

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


class Store:
    """SQLite behind one lock: the sandbox is for tests and demos, not for throughput."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()
        self._db.executescript(SCHEMA)
        self.seed_defaults()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

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
        with self._tx() as db:
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
            ]
            db.executemany(
                "INSERT INTO records (database, model, id, body) VALUES (?, ?, ?, ?)",
                [
                    (name, model, row["id"], json.dumps(row, ensure_ascii=False))
                    for model, row in rows
                ],
            )

    def database(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT name, company, currency_id, currency FROM databases WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            return None
        return {"name": row[0], "company": row[1], "currency_id": row[2], "currency": row[3]}

    def databases(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT name FROM databases ORDER BY name")]

    def user(self, database: str, *, login: str | None = None, uid: int | None = None) -> Any:
        query = "SELECT uid, login, api_key, revoked FROM users WHERE database = ? AND "
        query += "login = ?" if login is not None else "uid = ?"
        with self._lock:
            row = self._db.execute(
                query, (database, login if login is not None else uid)
            ).fetchone()
        if row is None:
            return None
        return {"uid": row[0], "login": row[1], "api_key": row[2], "revoked": bool(row[3])}

    def set_revoked(self, database: str, login: str, revoked: bool) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE users SET revoked = ? WHERE database = ? AND login = ?",
                (int(revoked), database, login),
            )
            return cursor.rowcount == 1

    # --- records ----------------------------------------------------------------------------

    def records(self, database: str, model: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM records WHERE database = ? AND model = ? ORDER BY id",
                (database, model),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def get(self, database: str, model: str, record_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
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
        with self._tx() as db:
            return self._insert(db, database, model, body)

    def _insert(
        self, db: sqlite3.Connection, database: str, model: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        stored = {**body, "id": self._next_id(db, database, model)}
        db.execute(
            "INSERT INTO records (database, model, id, body) VALUES (?, ?, ?, ?)",
            (database, model, stored["id"], json.dumps(stored, ensure_ascii=False)),
        )
        return stored

    def create_move(
        self, database: str, move: dict[str, Any], lines: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A journal entry and its lines, in one transaction (as Odoo's create is)."""
        with self._tx() as db:
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

    def write(self, database: str, model: str, body: dict[str, Any]) -> None:
        with self._tx() as db:
            self._write(db, database, model, body)

    @staticmethod
    def _write(db: sqlite3.Connection, database: str, model: str, body: dict[str, Any]) -> None:
        db.execute(
            "INSERT OR REPLACE INTO records (database, model, id, body) VALUES (?, ?, ?, ?)",
            (database, model, body["id"], json.dumps(body, ensure_ascii=False)),
        )

    def delete(self, database: str, model: str, record_ids: list[int]) -> int:
        with self._tx() as db:
            return sum(
                db.execute(
                    "DELETE FROM records WHERE database = ? AND model = ? AND id = ?",
                    (database, model, record_id),
                ).rowcount
                for record_id in record_ids
            )

    def reset(self) -> None:
        """Back to a fresh sandbox: the demo database only, no entries."""
        with self._tx() as db:
            for table in ("databases", "users", "records", "sequences"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)
        self.seed_defaults()
