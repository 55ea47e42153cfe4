"""SPEC §3a and §8 for Zoho Books' connect flow (respx at the HTTP layer): consent, the OAuth
authorization code through Zoho's consent page and back, the code exchanged only at a trusted
accounts server, the Zoho organization chosen, disconnect revoking the grant, and reconnecting
a connection that needs attention."""

import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounting.models import Account
from integrations.connect.oauth import AuthorizationRefused
from integrations.models import ConnectionStatus, Integration, OAuthState
from integrations.providers.zoho_books.connect import trusted_accounts_server
from integrations.providers.zoho_books.errors import ZohoBooksAuthError
from integrations.providers.zoho_books.provider import token_source_for
from integrations.services import mark_needs_attention
from sifi.models import AuditEvent, Role
from tests.factories import api_client_for, make_account, make_user
from tests.fakes.zoho_books_sandbox import forget_zoho_state

API = "/api/v1/integrations/zoho-books/"
PAGE = "/settings/integrations/zoho-books/"
CALLBACK = PAGE + "callback/"
ACCOUNTS_SA = "https://accounts.zoho.sa"
API_DOMAIN = "https://www.zohoapis.sa"
REFRESH_TOKEN = "1000.refresh-token-0123456789abcdef"
ACCESS_TOKEN = "1000.access-token-fedcba9876543210"
CLIENT_SECRET = "sifi-test-secret-0000"
SAUDI = {"organization_id": "10234695", "name": "Acme KSA", "currency_code": "SAR"}
EMIRATI = {"organization_id": "20468800", "name": "Acme UAE", "currency_code": "AED"}
SECOND_SAUDI = {"organization_id": "30000001", "name": "Acme Riyadh", "currency_code": "SAR"}


@pytest.fixture(autouse=True)
def zoho_app(settings):
    settings.ZOHO_CLIENT_ID = "sifi-test-client"
    settings.ZOHO_CLIENT_SECRET = CLIENT_SECRET
    settings.ZOHO_ACCOUNTS_URL = "https://accounts.zoho.com"
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False


class FakeZoho:
    """Zoho's accounts server (Saudi data centre) and Books API under respx: a grant that
    reaches the organizations a test puts in `organizations`; the routes to look at."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.router = router
        self.organizations: list[dict[str, str]] = [SAUDI]
        self.token = router.post(f"{ACCOUNTS_SA}/oauth/v2/token").mock(
            return_value=httpx.Response(
                200,
                json={
                    "access_token": ACCESS_TOKEN,
                    "refresh_token": REFRESH_TOKEN,
                    "api_domain": API_DOMAIN,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        )
        self.orgs = router.get(f"{API_DOMAIN}/books/v3/organizations").mock(
            side_effect=lambda request: httpx.Response(
                200, json={"code": 0, "message": "success", "organizations": self.organizations}
            )
        )
        self.revoke = router.post(f"{ACCOUNTS_SA}/oauth/v2/token/revoke").mock(
            return_value=httpx.Response(200, json={"status": "success"})
        )


@pytest.fixture
def zoho():
    with respx.mock(assert_all_called=False) as router:
        yield FakeZoho(router)


@pytest.fixture
def page_client(client, admin_a):
    client.force_login(admin_a)
    return client


def start_sign_in(api) -> str:
    """Consent, then connect/: the state Zoho's consent page would send back."""
    assert api.post(API + "consent/", {"accept": True}, format="json").status_code == 200
    response = api.post(API + "connect/", {}, format="json")
    assert response.status_code == 200, response.content
    return parse_qs(urlsplit(response.json()["authorize_url"]).query)["state"][0]


def come_back(page_client, state: str, **params):
    query = {"code": "1000.code-abc", "state": state, "location": "sa"}
    query["accounts-server"] = ACCOUNTS_SA
    return page_client.get(CALLBACK, {**query, **params})


def refused(response) -> str:
    assert response.status_code == 400
    assert Integration.objects.get(provider="zoho_books").secrets == {}
    return response.content.decode()


