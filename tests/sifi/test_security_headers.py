"""Every answer carries the browser protections: a Content-Security-Policy without inline
script or style, no framing, no MIME sniffing; and no template needs an inline script."""

import re
from pathlib import Path

import pytest
from django.test import Client

from sifi.models import Role

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    "path",
    [
        "/login/",
        "/accounting/",
        "/accounting/reconciliations/",
        "/settings/integrations/",
        "/api/docs/",
        "/nope/",
    ],
)
def test_every_page_has_a_strict_content_security_policy(client, users_a, path):
    client.force_login(users_a[Role.ADMIN])
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_load_nothing_from_another_host(client):
    page = Client().get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    assert re.findall(r'(?:src|href)="(https?:)?//', page) == []


def test_no_template_has_an_inline_script_handler_or_style():
    offending = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+=", r"\sstyle=", r"<style"):
            if re.search(pattern, text):
                offending.append(f"{template.relative_to(TEMPLATES)}: {pattern}")
    assert offending == []
