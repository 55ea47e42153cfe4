"""What an attacker tried and what must keep failing: stored XSS through SiFi's data, forms
and session-authenticated API calls without the CSRF token, receipt links signed with a key
someone else knows."""

from django.core import signing
from django.core.files.base import ContentFile
from django.test import Client, override_settings

from accounting.models import Document
from sifi.models import Role
from tests.factories import make_transaction

SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def test_merchant_and_description_are_shown_escaped_never_run(client, users_a, org_a):
    txn = make_transaction(org_a, merchant=SCRIPT, description=SCRIPT, reference="XSS-1")
    client.force_login(users_a[Role.ACCOUNTANT])
    for path in ("/accounting/", f"/accounting/transactions/{txn.pk}/"):
        page = client.get(path).content.decode()
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page


def test_a_page_form_without_its_csrf_token_is_refused(users_a, org_a):
    txn = make_transaction(org_a)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users_a[Role.ACCOUNTANT])
    response = browser.post("/accounting/unverify/", {"transaction": txn.pk})
    assert response.status_code == 403


def test_a_session_api_call_without_the_csrf_token_is_refused(users_a, org_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users_a[Role.ADMIN])
    response = browser.post(
        "/api/v1/integrations/qoyod/consent/", {"accept": True}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_receipt_link_forged_with_the_old_public_key_opens_nothing(client, org_a):
    """Links used to be signed with SECRET_KEY, whose default was public: anyone could sign
    one for any document. Such a link must open nothing."""
    txn = make_transaction(org_a)
    document = Document(
        organization=org_a,
        transaction=txn,
        filename="r.pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
    )
    document.file.save("r.pdf", ContentFile(b"%PDF"), save=False)
    document.save()
    with override_settings(SECRET_KEY="dev-only-insecure-secret-key-change-me-in-production"):
        forged = signing.TimestampSigner(salt="receipt").sign(str(document.pk))
        assert client.get(f"/receipts/{forged}/").status_code == 404