def test_connect_sends_the_person_to_zohos_consent_page(admin_a):
    api = api_client_for(admin_a)
    api.post(API + "consent/", {"accept": True}, format="json")
    response = api.post(API + "connect/", {}, format="json")
    assert response.status_code == 200
    url = urlsplit(response.json()["authorize_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://accounts.zoho.com/oauth/v2/auth"
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "sifi-test-client",
        "scope": "ZohoBooks.accountants.READ,ZohoBooks.accountants.CREATE,"
        "ZohoBooks.accountants.UPDATE,ZohoBooks.settings.READ",
        "redirect_uri": f"http://127.0.0.1:8000{CALLBACK}",
        "access_type": "offline",
        "prompt": "consent",
        "state": query["state"],
    }
    assert CLIENT_SECRET not in response.content.decode()
    consented = Integration.objects.get(provider="zoho_books").consented_scopes
    assert consented == [
        "organizations:read",
        "accounts:read",
        "taxes:read",
        "journals:write",
        "attachments:write",
    ]


def test_without_consent_connect_is_a_409_and_calls_nothing(admin_a):
    response = api_client_for(admin_a).post(API + "connect/", {}, format="json")
    assert response.status_code == 409
    assert not OAuthState.objects.exists()


def test_one_organization_is_chosen_and_the_refresh_token_kept(admin_a, page_client, zoho):
    api = api_client_for(admin_a)
    back = come_back(page_client, start_sign_in(api))
    assert back.status_code == 302 and back["Location"] == PAGE

    exchange = parse_qs(zoho.token.calls.last.request.content.decode())
    assert {name: values[0] for name, values in exchange.items()} == {
        "grant_type": "authorization_code",
        "code": "1000.code-abc",
        "client_id": "sifi-test-client",
        "client_secret": CLIENT_SECRET,
        "redirect_uri": f"http://127.0.0.1:8000{CALLBACK}",
    }
    listing = zoho.orgs.calls.last.request
    assert listing.headers["Authorization"] == f"Zoho-oauthtoken {ACCESS_TOKEN}"
    assert "organization_id" not in listing.url.params

    integration = Integration.objects.get(provider="zoho_books")
    assert integration.status == ConnectionStatus.CONNECTED
    assert integration.secrets == {"refresh_token": REFRESH_TOKEN}
    assert integration.location == {
        "api_domain": API_DOMAIN,
        "accounts_server": ACCOUNTS_SA,
        "organization_id": "10234695",
    }
    assert integration.company_name == "Acme KSA"
    body = api.get(API).json()
    assert body["state"] == "connected" and body["company"] == "Acme KSA"
    assert body["organizations"] == [
        {"organization_id": "10234695", "name": "Acme KSA", "currency_code": "SAR"}
    ]
    assert api.post(API + "connect/", {}, format="json").status_code == 409  # connected
    page = page_client.get(PAGE).content.decode()
    assert REFRESH_TOKEN not in page and ACCESS_TOKEN not in page
    assert 'data-testid="company-step"' not in page
    assert not zoho.revoke.called


def test_several_organizations_ask_which_one_in_the_base_currency(admin_a, page_client, zoho):
    zoho.organizations = [SAUDI, EMIRATI]
    api = api_client_for(admin_a)
    come_back(page_client, start_sign_in(api))

    page = page_client.get(PAGE).content.decode()
    assert 'data-testid="company-step"' in page and "Choose the Zoho organization" in page
    body = api.get(API).json()
    assert body["organizations"] == [SAUDI, EMIRATI]
    not_yet = api.post(API + "sync/", {"attributes": ["accounts"]}, format="json")
    assert not_yet.status_code == 409

    other_currency = api.patch(API, {"organization_id": "20468800"}, format="json")
    assert other_currency.status_code == 400
    assert other_currency.json() == {
        "organization_id": [
            "The Zoho organization Acme UAE keeps its books in AED; SiFi sends amounts in "
            "SAR. Choose an organization whose base currency is SAR."
        ]
    }
    unknown = api.patch(API, {"organization_id": "99999"}, format="json")
    assert unknown.status_code == 400
    assert "does not reach this organization" in unknown.json()["organization_id"][0]
    chosen = api.patch(API, {"organization_id": "10234695"}, format="json")
    assert chosen.status_code == 200 and chosen.json()["company"] == "Acme KSA"
    integration = Integration.objects.get(provider="zoho_books")
    assert integration.location["organization_id"] == "10234695"
    assert AuditEvent.objects.filter(action="integration.choose_company").count() == 1
    assert 'data-testid="company-step"' not in page_client.get(PAGE).content.decode()


def test_the_organization_is_chosen_on_the_page_too(admin_a, page_client, zoho):
    zoho.organizations = [SAUDI, SECOND_SAUDI]
    come_back(page_client, start_sign_in(api_client_for(admin_a)))
    page_client.post(PAGE + "company/", {"company": "30000001"})
    integration = Integration.objects.get(provider="zoho_books")
    assert (integration.location["organization_id"], integration.company_name) == (
        "30000001",
        "Acme Riyadh",
    )


def test_the_only_organization_in_another_currency_is_refused_and_the_grant_revoked(
    admin_a, page_client, zoho
):
    zoho.organizations = [EMIRATI]
    text = refused(come_back(page_client, start_sign_in(api_client_for(admin_a))))
    assert "Acme UAE keeps its books in AED; SiFi sends amounts in SAR" in text
    assert zoho.revoke.calls.last.request.url.params["token"] == REFRESH_TOKEN


def test_an_untrusted_accounts_server_is_refused_before_anything_is_called(
    admin_a, page_client, zoho
):
    state = start_sign_in(api_client_for(admin_a))
    evil = zoho.router.post("https://accounts.evil.example/oauth/v2/token")
    response = come_back(page_client, state, **{"accounts-server": "https://accounts.evil.example"})
    text = refused(response)
    assert "accounts server SiFi does not trust (https://accounts.evil.example)" in text
    assert not evil.called and not zoho.token.called and not zoho.orgs.called


@pytest.mark.parametrize(
    "server",
    [
        "http://accounts.zoho.sa",  # plain HTTP
        "https://accounts.zoho.sa.evil.example",
        "https://accounts.zoho.sa/oauth",
        "https://user@accounts.zoho.sa",
        "http://127.0.0.1:8771",  # the sandbox, not in the list, private addresses off
    ],
)
def test_only_the_listed_accounts_servers_are_trusted(server):
    assert trusted_accounts_server("https://Accounts.Zoho.SA/") == ACCOUNTS_SA
    with pytest.raises(AuthorizationRefused):
        trusted_accounts_server(server)


def test_a_sandbox_accounts_server_is_trusted_only_with_private_addresses_allowed(settings):
    settings.ZOHO_ACCOUNTS_SERVERS = ["http://127.0.0.1:8771"]
    with pytest.raises(AuthorizationRefused):
        trusted_accounts_server("http://127.0.0.1:8771")
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    assert trusted_accounts_server("http://127.0.0.1:8771") == "http://127.0.0.1:8771"


def test_zoho_refusing_the_code_with_http_200_stores_nothing(admin_a, page_client, zoho):
    zoho.token.mock(return_value=httpx.Response(200, json={"error": "invalid_code"}))
    text = refused(come_back(page_client, start_sign_in(api_client_for(admin_a))))
    assert "Zoho refused the sign-in code (invalid_code)" in text
    assert not zoho.orgs.called


def test_an_answer_without_a_refresh_token_stores_nothing(admin_a, page_client, zoho):
    zoho.token.mock(
        return_value=httpx.Response(
            200, json={"access_token": ACCESS_TOKEN, "api_domain": API_DOMAIN}
        )
    )
    text = refused(come_back(page_client, start_sign_in(api_client_for(admin_a))))
    assert "without a refresh token" in text
    assert ACCESS_TOKEN not in text


def test_a_grant_that_may_not_list_organizations_is_revoked(admin_a, page_client, zoho):
    zoho.orgs.mock(
        return_value=httpx.Response(
            401, json={"code": 57, "message": "You are not authorized to perform this operation"}
        )
    )
    text = refused(come_back(page_client, start_sign_in(api_client_for(admin_a))))
    assert "did not let SiFi list your organizations" in text
    assert zoho.revoke.called


def test_zoho_unreachable_after_the_exchange_stores_nothing(admin_a, page_client, zoho):
    zoho.orgs.mock(side_effect=httpx.ConnectError("down"))
    text = refused(come_back(page_client, start_sign_in(api_client_for(admin_a))))
    assert "Zoho Books could not be reached" in text
    assert zoho.revoke.called


def test_a_denied_consent_stores_nothing(admin_a, page_client, zoho):
    state = start_sign_in(api_client_for(admin_a))
    response = page_client.get(CALLBACK, {"error": "access_denied", "state": state})
    assert "did not grant access (access_denied)" in refused(response)
    assert not zoho.token.called


def test_a_reused_state_is_refused(admin_a, page_client, zoho):
    state = start_sign_in(api_client_for(admin_a))
    zoho.token.mock(return_value=httpx.Response(200, json={"error": "invalid_code"}))
    come_back(page_client, state)
    calls = zoho.token.call_count
    assert "not valid any more" in refused(come_back(page_client, state))
    assert zoho.token.call_count == calls


def test_an_expired_state_is_refused(admin_a, page_client, zoho):
    state = start_sign_in(api_client_for(admin_a))
    OAuthState.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert "not valid any more" in refused(come_back(page_client, state))
    assert not zoho.token.called


def test_a_wrong_state_is_refused(admin_a, page_client, zoho):
    start_sign_in(api_client_for(admin_a))
    assert "not valid any more" in refused(come_back(page_client, "forged-state"))
    assert not zoho.token.called


def test_another_organization_cannot_use_the_state_nor_see_the_connection(
    admin_a, admin_b, page_client, zoho
):
    state = start_sign_in(api_client_for(admin_a))
    other_browser = Client()
    other_browser.force_login(admin_b)
    assert come_back(other_browser, state).status_code == 400
    assert not zoho.token.called

    zoho.organizations = [SAUDI, SECOND_SAUDI]
    come_back(page_client, start_sign_in(api_client_for(admin_a)))  # a fresh state, A's own
    other = api_client_for(admin_b)
    theirs = other.get(API).json()
    assert (theirs["state"], theirs["organizations"], theirs["company"]) == (
        "not_connected",
        [],
        "",
    )
    assert other.patch(API, {"organization_id": "10234695"}, format="json").status_code == 409
    assert other.delete(API).status_code == 204  # B's own (empty) connection
    ours = Integration.objects.get(organization=admin_a.organization, provider="zoho_books")
    assert ours.status == ConnectionStatus.CONNECTED and ours.secrets
    assert not ours.location.get("organization_id")
    assert not zoho.revoke.called


def test_an_accountant_cannot_connect(users_a, zoho):
    api = api_client_for(users_a[Role.ACCOUNTANT])
    assert api.post(API + "connect/", {}, format="json").status_code == 403
    assert api.patch(API, {"organization_id": "10234695"}, format="json").status_code == 403


def test_disconnect_revokes_the_refresh_token_at_its_accounts_server(admin_a, page_client, zoho):
    api = api_client_for(admin_a)
    come_back(page_client, start_sign_in(api))
    assert api.delete(API).status_code == 204
    revoke = zoho.revoke.calls.last.request
    assert revoke.url.params["token"] == REFRESH_TOKEN
    integration = Integration.objects.get(provider="zoho_books")
    assert integration.secrets == {} and integration.status == ConnectionStatus.NOT_CONNECTED


def test_disconnect_works_when_zoho_cannot_revoke(admin_a, page_client, zoho):
    api = api_client_for(admin_a)
    come_back(page_client, start_sign_in(api))
    zoho.revoke.mock(return_value=httpx.Response(400, json={"error": "invalid_token"}))
    assert api.delete(API).status_code == 204
    assert Integration.objects.get(provider="zoho_books").secrets == {}


def connected_then_refused(admin_a, page_client, zoho):
    """Connected to Acme Riyadh (one of two), configured, then Zoho refused the refresh
    token: the connection needs attention."""
    zoho.organizations = [SAUDI, SECOND_SAUDI]
    api = api_client_for(admin_a)
    come_back(page_client, start_sign_in(api))
    api.patch(API, {"organization_id": "30000001"}, format="json")
    integration = Integration.objects.get(provider="zoho_books")
    source = make_account(admin_a.organization, provider="zoho_books", external_id="460000001")
    integration.source_account = source
    integration.auto_sync = True
    integration.save()
    mark_needs_attention(
        integration_id=integration.pk,
        reason="Zoho refused SiFi's saved authorization (invalid_code). Reconnect Zoho Books.",
    )
    return api, source


def test_reconnect_after_needs_attention_replaces_the_grant_and_keeps_the_configuration(
    admin_a, page_client, zoho
):
    api, source = connected_then_refused(admin_a, page_client, zoho)
    body = api.get(API).json()
    assert (body["state"], body["attention_reason"]) == (
        "needs_attention",
        "Zoho refused SiFi's saved authorization (invalid_code). Reconnect Zoho Books.",
    )
    assert api.post(API + "connect/", {}, format="json").status_code == 200  # may reconnect
    page = page_client.get(PAGE).content.decode()
    assert "Reconnect Zoho Books" in page and 'data-testid="reconnect-form"' in page

    to_zoho = page_client.post(PAGE + "connect/")
    assert to_zoho.status_code == 302
    assert to_zoho["Location"].startswith("https://accounts.zoho.com/oauth/v2/auth?")
    state = parse_qs(urlsplit(to_zoho["Location"]).query)["state"][0]
    zoho.token.mock(
        return_value=httpx.Response(
            200,
            json={
                "access_token": ACCESS_TOKEN,
                "refresh_token": "1000.new-refresh-token-55556666",
                "api_domain": API_DOMAIN,
            },
        )
    )
    assert come_back(page_client, state).status_code == 302

    integration = Integration.objects.get(provider="zoho_books")
    assert integration.status == ConnectionStatus.CONNECTED
    assert integration.attention_reason == ""
    assert integration.secrets == {"refresh_token": "1000.new-refresh-token-55556666"}
    assert integration.location["organization_id"] == "30000001"
    assert integration.company_name == "Acme Riyadh"
    assert (integration.source_account_id, integration.auto_sync) == (source.pk, True)
    assert Account.objects.filter(pk=source.pk).exists()
    assert api.get(API).json()["state"] == "connected"
    assert not zoho.revoke.called


def test_reconnect_with_a_grant_that_no_longer_reaches_the_organization_is_refused(
    admin_a, page_client, zoho
):
    connected_then_refused(admin_a, page_client, zoho)
    zoho.organizations = [SAUDI]  # Acme Riyadh is gone for this Zoho user
    state = start_sign_in(api_client_for(admin_a))
    response = come_back(page_client, state)
    assert response.status_code == 400
    assert "does not reach Acme Riyadh" in response.content.decode()
    integration = Integration.objects.get(provider="zoho_books")
    assert integration.status == ConnectionStatus.NEEDS_ATTENTION
    assert integration.secrets == {"refresh_token": REFRESH_TOKEN}  # the old one, untouched
    assert integration.location["organization_id"] == "30000001"
    assert zoho.revoke.calls.last.request.url.params["token"] == REFRESH_TOKEN


def test_a_finance_manager_can_connect_too(users_a, client, zoho):
    finance = users_a[Role.FINANCE_MANAGER]
    client.force_login(finance)
    assert come_back(client, start_sign_in(api_client_for(finance))).status_code == 302
    assert Integration.objects.get(provider="zoho_books").connected_by == finance


def test_a_colleague_cannot_finish_someone_elses_sign_in(admin_a, org_a, client, zoho):
    state = start_sign_in(api_client_for(admin_a))
    client.force_login(make_user(org_a, Role.FINANCE_MANAGER))
    assert "not valid any more" in refused(come_back(client, state))


def test_the_schema_names_the_zoho_organizations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    answer = schema["paths"][API]["get"]["responses"]["200"]["content"]["application/json"]
    name = answer["schema"]["$ref"].rsplit("/", 1)[-1]
    assert name == "ZohoBooksConnectionOutput"
    fields = schema["components"]["schemas"][name]["properties"]
    row = fields["organizations"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][row]["properties"]) == {
        "organization_id",
        "name",
        "currency_code",
    }
    patch = schema["paths"][API]["patch"]["requestBody"]["content"]["application/json"]
    configure = schema["components"]["schemas"][patch["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert "organization_id" in configure["properties"]


def test_the_daily_quota_is_set_in_the_configuration(admin_a, page_client, zoho):
    api = api_client_for(admin_a)
    come_back(page_client, start_sign_in(api))
    assert api.get(API).json()["daily_quota"] == 1000  # Zoho's Free plan
    too_low = api.patch(API, {"daily_quota": 10}, format="json")
    assert too_low.status_code == 400 and "daily_quota" in too_low.json()
    changed = api.patch(API, {"daily_quota": 5000}, format="json")
    assert changed.status_code == 200 and changed.json()["daily_quota"] == 5000
    assert Integration.objects.get(provider="zoho_books").options == {"daily_quota": 5000}


def test_the_sign_in_form_may_be_redirected_to_zohos_consent_page_only(admin_a, page_client):
    """Browsers check a form's redirect against the page's CSP form-action: the settings page
    allows Zoho's accounts server beside our own origin, and nothing else."""
    api_client_for(admin_a).post(API + "consent/", {"accept": True}, format="json")
    policy = page_client.get(PAGE)["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part).split()
    assert form_action == ["form-action", "'self'", "https://accounts.zoho.com"]
    other = page_client.get("/settings/integrations/qoyod/")["Content-Security-Policy"]
    assert "accounts.zoho.com" not in other


def test_a_callback_naming_no_accounts_server_exchanges_where_the_sign_in_started(
    admin_a, page_client, zoho
):
    us = zoho.router.post("https://accounts.zoho.com/oauth/v2/token").mock(
        return_value=zoho.token.return_value
    )
    state = start_sign_in(api_client_for(admin_a))
    assert page_client.get(CALLBACK, {"code": "1000.code-abc", "state": state}).status_code == 302
    assert us.called and not zoho.token.called
    location = Integration.objects.get(provider="zoho_books").location
    assert location["accounts_server"] == "https://accounts.zoho.com"


def test_sessions_send_the_refresh_token_only_to_a_trusted_accounts_server(settings):
    credentials = {"refresh_token": REFRESH_TOKEN, "api_domain": API_DOMAIN}
    with pytest.raises(ZohoBooksAuthError, match="accounts server SiFi does not use"):
        token_source_for({**credentials, "accounts_server": "https://accounts.evil.example"})
    settings.ZOHO_ACCOUNTS_SERVERS = ["accounts.zoho.sa"]  # a host alone: HTTPS
    source = token_source_for({**credentials, "accounts_server": ACCOUNTS_SA})
    forget_zoho_state(settings.REDIS_URL)
    with respx.mock() as router:
        refresh = router.post(f"{ACCOUNTS_SA}/oauth/v2/token").mock(
            return_value=httpx.Response(200, json={"access_token": ACCESS_TOKEN})
        )
        assert source.access_token() == ACCESS_TOKEN
    assert parse_qs(refresh.calls.last.request.content.decode())["refresh_token"] == [REFRESH_TOKEN]
    with pytest.raises(ZohoBooksAuthError):
        token_source_for({**credentials, "accounts_server": "http://accounts.zoho.sa"})
