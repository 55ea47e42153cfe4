"""The Zoho Books sandbox's HTTP server, on the sandbox kit (`integrations.sandbox_kit`: the
HTTP skeleton, knobs, faults, the shared controls and the inspection page). It plays both
sides SiFi talks to:

- the accounts server (`accounts.py`): GET/POST /oauth/v2/auth (the consent page, Accept or
  Deny, back to `redirect_uri` with `code`, `state`, `location`, `accounts-server`),
  POST /oauth/v2/token (authorization_code, refresh_token), POST /oauth/v2/token/revoke;
  OAuth client `sifi-sandbox-client` / `sifi-sandbox-secret`;
- Zoho Books v3 under /books/v3 (`Authorization: Zoho-oauthtoken <token>`, `organization_id`
  on every call but the organization list): GET /organizations, GET /settings/taxes (a Saudi
  organization's three taxes; a journal line's `tax_id` must be one), GET /chartofaccounts
  (pages of 200, `page_context`), POST /journals, GET /journals (`reference_number`, `date_start`,
  `date_end`, pages), GET /journals/{id}, POST /journals/{id}/attachment (multipart part
  `attachment`). Answers `{"code": 0, ...}`, errors `{"code": n, "message": "..."}`; 100
  requests a minute per organization (429 code 44) and a daily quota (429 code 45).

Controls of its own (no auth, for tests and demos; `organization_id` names the books, the demo
organization by default): POST /_sandbox/organizations, PATCH
/_sandbox/organizations/{id}/accounts, GET /_sandbox/grants, POST /_sandbox/grants (a refresh
token without the browser), POST /_sandbox/grants/revoke, POST /_sandbox/tokens/expire,
POST /_sandbox/quota?organization_id= {"used": n}, GET /_sandbox/journals?organization_id=,
GET|DELETE|PATCH /_sandbox/journals/{id}?organization_id=. The kit adds GET /_sandbox/ (the
inspection page), GET/PATCH /_sandbox/config, POST /_sandbox/faults, GET /_sandbox/stats,
POST /_sandbox/reset and GET /_sandbox/health.
"""

import datetime
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from integrations.providers.zoho_books.sandbox import seed
from integrations.providers.zoho_books.sandbox.accounts import serve_accounts
from integrations.providers.zoho_books.sandbox.store import Store
from integrations.sandbox_kit.server import (
    AFTER_COMMIT_FAULTS,
    Inspection,
    Sandbox,
    SandboxConfig,
    SandboxHandler,
    SandboxState,
)

API = "/books/v3/"
PAGE_SIZE = 200
CENT = Decimal("0.01")
NOT_AUTHORIZED = {"code": 57, "message": "You are not authorized to perform this operation"}
INVALID_TOKEN = {"code": 14, "message": "Invalid value passed for authtoken."}
MINUTE_LIMIT = {
    "code": 44,
    "message": "For security reasons your organization has been blocked as it have exceeded "
    "the maximum number of requests per minute that can originate from an organization.",
}


def daily_limit(quota: int) -> dict[str, Any]:
    return {
        "code": 45,
        "message": "The API call for this organization has exceeded the maximum call rate "
        f"limit of {quota}.",
    }


@dataclass
class Config(SandboxConfig):
    rate_limit_per_minute: int = field(
        default=100, metadata={"help": "Per organization, sliding minute; 429 code 44 past it."}
    )
    daily_quota: int = field(
        default=1000,
        metadata={"help": "Per organization and quota period; 429 code 45 past it (0: none)."},
    )
    quota_period_s: float = field(
        default=86_400.0, metadata={"help": "How long the daily quota counts (short for demos)."}
    )
    access_token_seconds: int = field(
        default=3600, metadata={"help": "How long an access token lives."}
    )
    refreshes_per_10_minutes: int = field(
        default=10, metadata={"help": "Refreshes a refresh token may make in 10 minutes."}
    )
    attachments_forbidden: bool = field(
        default=False, metadata={"help": "The Zoho user may not attach files (HTTP 403)."}
    )
    lock_date: str = field(
        default="", metadata={"help": "Transaction lock: no journal dated on or before it."}
    )

    def rate_limit(self) -> tuple[int, float]:
        return self.rate_limit_per_minute, 60.0


