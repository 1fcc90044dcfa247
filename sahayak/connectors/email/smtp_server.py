"""The built-in SMTP listener (aiosmtpd): mail handed to it is stored before it says 250.

RCPT is refused (550) for an address no mailbox receives; DATA answers 250 only once the
message is committed, 451 when it cannot be stored now (the sender's MTA retries), and
5xx with the reason for what will never be accepted. The size limit is announced in EHLO
and enforced (552).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from .inbound import MailDeferred, MailRejected, ingest
from .mailboxes import inbox_for_address
from .verify import stamp

logger = logging.getLogger(__name__)


def _one_line(text: str) -> str:
    """An SMTP reply text: one line of printable ASCII."""
    flat = " ".join(text.split())
    return flat.encode("ascii", "replace").decode()[:400]


def _in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()


class SahayakHandler:
    def __init__(self, workers: int = 4):
        # The ORM is synchronous: it runs on a small pool, never on the event loop.
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-store")

    async def _run(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, lambda: _in_thread(function, *args, **kwargs))

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            found = await self._run(inbox_for_address, address)
        except Exception:
            logger.exception("smtp: looking up %s failed", address)
            return "451 4.3.0 Temporary failure looking up the recipient; try again later"
        if found is None:
            return "550 5.1.1 No mailbox here by that name"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            if settings.SAHAYAK_EMAIL_VERIFY_SENDERS:
                raw = await self._run(
                    stamp,
                    raw,
                    ip=str((session.peer or ("",))[0]),
                    helo=str(session.host_name or ""),
                    mail_from=str(envelope.mail_from or ""),
                )
            outcome = await self._run(
                ingest,
                raw,
                recipients=list(envelope.rcpt_tos),
                envelope_sender=str(envelope.mail_from or ""),
            )
        except MailRejected as exc:
            return f"{exc.smtp_status} {exc.code} {_one_line(exc.reason)}"
        except MailDeferred as exc:
            return f"451 4.7.1 {_one_line(exc.reason)}"
        except Exception:
            logger.exception("smtp: storing a message failed")
            return "451 4.3.0 Temporary failure storing the message; try again later"
        return f"250 2.0.0 Stored as message {outcome.message_id} ({outcome.status})"


class LenientSMTP(SMTP):
    """An SMTP session that takes mail the way Postfix and Exim do in practice.

    aiosmtpd refuses (500, permanently) any line over 1,000 bytes, and a body written
    with bare LF line endings is one "line" to it. Both are common in real mail (long
    HTML lines, scripts piping into sendmail), so the only limit here is the message
    size: the whole message may be one line. The parser normalises the line endings.
    """

    def __init__(self, handler: Any, **kwargs: Any):
        limit = kwargs.get("data_size_limit") or settings.SAHAYAK_EMAIL_MAX_BYTES
        # Read by the base class's __init__ for its stream reader: set it first.
        self.line_length_limit = int(limit) + 2
        super().__init__(handler, **kwargs)


class LenientController(Controller):
    def factory(self) -> SMTP:
        return LenientSMTP(self.handler, **self.SMTP_kwargs)


def make_controller(host: str, port: int) -> Controller:
    return LenientController(
        SahayakHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.SAHAYAK_EMAIL_MAX_BYTES,
        enable_SMTPUTF8=True,
        decode_data=False,
        ident="Sahayak ESMTP",
        server_hostname=settings.SAHAYAK_SMTP_HOSTNAME,
    )
