"""The Zoho Books sandbox's persistent state, kept in SQLite across restarts: what Zoho's
accounts server holds (users' organizations, authorization codes, refresh tokens and the
access tokens minted from them) and what Zoho Books holds (each organization's chart,
journals and their attachments)."""

import hashlib
import json
import secrets
import time
from typing import Any

from integrations.providers.zoho_books.sandbox import seed
from integrations.sandbox_kit.storage import SqliteStore, dump

SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (
    organization_id TEXT PRIMARY KEY, user TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, user TEXT NOT NULL, client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS grants (
    refresh_token TEXT PRIMARY KEY, user TEXT NOT NULL, client_id TEXT NOT NULL,
    scope TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, refresh_token TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS refreshes (refresh_token TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    organization_id TEXT NOT NULL, account_id TEXT NOT NULL, position INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (organization_id, account_id)
);
CREATE TABLE IF NOT EXISTS journals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, organization_id TEXT NOT NULL,
    reference_number TEXT NOT NULL, journal_date TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journals_org_ref ON journals (organization_id, reference_number);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, organization_id TEXT NOT NULL,
    journal_id INTEGER NOT NULL, filename TEXT NOT NULL, content_type TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL
);
"""
JOURNAL_ID_BASE = 460_000_000_038_000  # journal n is "460000000038000" + n
REFRESH_WINDOW_SECONDS = 600.0


def journal_id(row_id: int) -> str:
    return str(JOURNAL_ID_BASE + row_id)


def row_id(journal: str) -> int | None:
    """The row of a journal id we gave; None for anything else."""
    if not journal.isdigit() or int(journal) <= JOURNAL_ID_BASE:
        return None
    return int(journal) - JOURNAL_ID_BASE


class Store(SqliteStore):
    schema = SCHEMA
    tables = (
        "organizations",
        "codes",
        "grants",
        "access_tokens",
        "refreshes",
        "accounts",
        "journals",
        "attachments",
    )

    def seed_defaults(self) -> None:
        """The demo user's organization and the refresh token granted to the demo
        (idempotent)."""
        if self.organization(seed.DEMO_ORGANIZATION_ID) is None:
            self.create_organization(
                seed.DEMO_ORGANIZATION_ID,
                name=seed.DEMO_ORGANIZATION,
                currency_code="SAR",
                user=seed.DEMO_USER,
                chart=seed.demo_chart(),
            )
        if self.grant(seed.DEMO_REFRESH_TOKEN) is None:
            self.add_grant(
                seed.DEMO_USER,
                client_id=seed.CLIENT_ID,
                scope=seed.SCOPES,
                refresh_token=seed.DEMO_REFRESH_TOKEN,
            )

    # --- organizations and charts -------------------------------------------------------------

    def create_organization(
        self,
        organization_id: str,
        *,
        name: str,
        currency_code: str,
        user: str,
        chart: list[dict[str, Any]],
    ) -> dict[str, Any]:
        body = seed.organization(organization_id, name, currency_code)
        with self.transaction() as db:
            db.execute("DELETE FROM accounts WHERE organization_id = ?", (organization_id,))
            db.execute(
                "INSERT OR REPLACE INTO organizations (organization_id, user, body) VALUES (?,?,?)",
                (organization_id, user, dump(body)),
            )
            db.executemany(
                "INSERT INTO accounts (organization_id, account_id, position, body) "
                "VALUES (?, ?, ?, ?)",
                [(organization_id, row["account_id"], n, dump(row)) for n, row in enumerate(chart)],
            )
        return body

    def organization(self, organization_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT user, body FROM organizations WHERE organization_id = ?",
                (organization_id,),
            ).fetchone()
        return {**json.loads(row[1]), "user": row[0]} if row else None

    def organizations(self, user: str | None = None) -> list[dict[str, Any]]:
        """A user's organizations (every one if None), the oldest first; the first is the
        default one."""
        query = "SELECT body FROM organizations"
        args: tuple[str, ...] = ()
        if user is not None:
            query += " WHERE user = ?"
            args = (user,)
        with self.lock:
            rows = self.db.execute(query + " ORDER BY rowid", args).fetchall()
        found = [json.loads(row[0]) for row in rows]
        for n, body in enumerate(found):
            body["is_default_org"] = n == 0
        return found

    def accounts(self, organization_id: str) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute(
                "SELECT body FROM accounts WHERE organization_id = ? ORDER BY position",
                (organization_id,),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def change_accounts(self, organization_id: str, changes: dict[str, Any]) -> int:
        """What an accountant does in Zoho Books: rename (`rename`: {id: name}), add rows
        (`add`: [{account_id, account_name, account_code, account_type}]), mark inactive or
        active (`deactivate`, `activate`: [ids]) and delete (`remove`: [ids]); how many
        accounts remain."""
        by_id = {row["account_id"]: row for row in self.accounts(organization_id)}
        for account, name in (changes.get("rename") or {}).items():
            if account in by_id:
                by_id[account]["account_name"] = str(name)
        for account in changes.get("deactivate") or []:
            if account in by_id:
                by_id[account]["is_active"] = False
        for account in changes.get("activate") or []:
            if account in by_id:
                by_id[account]["is_active"] = True
        for row in changes.get("add") or []:
            by_id[str(row["account_id"])] = {
                "is_active": True,
                "account_code": None,
                "account_type": "expense",
                "parent_account_id": "",
                **row,
                "account_id": str(row["account_id"]),
            }
        for account in changes.get("remove") or []:
            by_id.pop(str(account), None)
        with self.transaction() as db:
            db.execute("DELETE FROM accounts WHERE organization_id = ?", (organization_id,))
            db.executemany(
                "INSERT INTO accounts (organization_id, account_id, position, body) "
                "VALUES (?, ?, ?, ?)",
                [
                    (organization_id, account, n, dump(row))
                    for n, (account, row) in enumerate(by_id.items())
                ],
            )
        return len(by_id)

    # --- the accounts server: codes, grants, access tokens ------------------------------------

    def add_code(
        self, user: str, *, client_id: str, redirect_uri: str, scope: str, lifetime: float
    ) -> str:
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self.transaction() as db:
            db.execute(
                "INSERT INTO codes (code, user, client_id, redirect_uri, scope, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (code, user, client_id, redirect_uri, scope, time.time() + lifetime),
            )
        return code

    def use_code(self, code: str, *, client_id: str, redirect_uri: str) -> dict[str, Any] | None:
        """The grant a code stands for, once: a used, expired, unknown code, or one given to
        another client or redirect URI, is None (and a used one stays used)."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT user, client_id, redirect_uri, scope, expires_at, used FROM codes "
                "WHERE code = ?",
                (code,),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE codes SET used = 1 WHERE code = ?", (code,))
        user, code_client, code_redirect, scope, expires_at, used = row
        if used or expires_at < time.time() or code_client != client_id:
            return None
        if code_redirect != redirect_uri:
            return None
        return {"user": user, "scope": scope}

    def add_grant(
        self, user: str, *, client_id: str, scope: str, refresh_token: str | None = None
    ) -> str:
        token = refresh_token or f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO grants (refresh_token, user, client_id, scope, revoked) "
                "VALUES (?, ?, ?, ?, 0)",
                (token, user, client_id, scope),
            )
        return token

    def grant(self, refresh_token: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT user, client_id, scope, revoked FROM grants WHERE refresh_token = ?",
                (refresh_token,),
            ).fetchone()
        if row is None:
            return None
        return {"user": row[0], "client_id": row[1], "scope": row[2], "revoked": bool(row[3])}

    def grants(self) -> list[dict[str, Any]]:
        """Every grant with the refreshes made with it in the last 10 minutes and in all."""
        with self.lock:
            rows = self.db.execute(
                "SELECT refresh_token, user, client_id, revoked FROM grants ORDER BY rowid"
            ).fetchall()
            counts = dict(
                self.db.execute(
                    "SELECT refresh_token, count(*) FROM refreshes GROUP BY refresh_token"
                ).fetchall()
            )
        return [
            {
                "refresh_token": token,
                "user": user,
                "client_id": client_id,
                "revoked": bool(revoked),
                "refreshes": int(counts.get(token, 0)),
                "recent_refreshes": self.recent_refreshes(token),
            }
            for token, user, client_id, revoked in rows
        ]

    def revoke_grant(self, refresh_token: str | None = None) -> int:
        """Revoke one refresh token (every one if None) and the access tokens minted from
        it; how many grants it revoked."""
        with self.transaction() as db:
            if refresh_token is None:
                count = db.execute("UPDATE grants SET revoked = 1 WHERE revoked = 0").rowcount
                db.execute("DELETE FROM access_tokens")
                return int(count)
            count = db.execute(
                "UPDATE grants SET revoked = 1 WHERE refresh_token = ? AND revoked = 0",
                (refresh_token,),
            ).rowcount
            db.execute("DELETE FROM access_tokens WHERE refresh_token = ?", (refresh_token,))
            return int(count)

    def recent_refreshes(self, refresh_token: str) -> int:
        since = time.time() - REFRESH_WINDOW_SECONDS
        with self.lock:
            (count,) = self.db.execute(
                "SELECT count(*) FROM refreshes WHERE refresh_token = ? AND at > ?",
                (refresh_token, since),
            ).fetchone()
        return int(count)

    def mint_access_token(self, refresh_token: str, *, lifetime: float, refresh: bool) -> str:
        """A new access token from the grant (`refresh`: counted as a refresh)."""
        token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO access_tokens (token, refresh_token, expires_at) VALUES (?, ?, ?)",
                (token, refresh_token, now + lifetime),
            )
            if refresh:
                db.execute(
                    "INSERT INTO refreshes (refresh_token, at) VALUES (?, ?)", (refresh_token, now)
                )
        return token

    def token_user(self, token: str) -> tuple[str, bool] | None:
        """(the user, expired?) of an access token; None if unknown or revoked."""
        with self.lock:
            row = self.db.execute(
                "SELECT g.user, t.expires_at, g.revoked FROM access_tokens t "
                "JOIN grants g ON g.refresh_token = t.refresh_token WHERE t.token = ?",
                (token,),
            ).fetchone()
        if row is None or row[2]:
            return None
        return str(row[0]), float(row[1]) <= time.time()

    def expire_access_tokens(self) -> int:
        """Every access token expires now (what an hour does)."""
        with self.transaction() as db:
            return int(db.execute("UPDATE access_tokens SET expires_at = 0").rowcount)

    # --- journals -----------------------------------------------------------------------------

    def create_journal(self, organization_id: str, journal: dict[str, Any]) -> dict[str, Any]:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO journals (organization_id, reference_number, journal_date, body) "
                "VALUES (?, ?, ?, '{}')",
                (organization_id, journal["reference_number"], journal["journal_date"]),
            )
            number = int(cursor.lastrowid or 0)
            stored = {
                "journal_id": journal_id(number),
                "entry_number": str(number),
                **journal,
            }
            db.execute("UPDATE journals SET body = ? WHERE id = ?", (dump(stored), number))
        return stored

    def journal(self, organization_id: str, journal: str) -> dict[str, Any] | None:
        number = row_id(journal)
        if number is None:
            return None
        with self.lock:
            row = self.db.execute(
                "SELECT body FROM journals WHERE organization_id = ? AND id = ?",
                (organization_id, number),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def journals(
        self,
        organization_id: str,
        *,
        reference_prefix: str | None = None,
        date_start: str | None = None,
        date_end: str | None = None,
    ) -> list[dict[str, Any]]:
        """An organization's journals, oldest first; `reference_prefix` matches the start of
        the reference, whatever the case (how loosely Zoho's filter matches is not known:
        the sandbox matches loosely, so a client must check every row)."""
        query = "SELECT body FROM journals WHERE organization_id = ?"
        args: list[Any] = [organization_id]
        if reference_prefix:
            query += " AND lower(reference_number) LIKE ? ESCAPE '\\'"
            escaped = reference_prefix.lower().replace("\\", "\\\\")
            args.append(escaped.replace("%", "\\%").replace("_", "\\_") + "%")
        if date_start:
            query += " AND journal_date >= ?"
            args.append(date_start)
        if date_end:
            query += " AND journal_date <= ?"
            args.append(date_end)
        with self.lock:
            rows = self.db.execute(query + " ORDER BY id", args).fetchall()
        return [json.loads(row[0]) for row in rows]

    def write_journal(self, organization_id: str, journal: dict[str, Any]) -> None:
        number = row_id(str(journal["journal_id"]))
        with self.transaction() as db:
            db.execute(
                "UPDATE journals SET body = ?, reference_number = ?, journal_date = ? "
                "WHERE organization_id = ? AND id = ?",
                (
                    dump(journal),
                    journal.get("reference_number") or "",
                    journal["journal_date"],
                    organization_id,
                    number,
                ),
            )

    def delete_journal(self, organization_id: str, journal: str) -> bool:
        number = row_id(journal)
        with self.transaction() as db:
            deleted = db.execute(
                "DELETE FROM journals WHERE organization_id = ? AND id = ?",
                (organization_id, number),
            ).rowcount
            db.execute(
                "DELETE FROM attachments WHERE organization_id = ? AND journal_id = ?",
                (organization_id, number),
            )
        return deleted == 1

    def add_attachment(
        self,
        organization_id: str,
        journal: str,
        *,
        filename: str,
        content_type: str,
        content: bytes,
    ) -> dict[str, Any]:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO attachments (organization_id, journal_id, filename, content_type, "
                "size, sha256) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    organization_id,
                    row_id(journal),
                    filename,
                    content_type,
                    len(content),
                    hashlib.sha256(content).hexdigest(),
                ),
            )
        return {
            "document_id": str(cursor.lastrowid),
            "file_name": filename,
            "file_type": content_type,
            "file_size": len(content),
        }

    def attachments(self, organization_id: str, journal: str | None = None) -> list[dict[str, Any]]:
        query = (
            "SELECT id, journal_id, filename, content_type, size, sha256 FROM attachments "
            "WHERE organization_id = ?"
        )
        args: list[Any] = [organization_id]
        if journal is not None:
            query += " AND journal_id = ?"
            args.append(row_id(journal))
        with self.lock:
            rows = self.db.execute(query + " ORDER BY id", args).fetchall()
        return [
            {
                "document_id": str(row[0]),
                "journal_id": journal_id(int(row[1])),
                "file_name": row[2],
                "file_type": row[3],
                "file_size": row[4],
                "sha256": row[5],
            }
            for row in rows
        ]
