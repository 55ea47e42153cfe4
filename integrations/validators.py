"""Checks of what people type into the connection forms, shared by the API and the pages."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Provider API keys are printable ASCII. Anything else is a copy-paste accident (an Arabic
# letter, a curly quote, an invisible mark) that could not even be sent in an HTTP header.
validate_api_key_characters = RegexValidator(
    r"^[\x20-\x7e]+$",
    _(
        "An API key has only letters, digits and punctuation (printable ASCII). Copy the key "
        "again from your accounting system, without any other character."
    ),
    code="api_key_characters",
)
