"""Odoo's ORM as far as the product uses it, for the Odoo sandbox: the models and their fields,
domains, reading records the way Odoo reads them (many2one as [id, name], translated names),
and the checks Odoo makes when a journal entry or an attachment is created. Errors are
`RpcError`s named like Odoo's exception classes."""

import base64
import binascii
import datetime
import hashlib
import re
from typing import Any

from integrations.providers.odoo.sandbox import seed
from integrations.providers.odoo.sandbox.store import Store


class RpcError(Exception):
    """An exception Odoo would raise: `name` is its class as Odoo reports it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def access_denied() -> RpcError:
    return RpcError("odoo.exceptions.AccessDenied", "Access Denied")


def missing(model: str, ids: list[Any], uid: int) -> RpcError:
    return RpcError(
        "odoo.exceptions.MissingError",
        "Record does not exist or has been deleted.\n"
        f"(Record: {model}({', '.join(map(str, ids))},), User: {uid})",
    )


# --- the models, as far as we use them -----------------------------------------------------------

# field → kind; "m2o:<model>" reads as [id, display name], "translated" by the context's lang.
FIELDS: dict[str, dict[str, str]] = {
    "res.users": {"id": "int", "login": "char", "name": "char", "company_id": "m2o:res.company"},
    "res.company": {
        "id": "int",
        "name": "char",
        "currency_id": "m2o:res.currency",
        # The lock dates: 16/17 (`period_lock_date`, `fiscalyear_lock_date`, `tax_lock_date`)
        # and 18's `hard_lock_date`; the sandbox's one knob (`lock_date`) is the fiscal year's.
        "period_lock_date": "date",
        "fiscalyear_lock_date": "date",
        "tax_lock_date": "date",
        "hard_lock_date": "date",
    },
    "res.lang": {"id": "int", "code": "char", "name": "char", "active": "bool"},
    "account.account": {
        "id": "int",
        "code": "char",
        "name": "translated",
        "account_type": "char",
        "internal_group": "char",
        "group_id": "m2o:account.group",
        "deprecated": "bool",
        "company_id": "m2o:res.company",
        "currency_id": "m2o:res.currency",
    },
    "account.group": {
        "id": "int",
        "name": "translated",
        "code_prefix_start": "char",
        "code_prefix_end": "char",
        "parent_id": "m2o:account.group",
        "company_id": "m2o:res.company",
    },
    "account.journal": {
        "id": "int",
        "code": "char",
        "name": "char",
        "type": "char",
        "sequence": "int",
        "active": "bool",
        "company_id": "m2o:res.company",
    },
    "account.move": {
        "id": "int",
        "name": "char",
        "ref": "char",
        "date": "char",
        "state": "char",
        "move_type": "char",
        "narration": "char",
        "journal_id": "m2o:account.journal",
        "company_id": "m2o:res.company",
        "line_ids": "o2m",
        "amount_total": "float",
    },
    "account.tax": {
        "id": "int",
        "name": "char",
        "amount": "float",
        "type_tax_use": "char",
        "active": "bool",
        "company_id": "m2o:res.company",
    },
    "account.move.line": {
        "id": "int",
        "move_id": "m2o:account.move",
        "account_id": "m2o:account.account",
        "tax_line_id": "m2o:account.tax",
        "name": "char",
        "debit": "float",
        "credit": "float",
        "balance": "float",
        "company_id": "m2o:res.company",
    },
    "ir.attachment": {
        "id": "int",
        "name": "char",
        "res_model": "char",
        "res_id": "int",
        "mimetype": "char",
        "file_size": "int",
        "checksum": "char",
        "company_id": "m2o:res.company",
    },
}


def check_fields(model: str, names: list[str]) -> None:
    for name in names:
        if name not in FIELDS[model]:
            raise RpcError("builtins.ValueError", f"Invalid field {name!r} on model {model!r}")


def _compare(actual: Any, op: str, value: Any) -> bool:
    if op in ("=", "=="):
        return bool(actual == value or (value is False and actual in (None, False, "")))
    if op in ("!=", "<>"):
        return not _compare(actual, "=", value)
    if op == "in":
        return actual in (value or [])
    if op == "not in":
        return actual not in (value or [])
    if op in ("=like", "=ilike"):
        pattern = "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$"
        return bool(re.match(pattern, str(actual or ""), re.IGNORECASE if "i" in op else 0))
    if op in ("like", "ilike"):
        haystack, needle = str(actual or ""), str(value)
        return needle.lower() in haystack.lower() if op == "ilike" else needle in haystack
    if actual in (None, False):
        return False
    return {
        ">": lambda: actual > value,
        ">=": lambda: actual >= value,
        "<": lambda: actual < value,
        "<=": lambda: actual <= value,
    }.get(op, lambda: False)()


OPERATORS: tuple[str, ...] = ("=", "==", "!=", "<>", "in", "not in", "=like", "=ilike")
OPERATORS += ("like", "ilike", ">", ">=", "<", "<=")


def matches(model: str, record: dict[str, Any], domain: Any) -> bool:
    """Odoo's domains as we use them: leaves [field, operator, value], implicitly and-ed."""
    for term in domain or []:
        if term == "&":
            continue
        if not isinstance(term, list | tuple) or len(term) != 3:
            raise RpcError("builtins.ValueError", f"Invalid leaf {term!r}")
        name, op, value = term
        check_fields(model, [name])
        if op not in OPERATORS:
            raise RpcError("builtins.ValueError", f"Invalid operator {op!r}")
        if not _compare(record.get(name), op, value):
            return False
    return True


