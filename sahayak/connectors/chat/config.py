"""A chat inbox's settings, read from ``Inbox.config`` with sensible defaults.

Keys: ``allowed_origins`` (list; ``"*"`` allows any site), ``secret`` (signs visitor
identities), ``color``, ``title`` and ``greeting`` (a text, or {locale: text}),
``prechat`` ("off", "optional", "required": ask name and email before the first message),
``offline_email`` (answer visitors who left by email, default on), ``address``/``smtp``
(the sending mailbox for those emails; default the first active email inbox).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sahayak.conversations.models import Inbox

PRECHAT_MODES = ("off", "optional", "required")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOR = "#0b6e4f"


@dataclass(frozen=True)
class ChatSettings:
    allowed_origins: tuple[str, ...]
    color: str
    title: str
    greeting: str | dict[str, str]
    prechat: str
    offline_email: bool

    def greeting_for(self, locale: str) -> str:
        if isinstance(self.greeting, dict):
            return self.greeting.get(locale) or self.greeting.get("en") or ""
        return self.greeting


def chat_settings(inbox: Inbox) -> ChatSettings:
    config: dict[str, Any] = inbox.config or {}
    origins = config.get("allowed_origins") or []
    color = str(config.get("color") or "")
    greeting = config.get("greeting") or ""
    prechat = str(config.get("prechat") or "off")
    return ChatSettings(
        allowed_origins=tuple(str(o).rstrip("/").lower() for o in origins if o),
        color=color if _COLOR.match(color) else DEFAULT_COLOR,
        title=str(config.get("title") or "")[:80],
        greeting=greeting if isinstance(greeting, (str, dict)) else "",
        prechat=prechat if prechat in PRECHAT_MODES else "off",
        offline_email=bool(config.get("offline_email", True)),
    )


def origin_allowed(inbox: Inbox, origin: str, own_host: str) -> bool:
    """The widget may run on the inbox's listed sites, and always on Sahayak's own host
    (the preview page). A browser always sends Origin with a websocket handshake."""
    origin = origin.rstrip("/").lower()
    if not origin:
        return False
    allowed = chat_settings(inbox).allowed_origins
    if "*" in allowed or origin in allowed:
        return True
    return urlsplit(origin).netloc == own_host.lower()


def identity_secret(inbox: Inbox) -> str:
    """The secret the business's site signs visitor ids with ("" until one is made)."""
    return str((inbox.config or {}).get("secret") or "")


def rotate_identity_secret(inbox: Inbox) -> str:
    """A new signing secret; identities signed with the old one stop verifying."""
    secret = secrets.token_urlsafe(32)
    inbox.config = {**(inbox.config or {}), "secret": secret}
    inbox.save(update_fields=["config"])
    return secret
