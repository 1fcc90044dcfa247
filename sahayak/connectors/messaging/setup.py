"""How a messaging channel is set up in the workspace: its fields, its connection test
and its webhook address. Each connector registers a ``Setup`` from its ``ready()``; the
Channels page and ``/api/v1/channels`` are built from these, so they offer exactly the
channels that are installed.

An inbox of such a channel keeps its settings in ``Inbox.config``; secrets are sealed at
rest (``conversations.fields``) and write-only: shown masked, kept when left blank.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak.accounts.models import Team, User
from sahayak.conversations import channels
from sahayak.conversations.models import Inbox

from .models import ChannelHealth


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    help: str | Promise = ""
    secret: bool = False
    required: bool = True
    # "text", "bool" or "choice" (with ``choices``).
    type: str = "text"
    choices: tuple[tuple[str, str | Promise], ...] = ()
    default: Any = ""
    # Made up by Sahayak when left empty (a verify token to paste at the provider).
    generated: bool = False


@dataclass(frozen=True)
class Setup:
    kind: str
    fields: tuple[Field, ...]
    # Dotted path of ``check(config) -> str``: calls the provider with the settings and
    # returns what it learnt (the account's name); raises ``SetupProblem``.
    check: str
    # URL name of the channel's webhook, reversed with the inbox's public key.
    webhook: str
    # What to do at the provider, for the settings page.
    instructions: str | Promise = ""
    # Dotted path of ``clean(config) -> config``, raising SetupProblem (optional).
    clean: str = ""
    # Dotted path of ``after_save(inbox)`` (register a webhook, sync templates), optional.
    after_save: str = ""
    # Dotted path of ``process(inbox, body: bytes, content_type)``: turns a queued webhook
    # into stored messages and reports (``messaging.queue``; it runs in the worker).
    process: str = ""
    # Dotted path of a module with ``offered(conversation) -> list[Offer]`` and
    # ``send(conversation=, author=, name=, values=) -> Message``: the channel's approved
    # templates, for the reply box once the reply window has closed (optional).
    templates: str = ""


class TemplateProblem(ValueError):
    """A template cannot be sent as asked; the message says why."""


@dataclass(frozen=True)
class Slot:
    """One variable of a template that the agent fills in."""

    key: str  # the form field's name
    context: str  # the text around it, shown as the field's label


@dataclass(frozen=True)
class Offer:
    """A template the agent may send now, in the language it would go out in."""

    name: str
    language: str
    preview: str
    slots: tuple[Slot, ...] = ()


class SetupProblem(ValueError):
    """The settings cannot work; the message says why (shown to the person setting up)."""


_setups: dict[str, Setup] = {}


def shared_pages() -> dict[str, Any]:
    """What every messaging channel registers with the port: the one Channels page and
    the one /api/v1/channels router (named once each however many channels share them)."""
    return {
        "api_routers": (("channels", "sahayak.connectors.messaging.api.router"),),
        "workspace_urls": ("settings/channels/", "sahayak.connectors.messaging.urls"),
        "settings_url": "messaging:channels",
        "settings_label": gettext_lazy("Channels"),
    }


def register_setup(setup: Setup) -> None:
    _setups[setup.kind] = setup


def setups() -> list[Setup]:
    """The setups of installed channels, in the registry's channel order."""
    return [_setups[c.kind] for c in channels.channels() if c.kind in _setups]


def get_setup(kind: str) -> Setup:
    if kind not in _setups or not channels.is_known(kind):
        raise SetupProblem(_("There is no messaging channel %(k)s.") % {"k": kind})
    return _setups[kind]


def messaging_inboxes() -> Any:
    return Inbox.objects.filter(channel__in=list(_setups)).select_related("team", "health")


def shown_config(inbox: Inbox) -> dict[str, Any]:
    """The inbox's settings for people: secrets say only whether they are set."""
    setup = get_setup(inbox.channel)
    shown: dict[str, Any] = {}
    for field in setup.fields:
        value = inbox.config.get(field.name, field.default)
        shown[field.name] = bool(value) if field.secret else value
    return shown


def webhook_url(inbox: Inbox, base: str = "") -> str:
    """The address to paste at the provider (absolute when ``base`` is the site's root)."""
    path = reverse(get_setup(inbox.channel).webhook, args=[inbox.public_key])
    return base.rstrip("/") + path


@transaction.atomic
def save_channel(
    *,
    kind: str,
    name: str,
    values: dict[str, Any],
    team_id: int | None = None,
    is_active: bool = True,
    inbox: Inbox | None = None,
    actor: User | None = None,
) -> Inbox:
    """Create or change a messaging inbox. A secret left empty keeps the stored one."""
    setup = get_setup(kind)
    if inbox is not None and inbox.channel != kind:
        raise SetupProblem(_("That inbox belongs to another channel."))
    name = name.strip()
    if not name or len(name) > 120:
        raise SetupProblem(_("A channel needs a name of at most 120 characters."))
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise SetupProblem(_("There is no such team."))
    old = dict(inbox.config) if inbox else {}
    config = dict(old)
    for field in setup.fields:
        config[field.name] = _value(field, values.get(field.name), old.get(field.name))
    if setup.clean:
        config = import_string(setup.clean)(config)
    inbox = inbox or Inbox(channel=kind)
    changed = sorted(k for k in config if config.get(k) != old.get(k))
    inbox.name, inbox.team_id, inbox.is_active, inbox.config = name, team_id, is_active, config
    inbox.save()
    ChannelHealth.objects.get_or_create(inbox=inbox)
    if actor is not None:
        from sahayak.accounts.services import record_audit

        record_audit(
            actor=actor,
            action="channel.saved",
            obj=inbox,
            # Which settings changed, never a secret's value.
            data={"channel": kind, "name": name, "changed": changed},
        )
    if setup.after_save:
        after = import_string(setup.after_save)
        saved = inbox
        transaction.on_commit(lambda: after(saved))
    return inbox


def _value(field: Field, given: Any, old: Any) -> Any:
    if field.type == "bool":
        return bool(given)
    text = "" if given is None else str(given).strip()
    if field.secret and not text:
        text = old or ""
    if field.generated and not text:
        text = old or secrets.token_urlsafe(24)
    if field.type == "choice" and text and text not in {c for c, _label in field.choices}:
        raise SetupProblem(_("%(f)s: not one of the choices.") % {"f": field.label})
    if field.required and not text:
        raise SetupProblem(_("%(f)s is required.") % {"f": field.label})
    if len(text) > 2000:
        raise SetupProblem(_("%(f)s is too long.") % {"f": field.label})
    return text or field.default


def check_connection(inbox: Inbox) -> str:
    """Call the provider with the inbox's settings; the result goes on the health line."""
    setup = get_setup(inbox.channel)
    health, _created = ChannelHealth.objects.get_or_create(inbox=inbox)
    health.last_check_at = timezone.now()
    try:
        found = str(import_string(setup.check)(dict(inbox.config)))
    except SetupProblem as exc:
        health.last_check_ok = False
        health.last_error, health.last_error_at = str(exc)[:2000], timezone.now()
        health.save()
        raise
    health.last_check_ok = True
    health.save()
    return found