class Books:
    """One call's view of a database: its records, read the way Odoo reads them."""

    def __init__(self, store: Store, database: str, uid: int, context: dict[str, Any]) -> None:
        self.store = store
        self.database = database
        self.uid = uid
        self.context = context if isinstance(context, dict) else {}
        self.info = store.database(database) or {}
        self.lock_date = ""  # the books are closed up to this day ("YYYY-MM-DD"; "": none)
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def records(self, model: str) -> list[dict[str, Any]]:
        if model not in self._cache:
            if model == "res.users":
                user = self.store.user(self.database, uid=self.uid) or {}
                rows = [{"id": self.uid, "login": user.get("login"), "name": user.get("login")}]
                rows[0]["company_id"] = 1
            elif model == "res.company":
                rows = [
                    {
                        "id": 1,
                        "name": self.info.get("company"),
                        "currency_id": self.info.get("currency_id"),
                        "period_lock_date": None,
                        "fiscalyear_lock_date": self.lock_date or None,
                        "tax_lock_date": None,
                        "hard_lock_date": None,
                    }
                ]
            elif model == "res.lang":
                rows = [
                    {"id": n, "code": code, "name": name, "active": True}
                    for n, (code, name) in enumerate(seed.LANGUAGES, 1)
                ]
            else:
                rows = self.store.records(self.database, model)
                if model == "account.journal":  # archived journals are hidden, as in Odoo
                    rows = [row for row in rows if row.get("active", True)]
            self._cache[model] = rows
        return self._cache[model]

    def display_name(self, model: str, record_id: int) -> str:
        if model == "res.currency":
            return str(self.info.get("currency"))
        found = next((r for r in self.records(model) if r["id"] == record_id), None)
        if found is None:
            return ""
        if model == "account.account":
            return f"{found['code']} {self.translated(found['name'])}"
        if model == "account.group":
            return f"{found.get('code_prefix_start', '')} {self.translated(found['name'])}"
        if model == "account.move":
            return str(found.get("name") or "/")
        return str(found.get("name") or found.get("login") or record_id)

    def translated(self, value: Any) -> str:
        if isinstance(value, dict):
            lang = str(self.context.get("lang") or "en_US")
            return str(value.get(lang) or value.get("en_US") or "")
        return str(value or "")

    def read(self, model: str, record: dict[str, Any], names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": record["id"]}
        for name in names or list(FIELDS[model]):
            kind = FIELDS[model][name]
            value = record.get(name)
            if kind.startswith("m2o:"):
                target = kind[4:]
                out[name] = [value, self.display_name(target, value)] if value else False
            elif kind == "translated":
                out[name] = self.translated(value)
            elif kind == "o2m":
                out[name] = list(value or [])
            else:
                out[name] = value if value is not None else False
        return out

    def search(self, model: str, domain: Any, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        rows = [row for row in self.records(model) if matches(model, row, domain)]
        order = str(kwargs.get("order") or "id")
        keys = [part.split()[0] for part in order.split(",") if part.strip()]
        check_fields(model, keys)
        rows.sort(key=lambda row: tuple(row.get(key) or 0 for key in keys))
        if "desc" in order.lower():
            rows.reverse()
        offset = int(kwargs.get("offset") or 0)
        limit = kwargs.get("limit")
        return rows[offset : offset + int(limit)] if limit else rows[offset:]


def _amount(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RpcError("builtins.ValueError", f"Wrong value for {what}: {value!r}")
    try:
        return float(value)
    except ValueError:
        raise RpcError("builtins.ValueError", f"Wrong value for {what}: {value!r}") from None


def _move_lines(books: Books, commands: Any, *, clear_first: bool = False) -> list[dict[str, Any]]:
    """The lines `line_ids` commands make, checked as Odoo checks them: `(0, 0, values)` each
    (and, for a write, a `(5, 0, 0)` first that clears the old ones), the accounts exist and
    are not deprecated, one side each, balanced."""
    if clear_first:
        commands = list(commands)
        if not commands or list(commands[0]) != [5, 0, 0]:
            raise RpcError(
                "odoo.exceptions.UserError",
                "The sandbox changes an entry's lines as a whole: (5, 0, 0) then (0, 0, values).",
            )
        commands = commands[1:]
    accounts = {row["id"]: row for row in books.records("account.account")}
    taxes = {row["id"]: row for row in books.records("account.tax")}
    lines: list[dict[str, Any]] = []
    for command in commands:
        if isinstance(command, dict):
            raise RpcError("psycopg2.ProgrammingError", "can't adapt type 'dict'")
        if not isinstance(command, list | tuple) or len(command) != 3 or command[0] != 0:
            raise RpcError("builtins.ValueError", f"Invalid command {command!r} for line_ids")
        line = command[2] if isinstance(command[2], dict) else {}
        account_id = line.get("account_id")
        if account_id not in accounts:
            raise missing("account.account", [account_id], books.uid)
        account = accounts[account_id]
        if account.get("deprecated"):
            raise RpcError(
                "odoo.exceptions.UserError",
                f"The account {account['code']} ({books.translated(account['name'])}) is "
                "deprecated.",
            )
        tax_line_id = line.get("tax_line_id") or False
        if tax_line_id and tax_line_id not in taxes:
            raise missing("account.tax", [tax_line_id], books.uid)
        debit = _amount(line.get("debit", 0.0), "debit")
        credit = _amount(line.get("credit", 0.0), "credit")
        if debit < 0 or credit < 0 or (debit and credit):
            raise RpcError(
                "odoo.exceptions.ValidationError",
                "Wrong credit or debit value in accounting entry!",
            )
        lines.append(
            {
                "account_id": account_id,
                "name": str(line.get("name") or ""),
                "debit": round(debit, 2),
                "credit": round(credit, 2),
                "balance": round(debit - credit, 2),
                "company_id": 1,
                "tax_line_id": tax_line_id,
            }
        )
    types = {accounts[line["account_id"]]["account_type"] == "off_balance" for line in lines}
    if len(types) > 1:
        raise RpcError(
            "odoo.exceptions.UserError",
            'If you want to use "Off-Balance Sheet" accounts, all the accounts of the journal '
            "entry must be of this type",
        )
    difference = round(sum(line["balance"] for line in lines), 2)
    if not lines or difference:
        raise RpcError(
            "odoo.exceptions.UserError",
            f"Cannot create unbalanced journal entry.\nDifferences debit - credit: [{difference}]",
        )
    return lines


def create_move(books: Books, values: Any) -> dict[str, Any]:
    """What Odoo checks when a journal entry is created over the API."""
    if not isinstance(values, dict):
        raise RpcError("builtins.TypeError", "create() takes a dictionary of values")
    unknown = set(values) - {*FIELDS["account.move"], "auto_post", "checked", "to_check"}
    if unknown:
        raise RpcError(
            "builtins.ValueError", f"Invalid field {sorted(unknown)[0]!r} on model 'account.move'"
        )
    move_type = values.get("move_type", "entry")
    if move_type != "entry":
        raise RpcError("odoo.exceptions.UserError", "The sandbox keeps journal entries only.")
    journal_id = values.get("journal_id")
    journals = {row["id"]: row for row in books.records("account.journal")}
    if journal_id not in journals:
        raise missing("account.journal", [journal_id], books.uid)
    try:
        date = datetime.date.fromisoformat(str(values.get("date") or ""))
    except ValueError:
        raise RpcError(
            "builtins.ValueError", f"time data {values.get('date')!r} does not match format"
        ) from None
    if books.lock_date and date.isoformat() <= books.lock_date:
        # Odoo's words, the date as the user's language (en_US) writes it.
        lock = datetime.date.fromisoformat(books.lock_date)
        raise RpcError(
            "odoo.exceptions.UserError",
            "You cannot add/modify entries prior to and inclusive of the lock date "
            f"{lock.strftime('%m/%d/%Y')}.",
        )
    lines = _move_lines(books, values.get("line_ids") or [])
    move = {
        "name": "/",
        "ref": str(values.get("ref") or "") or False,
        "date": date.isoformat(),
        "state": "draft",  # created over the API, an entry stays a draft until posted
        "move_type": "entry",
        "narration": str(values.get("narration") or "") or False,
        "journal_id": journal_id,
        "company_id": 1,
        "amount_total": round(sum(line["debit"] for line in lines), 2),
    }
    return books.store.create_move(books.database, move, lines)


def create_attachment(books: Books, values: Any, *, forbidden: bool) -> dict[str, Any]:
    """An ir.attachment on a record; `forbidden`: the user may not create attachments."""
    if forbidden:
        raise RpcError(
            "odoo.exceptions.AccessError",
            "You are not allowed to create 'Attachment' (ir.attachment) records.",
        )
    if not isinstance(values, dict):
        raise RpcError("builtins.TypeError", "create() takes a dictionary of values")
    try:
        content = base64.b64decode(str(values.get("datas") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise RpcError("binascii.Error", "Incorrect padding") from None
    res_model, res_id = values.get("res_model"), values.get("res_id")
    if res_model == "account.move" and (
        not isinstance(res_id, int) or books.store.get(books.database, res_model, res_id) is None
    ):
        raise missing("account.move", [res_id], books.uid)
    body = {
        "name": str(values.get("name") or ""),
        "res_model": res_model,
        "res_id": res_id,
        "mimetype": str(values.get("mimetype") or "application/octet-stream"),
        "file_size": len(content),
        "checksum": hashlib.sha1(content).hexdigest(),  # noqa: S324 (Odoo's own checksum)
        "sha256": hashlib.sha256(content).hexdigest(),
        "image_no_postprocess": bool(books.context.get("image_no_postprocess")),
        "company_id": 1,
    }
    return books.store.insert(books.database, "ir.attachment", body)


def write_move(books: Books, ids: Any, values: Any) -> bool:
    """What Odoo does with a `write` on journal entries over the API, as far as we use it:
    replace the lines of an entry while it is a draft; a posted one is refused."""
    if not isinstance(ids, list) or not isinstance(values, dict):
        raise RpcError("builtins.TypeError", "write() takes a list of ids and a dictionary")
    unknown = set(values) - {"line_ids", "narration", "ref"}
    if unknown:
        raise RpcError(
            "builtins.ValueError", f"Invalid field {sorted(unknown)[0]!r} on model 'account.move'"
        )
    moves = {row["id"]: row for row in books.records("account.move")}
    absent = [i for i in ids if i not in moves]
    if absent:
        raise missing("account.move", absent, books.uid)
    for move_id in ids:
        move = moves[move_id]
        if move.get("state") != "draft":
            raise RpcError(
                "odoo.exceptions.UserError",
                "You cannot modify a posted entry of this journal.",
            )
        lines = (
            _move_lines(books, values["line_ids"], clear_first=True)
            if "line_ids" in values
            else None
        )
        changes = {key: values[key] for key in ("narration", "ref") if key in values}
        books.store.replace_move(books.database, move_id, changes, lines)
    return True
