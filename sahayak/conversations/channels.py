"""The channel port: what every channel adapter implements, and the registry of channels.

The core owns this interface; each connector (``sahayak.connectors.<kind>``) registers its
channel from its ``AppConfig.ready()`` with everything the rest of the product needs to
know: label, icon, the identity kinds it reaches a customer by, capabilities, its adapter
and, optionally, its API router. The core imports no connector: it asks this registry.

Inbound, an adapter builds a ``sahayak.conversations.inbound.InboundMessage`` and hands it
to ``sahayak.conversations.pipeline.receive``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils.functional import Promise
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    """Sending failed. ``permanent`` tells the caller whether a retry can help."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        code: str = "",
        params: dict[str, Any] | None = None,
    ):
        # With ``params``, ``message`` is an untranslated template: the agent reads it in
        # their own language, with the values put in (see ``delivery_reason``).
        self.template = message if params else ""
        self.params = {key: str(value) for key, value in (params or {}).items()}
        message = message % self.params if params else message
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        # The provider's own error code, if it gave one (explained to agents).
        self.code = code
        # Seconds the far end asked us to wait (an HTTP Retry-After): the next attempt is
        # not made sooner, whatever the backoff would say.
        self.retry_after = retry_after


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    conversation_id: int
    channel: str
    inbox_config: dict[str, Any]
    text: str
    html: str = ""
    subject: str = ""
    author_name: str = ""
    # The customer's addresses by identity kind, e.g. {"email": ["a@example.com"]}.
    recipients: dict[str, list[str]] = field(default_factory=dict)
    # External ids of the conversation's earlier messages, newest last (for threading).
    thread_external_ids: list[str] = field(default_factory=list)
    # {"filename", "content_type", "path"} of each attached file (path in default storage).
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # The customer's language (templates render in it) and their name.
    locale: str = ""
    recipient_name: str = ""
    # Set for messages the system sent on its own ("auto_reply"): never answered by robots.
    automatic: str = ""
    # An approved message template instead of free text (channels with a reply window):
    # {"name", "language", "params": {"header": [...], "body": [...], "buttons": [...]}}.
    template: dict[str, Any] = field(default_factory=dict)
    # The provider's id of the customer's message this one answers (a quoted reply).
    reply_to_external_id: str = ""
    # The inbox whose settings ``inbox_config`` holds (0: none).
    inbox_id: int = 0
    # Others copied on an email reply: {"cc": [...], "bcc": [...]}.
    copies: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    external_id: str | None = None


class ChannelAdapter(ABC):
    """One channel's outbound half. Inbound parsing lives beside it in the same package."""

    kind: str = ""
    # True: deliver in the process that stored the reply, right after its commit (live
    # channels); the background worker only retries. False: the worker sends it.
    instant: bool = False

    @abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver or raise DeliveryError; must be safe to call again for the same message."""


@dataclass(frozen=True)
class Capabilities:
    """What a channel can do; the workspace, the API, the bot and rules ask these."""

    # Short messages in a running thread (chat, SMS, WhatsApp) rather than email-like mail.
    messaging: bool = False
    # Free-text replies only within this many hours of the customer's last message.
    reply_window_hours: int | None = None
    # Outside the reply window only approved templates may be sent.
    templates_outside_window: bool = False
    # The far end reports that the customer read a message.
    read_receipts: bool = False
    # Replies may carry files, up to this size each (0: no files).
    max_attachment_bytes: int = 0
    # Sahayak can write first (a new conversation started by an agent or a rule).
    outbound_start: bool = False
    # Text is billed and split in segments (SMS): the reply box counts them.
    segmented: bool = False
    # Replies may be formatted (bold, lists, links): the reply box's marks become HTML.
    formatting: bool = False


# 24x24 outline path of a channel without an icon of its own.
DEFAULT_ICON = "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18"


@dataclass(frozen=True)
class Channel:
    """A registered channel. ``adapter`` and the routers are dotted paths, imported on
    first use so that a channel costs nothing until it is used."""

    kind: str
    label: str | Promise
    adapter: str
    identity_kinds: tuple[str, ...] = ()
    icon: str = DEFAULT_ICON
    capabilities: Capabilities = Capabilities()
    # (prefix, dotted path of a django-ninja Router): mounted at /api/v1/<prefix>.
    api_routers: tuple[tuple[str, str], ...] = ()
    # (prefix, dotted path of a urls module with an app_name): the workspace's pages of
    # this channel, mounted at /<prefix>; ``settings_url`` names its settings page for the
    # managers' navigation, with ``settings_label``.
    workspace_urls: tuple[str, str] | None = None
    settings_url: str = ""
    settings_label: str | Promise = ""
    # (prefix, dotted path of a urls module with an app_name): the provider's webhooks,
    # mounted at /hooks/<prefix> (no session, no CSRF: each view checks a signature).
    webhook_urls: tuple[str, str] | None = None
    # Dotted path of a {provider error code: lazy text} mapping: what a failure means, in
    # the agent's language, shown beside the provider's own words.
    error_texts: str = ""
    # URL name (one argument: the conversation id) of the reply box's template picker, for
    # a channel with templates (shown when the reply window has closed).
    templates_url: str = ""
    # The Django app that registered it (a channel of an uninstalled app is not listed).
    app: str = ""


class UnknownChannel(LookupError):
    pass


_registry: dict[str, Channel] = {}
_adapters: dict[str, ChannelAdapter] = {}


def register(channel: Channel) -> None:
    """Called from a connector's ``AppConfig.ready()``; registering again replaces."""
    _registry[channel.kind] = channel
    _adapters.pop(channel.kind, None)


def channels() -> list[Channel]:
    """Every channel of an installed connector, by kind."""
    return [
        channel
        for kind, channel in sorted(_registry.items())
        if not channel.app or apps.is_installed(channel.app)
    ]


def get_channel(kind: str) -> Channel:
    channel = _registry.get(kind)
    if channel is None or (channel.app and not apps.is_installed(channel.app)):
        raise UnknownChannel(kind)
    return channel


def is_known(kind: str) -> bool:
    try:
        get_channel(kind)
    except UnknownChannel:
        return False
    return True


def get_adapter(kind: str) -> ChannelAdapter:
    channel = get_channel(kind)
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = import_string(channel.adapter)()
    return adapter


def label(kind: str) -> str:
    """The channel's name in the active language (the raw kind for an unknown one)."""
    channel = _registry.get(kind)
    return str(channel.label) if channel else kind


def explain_error(kind: str, code: str) -> str:
    """The channel's explanation of a provider error code, in the active language."""
    channel = _registry.get(kind)
    if channel is None or not channel.error_texts or not code:
        return ""
    texts = import_string(channel.error_texts)
    found = texts.get(str(code))
    return str(found) if found else ""


def icon(kind: str) -> str:
    channel = _registry.get(kind)
    return channel.icon if channel else DEFAULT_ICON
