"""`manage.py zoho_books_sandbox --port 8771`: the Zoho Books look-alike (accounts server and
Books API) for the demo and tests (the same as `manage.py sandbox zoho_books`; options:
`--help`)."""

from integrations.sandbox_kit.command import SandboxCommand


class Command(SandboxCommand):
    help = "Start the Zoho Books sandbox (Zoho's accounts server and Books v3 API)."
    key = "zoho_books"
