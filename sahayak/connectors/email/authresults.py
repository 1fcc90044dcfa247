"""Is the sender who the From header says? Read from ``Authentication-Results`` (RFC 8601).

The receiving relay (Postfix with OpenDMARC/Rspamd, Exim, a hosted mailbox) checks SPF,
DKIM and DMARC and records the results in this header. Anyone can write such a header
into a message, so only results stamped by a trusted relay count:
``SAHAYAK_EMAIL_AUTHSERV_IDS`` names the relays (their authserv-id); when it is empty
only the topmost header counts, the one the last hop before Sahayak added.

Sahayak does not check SPF or DKIM itself: that needs DNS, and the relay in front of it
already did the work with the connecting address, which Sahayak behind a relay never sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

# A method result, not a property that ends like one ("policy.dmarc=reject").
_METHOD = re.compile(r"(?:^|[;\s])(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass
class AuthVerdict:
    results: dict[str, str] = field(default_factory=dict)  # method -> result
    authserv_id: str = ""

    @property
    def failed(self) -> bool:
        """The From address is shown not to be the sender's."""
        spf, dkim, dmarc = (self.results.get(k, "") for k in ("spf", "dkim", "dmarc"))
        if dmarc == "pass":
            return False
        if dmarc == "fail":
            return True
        # No DMARC verdict: a hard SPF failure or a broken signature, with nothing passing.
        return (spf == "fail" and dkim != "pass") or (dkim == "fail" and spf != "pass")


def _trusted_ids() -> set[str]:
    trusted = {i.strip().lower() for i in settings.SAHAYAK_EMAIL_AUTHSERV_IDS if i.strip()}
    if trusted and settings.SAHAYAK_EMAIL_VERIFY_SENDERS:
        trusted.add(settings.SAHAYAK_SMTP_HOSTNAME.lower())  # our own stamp (see verify)
    return trusted


def read_verdict(headers: list[str]) -> AuthVerdict | None:
    """The results of the trusted relay, from the message's Authentication-Results
    headers in the order they appear (topmost first); None when there are none."""
    trusted = _trusted_ids()
    for value in headers:
        text = " ".join(_COMMENT.sub(" ", value).split())
        authserv_id = text.split(";", 1)[0].strip().split(" ")[0].lower()
        if trusted and authserv_id not in trusted:
            continue  # written by someone else, perhaps the sender: ignored
        verdict = AuthVerdict(authserv_id=authserv_id)
        for method, result in _METHOD.findall(text.partition(";")[2]):
            # Several DKIM signatures: one that passes is enough.
            if verdict.results.get(method.lower()) != "pass":
                verdict.results[method.lower()] = result.lower()
        return verdict
    return None