def _path_matches(fault: dict[str, Any], path: str) -> bool:
    """A fault's "path" matches anywhere in the request path; "$" anchors it to the end
    ("journals$" is the create, not an attachment)."""
    pattern = str(fault.get("path", ""))
    if pattern.endswith("$"):
        return path.endswith(pattern[:-1])
    return pattern in path


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        return None
    return amount


def _invalid(name: str) -> dict[str, Any]:
    return {"code": 2, "message": f"Invalid value passed for {name}"}


class Handler(SandboxHandler):
    server_version = "ZGS"
    title = "Zoho Books sandbox"
    books_param = "organization_id"
    books_label = "organization"
    default_books = seed.DEMO_ORGANIZATION_ID
    json_type = "application/json;charset=UTF-8"
    too_many_requests = {"code": 429, "message": "Too many requests."}
    state: SandboxState[Store, Config]
    _after_commit_fault: str | None = None

    def own_url(self) -> str:
        """Where this sandbox is reached, as the accounts server and API domain it names."""
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"  # type: ignore[attr-defined]
        return f"http://{host}"

    def serve(self, method: str, path: str, query: dict[str, list[str]]) -> str | None:
        raw = self.read_body()
        self._after_commit_fault = None
        if path.startswith("/oauth/v2/"):
            self.wait_latency()
            fault = self.next_fault(
                lambda f: f.get("method", method) == method and _path_matches(f, path),
                write=True,
            )
            if self.answer_fault(fault):
                return None
            self._after_commit_fault = fault if fault in AFTER_COMMIT_FAULTS else None
            serve_accounts(self, method, path, query, raw)
            return path  # never the query: it may carry a token
        if path.startswith(API):
            self._books(method, path[len(API) :].rstrip("/"), query, raw)
            return None
        self.send_json(404, {"code": 5, "message": "Invalid URL Passed"})
        return None

    def answer_after_commit(self, status: int, body: Any) -> None:
        """The write is stored; an injected after-commit fault now loses the answer."""
        if self._after_commit_fault:
            self.lose_answer(self._after_commit_fault)
        else:
            self.send_json(status, body)

    # --- the two windows ----------------------------------------------------------------------

    def admit_books(self, organization_id: str, arrived: float) -> dict[str, Any] | None:
        """Count one request of the organization: None if it may go on, else Zoho's refusal
        (the daily quota, code 45, first; then the minute, code 44)."""
        state, config = self.state, self.state.config
        with state.lock:
            counted = state.stats[organization_id]
            day = state.calls[f"{organization_id}#day"]
            while day and arrived - day[0] >= config.quota_period_s:
                day.popleft()
            refusal: dict[str, Any] | None = None
            if config.daily_quota > 0 and len(day) >= config.daily_quota:
                refusal = daily_limit(config.daily_quota)
                counted["quota_refused"] += 1
            else:
                minute = state.calls[organization_id]
                while minute and arrived - minute[0] >= 60.0:
                    minute.popleft()
                if config.rate_limit_per_minute > 0 and len(minute) >= config.rate_limit_per_minute:
                    refusal = MINUTE_LIMIT
                else:
                    minute.append(arrived)
                    day.append(arrived)
            counted["rate_limited" if refusal else "served"] += 1
            recent = state.recent[organization_id]
            recent.append(arrived)
            while recent and arrived - recent[0] >= 1.0:
                recent.popleft()
            counted["peak_per_second"] = max(counted["peak_per_second"], len(recent))
        return refusal

    def spend_quota(self, organization_id: str, used: int) -> None:
        """The organization has made `used` requests in the current quota period."""
        now = time.monotonic()
        with self.state.lock:
            day = self.state.calls[f"{organization_id}#day"]
            day.clear()
            day.extend([now] * max(0, used))

    # --- Zoho Books ---------------------------------------------------------------------------

    def _user(self) -> str | None:
        """The user whose access token came; None once the refusal is answered."""
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Zoho-oauthtoken" or not token.strip():
            self.send_json(401, NOT_AUTHORIZED)
            return None
        found = self.state.store.token_user(token.strip())
        if found is None:
            self.send_json(401, INVALID_TOKEN)
            return None
        user, expired = found
        if expired:
            self.send_json(401, NOT_AUTHORIZED)
            return None
        return user

    def _books(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        arrived = time.monotonic()
        self.wait_latency()
        user = self._user()
        if user is None:
            return
        if method == "GET" and path == "organizations":
            self.send_json(
                200,
                {
                    "code": 0,
                    "message": "success",
                    "organizations": self.state.store.organizations(user),
                },
            )
            return
        organization_id = (query.get("organization_id") or [""])[0]
        organization = self.state.store.organization(organization_id)
        if organization is None or organization["user"] != user:
            self.send_json(
                400,
                {
                    "code": 6041,
                    "message": "This user is not associated with the CompanyID/CompanyName:"
                    f"{organization_id}.",
                },
            )
            return
        refusal = self.admit_books(organization_id, arrived)
        if refusal is not None:
            self.send_json(429, refusal)
            return
        fault = self.next_fault(
            lambda f: f.get("method", method) == method and _path_matches(f, path),
            write=method in ("POST", "PUT"),
        )
        if self.answer_fault(fault):
            return
        self._after_commit_fault = fault if fault in AFTER_COMMIT_FAULTS else None
        self._route(method, path, query, raw, organization_id)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, org: str
    ) -> None:
        if method == "GET" and path == "chartofaccounts":
            self._chart(query, org)
        elif method == "GET" and path == "settings/taxes":
            self.send_json(200, {"code": 0, "message": "success", "taxes": seed.tax_rows()})
        elif method == "POST" and path == "journals":
            self._create_journal(raw, org)
        elif method == "GET" and path == "journals":
            self._list_journals(query, org)
        elif method == "GET" and (match := re.fullmatch(r"journals/(\d+)", path)):
            journal = self._full_journal(org, match.group(1))
            if journal is None:
                self.send_json(404, {"code": 1002, "message": "Journal does not exist."})
            else:
                self.send_json(200, {"code": 0, "message": "success", "journal": journal})
        elif method == "PUT" and (match := re.fullmatch(r"journals/(\d+)", path)):
            self._update_journal(match.group(1), raw, org)
        elif method == "POST" and (match := re.fullmatch(r"journals/(\d+)/attachment", path)):
            self._attach(match.group(1), raw, org)
        else:
            self.send_json(404, {"code": 5, "message": "Invalid URL Passed"})

    @staticmethod
    def _page(query: dict[str, list[str]], rows: list[Any]) -> tuple[list[Any], dict[str, Any]]:
        try:
            page = max(1, int((query.get("page") or ["1"])[0]))
            per_page = min(PAGE_SIZE, max(1, int((query.get("per_page") or ["200"])[0])))
        except ValueError:
            page, per_page = 1, PAGE_SIZE
        start = (page - 1) * per_page
        chunk = rows[start : start + per_page]
        context = {
            "page": page,
            "per_page": per_page,
            "has_more_page": start + per_page < len(rows),
            "sort_column": "",
            "sort_order": "A",
        }
        return chunk, context

    def _chart(self, query: dict[str, list[str]], org: str) -> None:
        rows = self.state.store.accounts(org)
        filter_by = (query.get("filter_by") or ["AccountType.All"])[0]
        if filter_by == "AccountType.Active":
            rows = [row for row in rows if row.get("is_active", True)]
        elif filter_by == "AccountType.Inactive":
            rows = [row for row in rows if not row.get("is_active", True)]
        chunk, context = self._page(query, rows)
        self.send_json(
            200,
            {"code": 0, "message": "success", "chartofaccounts": chunk, "page_context": context},
        )

    def _create_journal(self, raw: bytes, org: str) -> None:
        body = self.parse_json(raw)
        journal, error = self._validate(body if isinstance(body, dict) else None, org)
        if journal is None:
            self.send_json(400, error)
            return
        created = self.state.store.create_journal(org, journal)
        self.answer_after_commit(
            201,
            {
                "code": 0,
                "message": "The journal entry has been created.",
                "journal": {**created, "documents": []},
            },
        )

    def _update_journal(self, journal_id: str, raw: bytes, org: str) -> None:
        """`PUT /journals/{id}`: the journal replaced by the body, checked as a create is.
        Zoho Books' own app edits published journals; what its API answers for one is not
        documented: the sandbox refuses it (code 4060, its own choice), so a client that
        updated a published journal would be seen doing it."""
        stored = self.state.store.journal(org, journal_id)
        if stored is None:
            self.send_json(404, {"code": 1002, "message": "Journal does not exist."})
            return
        if stored.get("status") != "draft":
            self.send_json(
                400,
                {
                    "code": 4060,
                    "message": "This journal is published; only draft journals can be edited "
                    "through the API.",
                },
            )
            return
        body = self.parse_json(raw)
        journal, error = self._validate(body if isinstance(body, dict) else None, org)
        if journal is None:
            self.send_json(400, error)
            return
        updated = {
            **stored,
            **journal,
            "journal_id": stored["journal_id"],
            "entry_number": stored["entry_number"],
            "created_time": stored.get("created_time", journal["created_time"]),
        }
        self.state.store.write_journal(org, updated)
        self.answer_after_commit(
            200,
            {
                "code": 0,
                "message": "The journal entry has been updated.",
                "journal": {**updated, "documents": []},
            },
        )

    def _validate(
        self, body: dict[str, Any] | None, org: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """What Zoho checks on a journal; its refusal otherwise."""
        if body is None:
            return None, {"code": 4, "message": "Invalid value passed for JSONString"}
        try:
            date = datetime.date.fromisoformat(str(body.get("journal_date") or ""))
        except ValueError:
            return None, _invalid("journal_date")
        lock_date = self.state.config.lock_date
        if lock_date and date.isoformat() <= lock_date:
            return None, {
                "code": 4020,
                "message": f"You cannot create transactions dated on or before the lock date "
                f"{lock_date} in the Accountant module.",
            }
        status = str(body.get("status") or "published")
        if status not in ("draft", "published"):
            return None, _invalid("status")
        items = body.get("line_items")
        if not isinstance(items, list) or len(items) < 2:
            return None, {"code": 2, "message": "A journal needs at least two line items."}
        accounts = {row["account_id"]: row for row in self.state.store.accounts(org)}
        taxes = {row["tax_id"]: row for row in seed.tax_rows()}
        lines: list[dict[str, Any]] = []
        totals = {"debit": Decimal("0"), "credit": Decimal("0")}
        for item in items:
            item = item if isinstance(item, dict) else {}
            side = str(item.get("debit_or_credit") or "")
            amount = _amount(item.get("amount"))
            account = accounts.get(str(item.get("account_id") or ""))
            if side not in totals:
                return None, _invalid("debit_or_credit")
            if amount is None:
                return None, _invalid("amount")
            if account is None:
                return None, _invalid("account_id")
            if not account.get("is_active", True):
                return None, {
                    "code": 4071,
                    "message": f'The account "{account["account_name"]}" is inactive. '
                    "Activate it or choose another account.",
                }
            tax = taxes.get(str(item.get("tax_id"))) if item.get("tax_id") else {}
            if tax is None:
                return None, _invalid("tax_id")
            totals[side] += amount
            lines.append(
                {
                    "line_id": f"{account['account_id']}{len(lines) + 1:03d}",
                    "account_id": account["account_id"],
                    "account_name": account["account_name"],
                    "description": str(item.get("description") or ""),
                    "debit_or_credit": side,
                    "amount": float(amount),  # Zoho answers numbers
                    "bcy_amount": float(amount),
                    "tax_id": tax.get("tax_id", ""),
                    "tax_name": tax.get("tax_name", ""),
                    "tax_percentage": tax.get("tax_percentage", 0),
                }
            )
        if totals["debit"] != totals["credit"]:
            return None, {
                "code": 2,
                "message": "Please ensure that the debits and credits are equal.",
            }
        return {
            "journal_date": date.isoformat(),
            "reference_number": str(body.get("reference_number") or ""),
            "notes": str(body.get("notes") or ""),
            "journal_type": str(body.get("journal_type") or "both"),
            "currency_code": self.state.store.organization(org)["currency_code"],  # type: ignore[index]
            "status": status,
            "line_items": lines,
            "line_item_total": float(totals["debit"]),
            "total": float(totals["debit"]),
            "created_time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }, {}

    def _full_journal(self, org: str, journal_id: str) -> dict[str, Any] | None:
        journal = self.state.store.journal(org, journal_id)
        if journal is None:
            return None
        journal["documents"] = [
            {k: v for k, v in a.items() if k != "sha256"}
            for a in self.state.store.attachments(org, journal_id)
        ]
        return journal

    def _list_journals(self, query: dict[str, list[str]], org: str) -> None:
        reference = (query.get("reference_number") or [""])[0] or (
            query.get("reference_number_startswith") or [""]
        )[0]
        rows = self.state.store.journals(
            org,
            reference_prefix=reference or None,
            date_start=(query.get("date_start") or [""])[0] or None,
            date_end=(query.get("date_end") or [""])[0] or None,
        )
        listed = [
            {
                key: row.get(key)
                for key in (
                    "journal_id",
                    "journal_date",
                    "entry_number",
                    "reference_number",
                    "notes",
                    "currency_code",
                    "total",
                    "created_time",
                )
            }
            for row in rows
        ]
        chunk, context = self._page(query, listed)
        self.send_json(
            200, {"code": 0, "message": "success", "journals": chunk, "page_context": context}
        )

    def _attach(self, journal_id: str, raw: bytes, org: str) -> None:
        if self.state.config.attachments_forbidden:
            self.send_json(403, NOT_AUTHORIZED)
            return
        if self.state.store.journal(org, journal_id) is None:
            self.send_json(404, {"code": 1002, "message": "Journal does not exist."})
            return
        content_type = self.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        for part in message.iter_parts() if message.is_multipart() else []:
            if part.get_param("name", header="content-disposition") != "attachment":
                continue
            content = part.get_payload(decode=True)
            if not isinstance(content, bytes) or not content:
                break
            self.state.store.add_attachment(
                org,
                journal_id,
                filename=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                content=content,
            )
            self.answer_after_commit(
                200,
                {"code": 0, "message": "Your file has been successfully attached to the journal."},
            )
            return
        self.send_json(400, {"code": 2, "message": "The request passed is not valid."})

    # --- controls of its own --------------------------------------------------------------------

    def control(self, method: str, path: str, books: str, body: dict[str, Any]) -> bool:
        store = self.state.store
        if path == "/_sandbox/organizations" and method == "POST":
            count = int(body.get("accounts") or 0)
            created = store.create_organization(
                str(body["organization_id"]),
                name=str(body.get("name") or body["organization_id"]),
                currency_code=str(body.get("currency_code") or "SAR"),
                user=str(body.get("user") or seed.DEMO_USER),
                chart=seed.generated_chart(count) if count else seed.demo_chart(),
            )
            self.send_json(201, created)
        elif match := re.fullmatch(r"/_sandbox/organizations/([^/]+)/accounts", path):
            self.send_json(200, {"accounts": store.change_accounts(match.group(1), body)})
        elif path == "/_sandbox/grants" and method == "GET":
            self.send_json(200, {"grants": store.grants()})
        elif path == "/_sandbox/grants" and method == "POST":
            token = store.add_grant(
                str(body.get("user") or seed.DEMO_USER), client_id=seed.CLIENT_ID, scope=seed.SCOPES
            )
            self.send_json(201, {"refresh_token": token, "api_domain": self.own_url()})
        elif path == "/_sandbox/grants/revoke" and method == "POST":
            revoked = body.get("refresh_token")
            self.send_json(200, {"revoked": store.revoke_grant(str(revoked) if revoked else None)})
        elif path == "/_sandbox/tokens/expire" and method == "POST":
            self.send_json(200, {"expired": store.expire_access_tokens()})
        elif path == "/_sandbox/quota" and method == "POST":
            self.spend_quota(books, int(body.get("used") or 0))
            self.send_json(200, {"organization_id": books, "used": int(body.get("used") or 0)})
        elif path == "/_sandbox/journals" and method == "GET":
            journals = [self._full_journal(books, j["journal_id"]) for j in store.journals(books)]
            self.send_json(200, {"journals": journals})
        elif match := re.fullmatch(r"/_sandbox/journals/(\d+)", path):
            self._journal_control(method, books, match.group(1), body)
        else:
            return False
        return True

    def _journal_control(self, method: str, org: str, journal_id: str, body: dict[str, Any]):
        """See a journal, or do what an accountant does in Zoho Books: delete it, or change
        its date, reference, status or lines (`line_items`: [{account_id, debit_or_credit,
        amount}])."""
        store = self.state.store
        journal = self._full_journal(org, journal_id)
        if journal is None:
            self.send_json(404, {"ok": False})
        elif method == "GET":
            self.send_json(200, {"journal": journal})
        elif method == "DELETE":
            self.send_json(200, {"ok": store.delete_journal(org, journal_id)})
        elif method == "PATCH":
            journal.pop("documents", None)
            for key in ("journal_date", "reference_number", "status", "notes"):
                if key in body:
                    journal[key] = body[key]
            if "line_items" in body:
                journal["line_items"] = [
                    {
                        "account_id": str(line["account_id"]),
                        "debit_or_credit": line["debit_or_credit"],
                        "amount": float(Decimal(str(line["amount"]))),
                        "description": str(line.get("description") or ""),
                    }
                    for line in body["line_items"]
                ]
            store.write_journal(org, journal)
            self.send_json(200, {"journal": self._full_journal(org, journal_id)})
        else:
            self.send_json(405, {"error": "Method Not Allowed"})

    def inspection(self, books: str) -> Inspection:
        store = self.state.store
        names = {
            row["account_id"]: f"{row.get('account_code') or ''} {row['account_name']}".strip()
            for row in store.accounts(books)
        }
        files: dict[str, list[str]] = {}
        for attachment in store.attachments(books):
            files.setdefault(attachment["journal_id"], []).append(
                f"{attachment['file_name']} ({attachment['file_size']} bytes)"
            )
        rows: list[Sequence[str | Sequence[str]]] = [
            (
                journal["journal_id"],
                journal.get("reference_number") or "",
                journal["journal_date"],
                journal.get("status") or "",
                journal.get("notes") or "",
                [
                    f"{'Dr' if line['debit_or_credit'] == 'debit' else 'Cr'} "
                    f"{names.get(line['account_id'], line['account_id'])}: {line['amount']:.2f}"
                    for line in journal.get("line_items", [])
                ],
                files.get(journal["journal_id"], []),
            )
            for journal in store.journals(books)
        ]
        return Inspection(
            summary="Zoho Books v3 at /books/v3 (Authorization: Zoho-oauthtoken); the accounts "
            "server at /oauth/v2.",
            columns=("journal_id", "reference", "date", "status", "notes", "lines", "attachments"),
            rows=rows,
            books=[row["organization_id"] for row in store.organizations()],
        )


SANDBOX = Sandbox(
    Handler,
    Store,
    Config,
    port=8771,
    about=f"accounts server at {{url}}/oauth/v2 (client {seed.CLIENT_ID} / {seed.CLIENT_SECRET}), "
    f"Books API at {{url}}/books/v3; demo organization {seed.DEMO_ORGANIZATION_ID}, refresh "
    f"token {seed.DEMO_REFRESH_TOKEN}",
)
