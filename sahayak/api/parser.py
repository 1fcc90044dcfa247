"""The API's JSON parser: text must be valid Unicode.

JSON may spell a lone surrogate (``"\\ud800"``); Python accepts it, but it cannot be
written as UTF-8, so a stored one would break every page that shows it. Refused with 422.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from sahayak.contacts.attributes import invalid_text


class InvalidText(ValueError):
    """The body is JSON, but not valid Unicode text (answered 422 by the API)."""


class StrictJsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if invalid_text(data):
            raise InvalidText("Text must be valid Unicode (the body has a lone surrogate).")
        return data  # type: ignore[no-any-return]
