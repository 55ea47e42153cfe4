"""The sandbox's Zoho accounts server: the consent page, the token endpoint (an authorization
code or a refresh token for an access token) and the revocation of a refresh token, in the
shapes Zoho's are (providers-api.md §2.1): errors as HTTP 200 `{"error": "invalid_code"}`,
`accounts-server` and `location` on the way back, at most 10 refreshes in 10 minutes per
refresh token."""

import html
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

from integrations.providers.zoho_books.sandbox import seed
from integrations.sandbox_kit.server import SandboxState


class Handler(Protocol):
    """What the accounts server needs of the sandbox's request handler (server.py)."""

    state: SandboxState[Any, Any]

    def own_url(self) -> str: ...

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None: ...

    def send_html(self, status: int, text: str, headers: dict[str, str] | None = None) -> None: ...

    def send_bytes(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None: ...

    def answer_after_commit(self, status: int, body: Any) -> None: ...


CODE_LIFETIME_SECONDS = 120.0  # Zoho's grant codes live two minutes
TOO_MANY_REFRESHES = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. Please try again "
    "after some time.",
    "status": "failure",
}


def _first(params: dict[str, list[str]], name: str) -> str:
    return (params.get(name) or [""])[0]


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def serve_accounts(
    handler: Handler, method: str, path: str, query: dict[str, list[str]], raw: bytes
) -> None:
    """One request to the accounts server (`/oauth/v2/...`)."""
    form = parse_qs(raw.decode("utf-8", "replace")) if raw else {}
    params = {**query, **form}  # Zoho takes them in the query string or the form body
    if path == "/oauth/v2/auth" and method == "GET":
        consent_page(handler, params)
    elif path == "/oauth/v2/auth" and method == "POST":
        decide(handler, params)
    elif path == "/oauth/v2/token" and method == "POST":
        token(handler, params)
    elif path == "/oauth/v2/token/revoke" and method == "POST":
        revoke(handler, params)
    else:
        handler.send_json(404, {"error": "invalid_request"})


def _client_error(handler: Handler, params: dict[str, list[str]]) -> str:
    """What is wrong with an authorization request ("" if nothing)."""
    if _first(params, "client_id") != seed.CLIENT_ID:
        return "Invalid Client: this client_id is not registered."
    if _first(params, "response_type") != "code":
        return "Invalid response_type: it must be code."
    if not _first(params, "redirect_uri"):
        return "Invalid Redirect Uri: none given."
    if not _first(params, "scope"):
        return "Invalid OAuth Scope: none given."
    return ""


def consent_page(handler: Handler, params: dict[str, list[str]]) -> None:
    """What Zoho shows the signed-in user: the app, the scopes it asks for and the user's
    organizations, with Accept and Deny."""
    esc = html.escape
    problem = _client_error(handler, params)
    if problem:
        handler.send_html(400, f"<!doctype html><h1>Zoho Accounts</h1><p>{esc(problem)}</p>")
        return
    organizations = handler.state.store.organizations(seed.DEMO_USER)
    scopes = "".join(f"<li>{esc(s)}</li>" for s in _first(params, "scope").split(",") if s)
    books = "".join(f"<li>{esc(o['name'])} ({esc(o['currency_code'])})</li>" for o in organizations)
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{esc(_first(params, name))}">'
        for name in ("client_id", "redirect_uri", "scope", "state", "access_type", "prompt")
    )
    handler.send_html(
        200,
        "<!doctype html><html><head><meta charset='utf-8'><title>Zoho Accounts · Consent"
        "</title></head><body><h1>SiFi Sandbox would like to access your Zoho account</h1>"
        f"<p>Signed in as {esc(seed.DEMO_USER)}.</p><h2>Permissions</h2><ul>{scopes}</ul>"
        f"<h2>Organizations</h2><ul>{books}</ul>"
        f'<form method="post" action="/oauth/v2/auth">{hidden}'
        '<button type="submit" name="decision" value="accept">Accept</button> '
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</form></body></html>",
    )


def decide(handler: Handler, params: dict[str, list[str]]) -> None:
    """The user's answer: back to the app with a code, or with `error=access_denied`."""
    problem = _client_error(handler, {**params, "response_type": ["code"]})
    if problem:
        handler.send_html(400, f"<!doctype html><h1>Zoho Accounts</h1><p>{problem}</p>")
        return
    redirect_uri = _first(params, "redirect_uri")
    back: dict[str, str] = {}
    if _first(params, "decision") == "accept":
        back["code"] = handler.state.store.add_code(
            seed.DEMO_USER,
            client_id=_first(params, "client_id"),
            redirect_uri=redirect_uri,
            scope=_first(params, "scope"),
            lifetime=CODE_LIFETIME_SECONDS,
        )
    else:
        back["error"] = "access_denied"
    if _first(params, "state"):
        back["state"] = _first(params, "state")
    back["location"] = seed.LOCATION
    back["accounts-server"] = handler.own_url()
    handler.send_bytes(302, b"", "text/plain", {"Location": _with_query(redirect_uri, back)})


def token(handler: Handler, params: dict[str, list[str]]) -> None:
    """`POST /oauth/v2/token`: an authorization code or a refresh token for an access token.
    Zoho answers its errors with HTTP 200."""
    store, config = handler.state.store, handler.state.config
    client_id = _first(params, "client_id")
    if client_id != seed.CLIENT_ID or _first(params, "client_secret") != seed.CLIENT_SECRET:
        handler.send_json(200, {"error": "invalid_client"})
        return
    grant_type = _first(params, "grant_type")
    lifetime = float(config.access_token_seconds)
    answer: dict[str, Any]
    if grant_type == "authorization_code":
        granted = store.use_code(
            _first(params, "code"), client_id=client_id, redirect_uri=_first(params, "redirect_uri")
        )
        if granted is None:
            handler.send_json(200, {"error": "invalid_code"})
            return
        scope = granted["scope"]
        refresh_token = store.add_grant(granted["user"], client_id=client_id, scope=scope)
        access = store.mint_access_token(refresh_token, lifetime=lifetime, refresh=False)
        answer = {"access_token": access, "refresh_token": refresh_token, "scope": scope}
    elif grant_type == "refresh_token":
        refresh_token = _first(params, "refresh_token")
        grant = store.grant(refresh_token)
        if grant is None or grant["revoked"] or grant["client_id"] != client_id:
            handler.send_json(200, {"error": "invalid_code"})
            return
        limit = int(config.refreshes_per_10_minutes)
        if limit and store.recent_refreshes(refresh_token) >= limit:
            handler.send_json(400, TOO_MANY_REFRESHES)
            return
        access = store.mint_access_token(refresh_token, lifetime=lifetime, refresh=True)
        answer = {"access_token": access, "scope": grant["scope"]}
    else:
        handler.send_json(200, {"error": "unsupported_grant_type"})
        return
    answer.update(
        {"api_domain": handler.own_url(), "token_type": "Bearer", "expires_in": int(lifetime)}
    )
    handler.answer_after_commit(200, answer)


def revoke(handler: Handler, params: dict[str, list[str]]) -> None:
    """`POST /oauth/v2/token/revoke?token=`: the refresh token and every access token minted
    from it stop working."""
    refresh_token = _first(params, "token")
    if not refresh_token or not handler.state.store.revoke_grant(refresh_token):
        handler.send_json(400, {"error": "invalid_token"})
        return
    handler.send_json(200, {"status": "success"})
