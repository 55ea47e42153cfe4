"""The Odoo client: everything we say to an Odoo instance goes through here, as JSON-RPC over
HTTPS (`POST <instance>/jsonrpc`, the external API of Odoo 16-18, still served by 19).

It knows JSON-RPC and Odoo's models, nothing of ours; the HTTP promises (budget, bounded
retries, writes never re-sent after an unknown outcome, no redirects, typed errors, nothing
secret logged) are `ApiClient`'s. The instance URL is a person's input (`typed_url`): every
connection goes through `GuardedTransport` (HTTPS, public addresses only, unless
ALLOW_PRIVATE_PROVIDER_URLS). The API key travels in each call's arguments, never a header.

Odoo answers JSON-RPC errors with HTTP 200 and an `error` object naming the server's exception
(`data.name`, e.g. "odoo.exceptions.UserError"); `errors.py` says what each becomes.
"""

import hashlib
import itertools
import threading
from collections.abc import Sequence
from typing import Any

import httpx
from django.conf import settings

from integrations.http_client import ApiClient, ErrorTypes, RequestLimiter
from integrations.providers.odoo.errors import (
    LOCK_DATE_REFUSAL,
    OdooAccessError,
    OdooAuthError,
    OdooError,
    OdooNotAnOdoo,
    OdooPeriodClosed,
    OdooRateLimited,
    OdooTooLarge,
    OdooUnavailable,
    OdooUnsafeAddress,
    OdooValidationError,
)
from integrations.providers.odoo.payloads import OdooVersion

AUTH_MESSAGE = (
    "Odoo refused this login and API key (wrong, revoked or expired key, or another user's)."
)
PAGE_SIZE = 500
MAX_PAGES = 1000

# Odoo's exceptions that mean "the content is refused" (MissingError and RedirectWarning are
# UserErrors; except_orm and Warning are their names before 14).
_REFUSALS = (
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.MissingError",
    "odoo.exceptions.RedirectWarning",
    "odoo.exceptions.except_orm",
    "odoo.exceptions.Warning",
)

# The uid Odoo gave a login, per instance, database, login and key (a digest: never the key),
# so that a session does not authenticate again for every batch.
_uids: dict[str, int] = {}
_uids_lock = threading.Lock()


def rpc_error(error: Any) -> OdooError:
    """The typed error for a JSON-RPC `error` object (Odoo's envelope)."""
    error = error if isinstance(error, dict) else {}
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    name = str(data.get("name") or "")
    message = str(data.get("message") or error.get("message") or "Odoo Server Error")
    raw = f"{name}: {message}"[:2000]
    if name == "odoo.exceptions.AccessDenied":
        return OdooAuthError(AUTH_MESSAGE, name=name, raw_body=raw)
    if name == "odoo.exceptions.AccessError":
        return OdooAccessError(
            f"The Odoo user may not do this: {message} Give it the Accounting rights in Odoo "
            "(Settings > Users), then sync again.",
            name=name,
            raw_body=raw,
        )
    if name in _REFUSALS and LOCK_DATE_REFUSAL.search(message):
        return OdooPeriodClosed(f"Odoo refused it: {message}", name=name, raw_body=raw)
    if name in _REFUSALS:
        return OdooValidationError(f"Odoo refused it: {message}", name=name, raw_body=raw)
    if "does not exist" in message and "database" in message.lower():
        return OdooAuthError(
            "Odoo has no such database at this address. Check the database name (Odoo shows "
            "it on its login page and in Settings > Database).",
            name=name,
            raw_body=raw,
            field="database",
        )
    if error.get("code") == 404 or name == "werkzeug.exceptions.NotFound":
        return OdooNotAnOdoo(
            "This Odoo does not serve the external API at /jsonrpc.", name=name, raw_body=raw
        )
    if "SerializationFailure" in name or "LockNotAvailable" in name:
        return OdooUnavailable(
            "Odoo was busy with the same records; try again.", name=name, raw_body=raw
        )
    return OdooError(f"Odoo answered with an error: {message}", name=name, raw_body=raw)


