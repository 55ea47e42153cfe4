"""A sandbox's data: SQLite behind one lock, kept across restarts (the sandbox is for tests and
demos, not for throughput)."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def dump(body: Any) -> str:
    """A record as the sandbox keeps it: JSON text, non-ASCII names readable in the file."""
    return json.dumps(body, ensure_ascii=False)


class SqliteStore:
    """The tables of `schema` in one SQLite file; `seed_defaults` fills a fresh one and refills
    it on `reset`. Subclasses read with `with self.lock:` and write in `self.transaction()`."""

    schema: str
    tables: tuple[str, ...]

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # Kept across restarts of the sandbox, not across a power cut: its answers' time is
        # the `latency_ms` knob's, not this disk's flush of every entry.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.lock = threading.Lock()
        self.db.executescript(self.schema)
        self.seed_defaults()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def seed_defaults(self) -> None:
        """The books a fresh sandbox starts with (idempotent)."""

    def reset(self) -> None:
        """Back to a fresh sandbox: the seeded books only, ids counted from 1 again."""
        with self.transaction() as db:
            for table in self.tables:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (the subclass's fixed names)
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
                db.execute("DELETE FROM sqlite_sequence")
        self.seed_defaults()
