"""The Zoho Books sandbox over real HTTP, as the connect flow and the sessions meet it: Zoho's
accounts server (consent, codes, refresh, revoke: errors as HTTP 200) and the Books API (a
token and an organization on every call, pages of 200, draft journals, a loose reference
filter, attachments, both limits)."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from integrations.providers.zoho_books.sandbox import seed

REDIRECT = "http://127.0.0.1:8000/settings/integrations/zoho-books/callback/"


def authorize(sandbox, decision="accept", state="s-1"):
    """A person on the consent page, clicking Accept (or Deny): where Zoho sends them back."""
    params = {
        "response_type": "code",
        "client_id": seed.CLIENT_ID,
        "scope": seed.SCOPES,
        "redirect_uri": REDIRECT,
        "access_type": "offline",
        "prompt": "consent",
        "state": state,
    }
    page = httpx.get(f"{sandbox.root}/oauth/v2/auth", params=params)
    assert page.status_code == 200
    assert "Accept" in page.text and "Deny" in page.text and seed.DEMO_ORGANIZATION in page.text
    form = {key: value for key, value in params.items() if key != "response_type"}
    answer = httpx.post(f"{sandbox.root}/oauth/v2/auth", data={**form, "decision": decision})
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    return {key: values[0] for key, values in parse_qs(back.query).items()}


def token(sandbox, **form):
    base = {"client_id": seed.CLIENT_ID, "client_secret": seed.CLIENT_SECRET}
    return httpx.post(f"{sandbox.root}/oauth/v2/token", data={**base, **form})


def books(sandbox, method, path, access, organization=seed.DEMO_ORGANIZATION_ID, **kwargs):
    params = {"organization_id": organization} if organization else {}
    return httpx.request(
        method,
        f"{sandbox.root}/books/v3/{path}",
        params={**params, **kwargs.pop("params", {})},
        headers={"Authorization": f"Zoho-oauthtoken {access}"},
        **kwargs,
    )


def access_token(sandbox):
    answer = token(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token)
    return answer.json()["access_token"]


def journal(reference="SIFI-TXN-1", account=seed.MARKETING, amount="115.00"):
    return {
        "journal_date": "2025-03-10",
        "reference_number": reference,
        "notes": "Card expense",
        "status": "draft",
        "line_items": [
            {"account_id": account, "debit_or_credit": "debit", "amount": amount},
            {"account_id": seed.WALLET, "debit_or_credit": "credit", "amount": amount},
        ],
    }


def test_accepting_consent_sends_back_a_code_once_exchanged_for_a_refresh_token(
    zoho_books_sandbox,
):
    back = authorize(zoho_books_sandbox)
    assert back["state"] == "s-1" and back["location"] == "sa"
    assert back["accounts-server"] == zoho_books_sandbox.root
    exchange = {"grant_type": "authorization_code", "code": back["code"], "redirect_uri": REDIRECT}
    granted = token(zoho_books_sandbox, **exchange)
    assert granted.status_code == 200
    body = granted.json()
    assert body["refresh_token"] and body["access_token"] and body["expires_in"] == 3600
    assert body["api_domain"] == zoho_books_sandbox.root
    # A code is good once; Zoho says so with HTTP 200.
    again = token(zoho_books_sandbox, **exchange)
    assert (again.status_code, again.json()) == (200, {"error": "invalid_code"})
    orgs = books(zoho_books_sandbox, "GET", "organizations", body["access_token"], None).json()
    assert [(o["organization_id"], o["currency_code"]) for o in orgs["organizations"]] == [
        (seed.DEMO_ORGANIZATION_ID, "SAR")
    ]


def test_denying_consent_sends_back_access_denied_and_no_code(zoho_books_sandbox):
    back = authorize(zoho_books_sandbox, decision="deny")
    assert back["error"] == "access_denied" and "code" not in back and back["state"] == "s-1"


def test_an_unknown_client_or_secret_is_refused(zoho_books_sandbox):
    page = httpx.get(
        f"{zoho_books_sandbox.root}/oauth/v2/auth",
        params={"client_id": "someone-else", "response_type": "code", "redirect_uri": REDIRECT},
    )
    assert page.status_code == 400 and "Invalid Client" in page.text
    refused = token(
        zoho_books_sandbox,
        client_secret="wrong",
        grant_type="refresh_token",
        refresh_token=zoho_books_sandbox.refresh_token,
    )
    assert refused.json() == {"error": "invalid_client"}


def test_a_revoked_refresh_token_mints_nothing_and_its_access_tokens_die(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    assert books(zoho_books_sandbox, "GET", "chartofaccounts", access).status_code == 200
    revoked = httpx.post(
        f"{zoho_books_sandbox.root}/oauth/v2/token/revoke",
        params={"token": zoho_books_sandbox.refresh_token},
    )
    assert revoked.status_code == 200
    refused = books(zoho_books_sandbox, "GET", "chartofaccounts", access)
    assert refused.status_code == 401 and refused.json()["code"] == 14
    again = token(
        zoho_books_sandbox,
        grant_type="refresh_token",
        refresh_token=zoho_books_sandbox.refresh_token,
    )
    assert again.json() == {"error": "invalid_code"}


def test_an_expired_access_token_is_a_401_code_57(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    zoho_books_sandbox.expire_access_tokens()
    expired = books(zoho_books_sandbox, "GET", "chartofaccounts", access)
    assert expired.status_code == 401 and expired.json()["code"] == 57


def test_a_refresh_token_mints_at_most_10_access_tokens_in_10_minutes(zoho_books_sandbox):
    form = {"grant_type": "refresh_token", "refresh_token": zoho_books_sandbox.refresh_token}
    assert all(token(zoho_books_sandbox, **form).json().get("access_token") for _ in range(10))
    blocked = token(zoho_books_sandbox, **form)
    assert blocked.status_code == 400 and "too many requests" in blocked.json()["error_description"]
    assert zoho_books_sandbox.refreshes() == 10


def test_every_call_needs_the_organization_of_the_grants_user(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    missing = books(zoho_books_sandbox, "GET", "chartofaccounts", access, None)
    assert missing.status_code == 400 and "not associated" in missing.json()["message"]
    zoho_books_sandbox.add_organization("777", user="someone@else.sa")
    foreign = books(zoho_books_sandbox, "GET", "chartofaccounts", access, "777")
    assert foreign.status_code == 400


def test_the_chart_comes_in_pages_of_200_with_inactive_and_codeless_accounts(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    first = books(zoho_books_sandbox, "GET", "chartofaccounts", access, params={"page": 1}).json()
    second = books(zoho_books_sandbox, "GET", "chartofaccounts", access, params={"page": 2}).json()
    assert len(first["chartofaccounts"]) == 200 and first["page_context"]["has_more_page"] is True
    assert second["page_context"]["has_more_page"] is False
    rows = first["chartofaccounts"] + second["chartofaccounts"]
    by_id = {row["account_id"]: row for row in rows}
    assert by_id[seed.INACTIVE]["is_active"] is False
    assert any(row["account_code"] is None for row in rows)
    assert any(row["account_name"] == "إيجار المكتب" for row in rows)


def test_a_journal_is_kept_as_sent_and_found_loosely_by_reference(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    created = books(zoho_books_sandbox, "POST", "journals", access, json=journal())
    assert created.status_code == 201
    body = created.json()["journal"]
    assert body["status"] == "draft" and body["journal_id"].isdigit()
    books(zoho_books_sandbox, "POST", "journals", access, json=journal("sifi-txn-12"))
    # The filter matches loosely (a prefix, any case): a client checks every row.
    listed = books(
        zoho_books_sandbox, "GET", "journals", access, params={"reference_number": "SIFI-TXN-1"}
    ).json()["journals"]
    assert [row["reference_number"] for row in listed] == ["SIFI-TXN-1", "sifi-txn-12"]
    assert "line_items" not in listed[0] and "status" not in listed[0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"account": seed.INACTIVE}, "is inactive"),
        ({"account": "424242"}, "account_id"),
        ({"amount": "1.005"}, "amount"),
    ],
)
def test_a_journal_zoho_would_refuse_is_refused_with_its_code_and_message(
    zoho_books_sandbox, change, words
):
    access = access_token(zoho_books_sandbox)
    refused = books(zoho_books_sandbox, "POST", "journals", access, json=journal(**change))
    assert refused.status_code == 400 and refused.json()["code"] != 0
    assert words in refused.json()["message"]
    assert zoho_books_sandbox.journals() == []


def test_an_unbalanced_journal_or_one_in_a_locked_period_is_refused(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    unbalanced = journal()
    unbalanced["line_items"][1]["amount"] = "100.00"
    assert books(zoho_books_sandbox, "POST", "journals", access, json=unbalanced).status_code == 400
    zoho_books_sandbox.configure(lock_date="2025-03-31")
    locked = books(zoho_books_sandbox, "POST", "journals", access, json=journal())
    assert locked.status_code == 400 and "lock date" in locked.json()["message"]


def test_a_file_is_attached_from_the_multipart_part_named_attachment(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    created = books(zoho_books_sandbox, "POST", "journals", access, json=journal()).json()
    journal_id = created["journal"]["journal_id"]
    wrong_part = books(
        zoho_books_sandbox,
        "POST",
        f"journals/{journal_id}/attachment",
        access,
        files={"file": ("r.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert wrong_part.status_code == 400
    attached = books(
        zoho_books_sandbox,
        "POST",
        f"journals/{journal_id}/attachment",
        access,
        files={"attachment": ("r.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert attached.status_code == 200 and attached.json()["code"] == 0
    [held] = zoho_books_sandbox.journals()
    assert [(d["file_name"], d["file_size"]) for d in held["documents"]] == [("r.pdf", 8)]


def test_past_100_requests_a_minute_zoho_answers_429_code_44(zoho_books_sandbox):
    zoho_books_sandbox.configure(rate_limit_per_minute=3)
    access = access_token(zoho_books_sandbox)
    answers = [books(zoho_books_sandbox, "GET", "chartofaccounts", access) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == 44


def test_past_the_daily_quota_zoho_answers_429_code_45_until_the_quota_comes_back(
    zoho_books_sandbox,
):
    access = access_token(zoho_books_sandbox)
    zoho_books_sandbox.spend_quota(1000)
    spent = books(zoho_books_sandbox, "GET", "chartofaccounts", access)
    assert spent.status_code == 429 and spent.json()["code"] == 45
    assert "1000" in spent.json()["message"]
    # Another organization's quota is its own.
    zoho_books_sandbox.add_organization("20000001", name="Other Co.")
    assert books(zoho_books_sandbox, "GET", "chartofaccounts", access, "20000001").is_success
    zoho_books_sandbox.spend_quota(0)
    assert books(zoho_books_sandbox, "GET", "chartofaccounts", access).status_code == 200
    assert zoho_books_sandbox.stats()["quota_refused"] == 1


def test_the_inspection_page_shows_the_journals_with_lines_and_files(zoho_books_sandbox):
    access = access_token(zoho_books_sandbox)
    created = books(zoho_books_sandbox, "POST", "journals", access, json=journal()).json()
    page = httpx.get(f"{zoho_books_sandbox.root}/_sandbox/").text
    assert created["journal"]["journal_id"] in page and "SIFI-TXN-1" in page
    assert "Dr 5201 Marketing Expenses: 115.00" in page
