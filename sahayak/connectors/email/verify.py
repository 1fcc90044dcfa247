"""SPF, DKIM and DMARC checks when Sahayak's SMTP listener is the first hop (the MX).

Behind a relay, the relay checks and writes ``Authentication-Results`` (see
``authresults``). When the listener receives mail straight from the sender's server
(``SAHAYAK_EMAIL_VERIFY_SENDERS``), it checks itself with authheaders (dkimpy for DKIM,
pyspf for SPF, its own DMARC alignment), using the connecting address, HELO name and
envelope sender, and stamps the result on top of the message as a relay would: the
topmost header, under ``SAHAYAK_SMTP_HOSTNAME`` as authserv-id.

``SAHAYAK_DNS_SERVER`` (host or host:port) sends the lookups to one resolver rather than
the system's.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings

logger = logging.getLogger(__name__)


@cache
def _resolver_ready() -> bool:
    import dns.resolver

    address = settings.SAHAYAK_DNS_SERVER
    if address:
        host, _sep, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host or address]
        resolver.port = int(port or 53)
        resolver.lifetime = 5.0
        dns.resolver.default_resolver = resolver
    return True


def stamp(raw: bytes, *, ip: str, helo: str, mail_from: str) -> bytes:
    """``raw`` with this server's Authentication-Results on top (unchanged if the checks
    themselves fail: the mail is accepted as a relay without checks would)."""
    try:
        import authheaders
        import spf  # noqa: F401 - authheaders checks SPF only when pyspf is loaded

        _resolver_ready()
        value = authheaders.authenticate_message(
            raw,
            settings.SAHAYAK_SMTP_HOSTNAME,
            spf=True,
            dkim=True,
            dmarc=True,
            ip=ip,
            mail_from=mail_from or "",
            helo=helo or "",
        )
    except Exception:  # a broken message or resolver must not cost the mail
        logger.exception("checking SPF/DKIM/DMARC failed; the mail is stored unchecked")
        return raw
    header = (
        value.split(":", 1)[1].strip()
        if value.lower().startswith("authentication-results:")
        else value
    )
    folded = " ".join(header.split())
    return f"Authentication-Results: {folded}\r\n".encode("utf-8", "replace") + raw
