"""A local Twilio-compatible REST API: the Messages resource (form-encoded, basic auth,
201 with a SID), the account lookup, MMS media files, and its JSON errors; and
signed webhooks from the provider to Sahayak."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from sahayak.connectors.sms.inbound import expected_signature
from tests.connectors.fakes import Answer, ProviderFake, Request

SID = "AC" + "1" * 32
TOKEN = "twilio-auth-token"
FROM = "+14155550100"


def error(code: int, message: str, status: int = 400) -> Answer:
    return Answer(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class SmsFake(ProviderFake):
    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.files: dict[str, tuple[bytes, str]] = {}
        self.route("POST", r"/2010-04-01/Accounts/(\w+)/Messages\.json", self._send, sends=True)
        self.route("GET", r"/2010-04-01/Accounts/(\w+)\.json", self._account)
        self.route("GET", r"/2010-04-01/Accounts/\w+/Messages/\w+/Media/(\w+)", self._media)

    def _authorized(self, request: Request, sid: str) -> bool:
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        return sid == SID and request.headers.get("Authorization") == expected

    def _send(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request, match.group(1)):
            return error(20003, "Authenticate", 401)
        form = {k: v[0] for k, v in request.form().items()}
        if not form.get("To", "").startswith("+"):
            return error(21211, "The 'To' number is not a valid phone number.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return error(21603, "A 'From' or 'MessagingServiceSid' parameter is required")
        if len(form.get("Body", "")) > 1600:
            return error(21617, "The concatenated message body exceeds the 1600 character limit")
        sid = f"SM{next(self.ids):032d}"
        return Answer(
            201,
            {
                "sid": sid,
                "status": "queued",
                "to": form["To"],
                "from": form.get("From"),
                "body": form["Body"],
                "num_segments": "1",
            },
        )

    def _account(self, request: Request, match: Any) -> Answer:
        if not self._authorized(request, match.group(1)):
            return error(20003, "Authenticate", 401)
        return Answer(200, {"sid": SID, "friendly_name": "Sahayak Shop SMS", "status": "active"})

    def _media(self, request: Request, match: Any) -> Answer:
        if (
            request.headers.get("Authorization", "")
            != "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        ):
            return error(20003, "Authenticate", 401)
        content, content_type = self.files[match.group(1)]
        return Answer(200, raw=content, content_type=content_type)

    def media_url(self, name: str) -> str:
        return f"{self.base}/2010-04-01/Accounts/{SID}/Messages/MM1/Media/{name}"

    def fail_next(self, *, permanent: bool) -> None:
        self.scripted.append(
            error(21211, "The 'To' number is not a valid phone number.")
            if permanent
            else error(20429, "Too Many Requests", 429)
        )

    def received(self) -> int:
        return len(self.calls("POST", r"/2010-04-01/Accounts/\w+/Messages\.json"))


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return expected_signature(token, url, form.items())