class OdooClient(ApiClient):
    """A connection to one Odoo database as one user (login + API key). Use as a context
    manager."""

    name = "Odoo"
    errors = ErrorTypes(
        base=OdooError,
        unavailable=OdooUnavailable,
        rate_limited=OdooRateLimited,
        auth_refused=OdooAuthError,
        unsafe_address=OdooUnsafeAddress,
    )
    typed_url = True

    def __init__(
        self,
        url: str,
        *,
        database: str,
        username: str,
        api_key: str,
        timeout: float | None = None,
        rate_limiter: RequestLimiter | None = None,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            url,
            timeout=timeout if timeout is not None else settings.ODOO_TIMEOUT_SECONDS,
            rate_limiter=rate_limiter,
            max_retries=max_retries,
            transport=transport,
        )
        self.url = url.rstrip("/")
        self.database = database
        self.username = username
        self._api_key = api_key
        self._ids = itertools.count(1)
        self._identity = hashlib.sha256(
            "\x00".join((self.url, database, username, api_key)).encode()
        ).hexdigest()

    # --- the common service ----------------------------------------------------------------

    def version(self) -> OdooVersion:
        """`common.version` (no login needed): which Odoo this is."""
        return OdooVersion.from_wire(self._rpc("common", "version", []))

    def authenticate(self) -> int:
        """The user's id in this database; OdooAuthError if Odoo refuses the login and key."""
        uid = self._rpc("common", "authenticate", [self.database, self.username, self._api_key, {}])
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            self.forget_uid()
            raise OdooAuthError(AUTH_MESSAGE, raw_body=repr(uid)[:100])
        with _uids_lock:
            _uids[self._identity] = uid
        return uid

    def uid(self) -> int:
        with _uids_lock:
            known = _uids.get(self._identity)
        return known if known is not None else self.authenticate()

    def forget_uid(self) -> None:
        with _uids_lock:
            _uids.pop(self._identity, None)

    # --- the object service ----------------------------------------------------------------

    def execute(
        self,
        model: str,
        method: str,
        args: Sequence[Any],
        kwargs: dict[str, Any] | None = None,
        *,
        write: bool = False,
    ) -> Any:
        """`object.execute_kw` as this user. Reads are retried; a write only after a 429."""
        params = [self.database, self.uid(), self._api_key, model, method, list(args)]
        try:
            return self._rpc("object", "execute_kw", [*params, kwargs or {}], write=write)
        except OdooAuthError:
            self.forget_uid()  # a revoked key: the next session authenticates again
            raise

    def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        context: dict[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
        order: str = "id",
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": fields, "offset": offset, "order": order}
        if limit is not None:
            kwargs["limit"] = limit
        if context:
            kwargs["context"] = context
        rows = self.execute(model, "search_read", [domain], kwargs)
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    def read_all(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        context: dict[str, Any] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Every matching row, a page at a time (ordered by id, so pages do not overlap)."""
        rows: list[dict[str, Any]] = []
        for page in range(MAX_PAGES):
            batch = self.search_read(
                model,
                domain,
                fields,
                context=context,
                limit=page_size,
                offset=page * page_size,
            )
            rows.extend(batch)
            if len(batch) < page_size:
                break
        return rows

    def search_count(
        self, model: str, domain: list[Any], *, context: dict[str, Any] | None = None
    ) -> int:
        kwargs = {"context": context} if context else {}
        return int(self.execute(model, "search_count", [domain], kwargs) or 0)

    def read(
        self,
        model: str,
        ids: list[int],
        fields: list[str],
        *,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": fields}
        if context:
            kwargs["context"] = context
        rows = self.execute(model, "read", [ids], kwargs)
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    def create(
        self, model: str, values: dict[str, Any], *, context: dict[str, Any] | None = None
    ) -> int:
        """Create one record; its id. Never re-sent after an unknown outcome: OdooUnavailable
        means "maybe created", and the caller looks it up before trying again."""
        kwargs = {"context": context} if context else {}
        result = self.execute(model, "create", [values], kwargs, write=True)
        if isinstance(result, list) and len(result) == 1:
            result = result[0]
        if not isinstance(result, int) or isinstance(result, bool):
            raise OdooUnavailable(
                f"Odoo accepted the {model} but did not return its id.", raw_body=repr(result)
            )
        return result

    def write(
        self,
        model: str,
        ids: list[int],
        values: dict[str, Any],
        *,
        context: dict[str, Any] | None = None,
    ) -> None:
        """Change records (`write`, which answers True). Never re-sent after an unknown
        outcome: OdooUnavailable means "maybe written", and the caller reads the records
        before trying again."""
        kwargs = {"context": context} if context else {}
        result = self.execute(model, "write", [ids, values], kwargs, write=True)
        if result is not True:
            raise OdooUnavailable(
                f"Odoo did not confirm the change of {model} {ids}.", raw_body=repr(result)
            )

    # --- plumbing ---------------------------------------------------------------------------

    def secrets(self) -> list[str]:
        return [self._api_key]

    @property
    def retry_base_seconds(self) -> float:
        return float(settings.ODOO_RETRY_BASE_SECONDS)

    def _rpc(self, service: str, method: str, args: list[Any], *, write: bool = False) -> Any:
        """One JSON-RPC call. Reads are retried; a write only after a 429."""
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        what = f"{args[3]}.{args[4]}" if service == "object" else f"{service}.{method}"
        return self.request(
            "POST", "jsonrpc", json=body, idempotent=not write, label=f"{self.url} {what}"
        )

    def read_answer(self, response: httpx.Response) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            raise OdooNotAnOdoo(
                f"Odoo answered with a redirect to {location or 'another address'}; it was not "
                "followed, to keep the key safe. Use the address Odoo redirects to.",
                status_code=status,
                raw_body=location,
            )
        if status == 404:
            raise OdooNotAnOdoo(
                "This address does not serve Odoo's external API (no /jsonrpc).",
                status_code=404,
                raw_body=response.text,
            )
        if status == 413:
            raise OdooTooLarge(
                "The request is larger than this Odoo server accepts (HTTP 413).",
                status_code=413,
                raw_body=response.text,
            )
        if not 200 <= status < 300:
            return super().read_answer(response)  # 401/403, 429, 5xx, any other
        envelope = self.json_body(response)
        if not isinstance(envelope, dict) or ("result" not in envelope and "error" not in envelope):
            raise OdooNotAnOdoo(
                "This address answers, but not as Odoo's external API (JSON-RPC).",
                status_code=status,
                raw_body=response.text,
            )
        if envelope.get("error") is not None:
            raise rpc_error(envelope["error"])
        return envelope.get("result")
