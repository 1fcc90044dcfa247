"""Free-form attributes (a contact's custom attributes, a conversation's custom fields):
bounded in size, and text that is valid Unicode, so no stored value can break a page."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

MAX_KEYS = 50
MAX_KEY_CHARS = 64
MAX_JSON_CHARS = 16_000


def invalid_text(value: Any) -> bool:
    """True if ``value`` (or any string inside it) is not valid Unicode (a lone surrogate)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(invalid_text(k) or invalid_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(invalid_text(item) for item in value)
    return False


def check_attributes(values: Any) -> dict[str, Any]:
    """``values`` if it is a bounded object of valid text, else ValueError with the reason."""
    if not isinstance(values, dict):
        raise ValueError(_("Custom attributes must be an object."))
    if invalid_text(values):
        raise ValueError(_("Text must be valid Unicode."))
    if len(values) > MAX_KEYS:
        raise ValueError(_("At most %(n)d custom attributes.") % {"n": MAX_KEYS})
    for key in values:
        if not key.strip() or len(key) > MAX_KEY_CHARS:
            raise ValueError(
                _("An attribute name needs 1 to %(n)d characters.") % {"n": MAX_KEY_CHARS}
            )
    if len(json.dumps(values, ensure_ascii=False)) > MAX_JSON_CHARS:
        raise ValueError(
            _("Custom attributes may take at most %(n)d characters.") % {"n": MAX_JSON_CHARS}
        )
    return values
