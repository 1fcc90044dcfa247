"""WhatsApp message templates: synced from the business account, chosen in the
customer's language, filled in and rendered to the text the conversation shows.

A template's parts are HEADER (text with at most one ``{{1}}``), BODY (``{{1}}`` ...
``{{n}}``) and BUTTONS (URL buttons may end in one ``{{1}}``). ``params`` holds the
values by part: ``{"header": [...], "body": [...], "buttons": {"0": "..."}}``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.setup import Offer, Slot, TemplateProblem
from sahayak.conversations.models import Inbox

from . import client
from .models import MessageTemplate

logger = logging.getLogger(__name__)
VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
APPROVED = "APPROVED"
CHANNEL = "whatsapp"


def sync(inbox: Inbox) -> int:
    """Replace the inbox's templates with the business account's; returns how many."""
    found = client.templates(inbox.config)
    now = timezone.now()
    seen: set[tuple[str, str]] = set()
    with transaction.atomic():
        for raw in found:
            name, language = str(raw.get("name") or ""), str(raw.get("language") or "")
            if not name or not language or (name, language) in seen:
                continue
            seen.add((name, language))
            MessageTemplate.objects.update_or_create(
                inbox=inbox,
                name=name[:512],
                language=language[:16],
                defaults={
                    "status": str(raw.get("status") or "")[:32],
                    "category": str(raw.get("category") or "")[:32],
                    "components": [c for c in raw.get("components") or [] if isinstance(c, dict)],
                    "synced_at": now,
                },
            )
        MessageTemplate.objects.filter(inbox=inbox).exclude(synced_at=now).delete()
    return len(seen)


def sync_quietly(inbox: Inbox) -> None:
    """After a channel is saved: a failure shows on the health line, not as an error."""
    from sahayak.connectors.messaging import health

    if not inbox.config.get("business_account_id"):
        return
    try:
        sync(inbox)
    except ProviderFailure as exc:
        health.went_wrong(inbox.pk, exc.message)


def sync_all() -> int:
    total = 0
    for inbox in Inbox.objects.filter(channel=CHANNEL, is_active=True):
        try:
            total += sync(inbox)
        except ProviderFailure as exc:
            logger.warning("whatsapp templates of inbox %s: %s", inbox.pk, exc)
    return total


def slots(template: MessageTemplate) -> list[Slot]:
    """The variables to fill in, keyed ``<part>-<n>``: header-1, body-1..., buttons-<i>."""
    found: list[Slot] = []
    for component in template.components:
        kind = str(component.get("type", "")).upper()
        if kind in ("HEADER", "BODY") and component.get("format", "TEXT") == "TEXT":
            text = str(component.get("text") or "")
            for number in sorted({int(n) for n in VARIABLE.findall(text)}):
                found.append(Slot(f"{kind.lower()}-{number}", text))
        elif kind == "BUTTONS":
            for position, button in enumerate(component.get("buttons") or []):
                url = str(button.get("url") or "")
                if button.get("type") == "URL" and VARIABLE.search(url):
                    found.append(Slot(f"buttons-{position}", url))
    return found


def choose(inbox: Inbox, name: str, locale: str) -> MessageTemplate:
    """The approved translation in the customer's language (``fr_FR`` matches ``fr``),
    else in the inbox's fallback language, else any approved one."""
    approved = list(MessageTemplate.objects.filter(inbox=inbox, name=name, status=APPROVED))
    if not approved:
        raise TemplateProblem(_("There is no approved template %(n)s.") % {"n": name})
    return _pick(approved, locale, str(inbox.config.get("language") or "en"))


def _pick(approved: list[MessageTemplate], locale: str, fallback: str) -> MessageTemplate:
    def norm(code: str) -> str:
        return code.lower().replace("-", "_")

    for language in filter(None, [locale, norm(locale).split("_")[0], fallback]):
        exact = [t for t in approved if norm(t.language) == norm(language)]
        base = [t for t in approved if norm(t.language).split("_")[0] == norm(language)]
        if exact or base:
            return (exact or base)[0]
    return approved[0]


def fill(template: MessageTemplate, values: dict[str, str]) -> dict[str, Any]:
    """The params of a send from the form's values (keyed ``<part>-<index>``); every
    variable needs a value."""
    params: dict[str, Any] = {"header": [], "body": [], "buttons": {}}
    for slot in slots(template):
        value = str(values.get(slot.key, "")).strip()
        if not value:
            raise TemplateProblem(_("Every variable of the template needs a value."))
        if len(value) > 1024:
            raise TemplateProblem(_("A template variable is too long."))
        part, index = slot.key.split("-", 1)
        if part == "buttons":
            params["buttons"][index] = value
        else:
            params[part].append(value)
    return params


def components_for(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``components`` of a template send (Cloud API format)."""
    components: list[dict[str, Any]] = []
    for part in ("header", "body"):
        values = params.get(part) or []
        if values:
            components.append(
                {"type": part, "parameters": [{"type": "text", "text": v} for v in values]}
            )
    for position, value in sorted((params.get("buttons") or {}).items()):
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": str(position),
                "parameters": [{"type": "text", "text": value}],
            }
        )
    return components


def render(template: MessageTemplate, params: dict[str, Any]) -> str:
    """The text the customer sees, for the conversation's timeline."""

    def put(text: str, values: list[str]) -> str:
        return VARIABLE.sub(
            lambda m: (
                values[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(values) else m.group(0)
            ),
            text,
        )

    lines: list[str] = []
    for component in template.components:
        kind = str(component.get("type", "")).upper()
        if kind in ("HEADER", "BODY") and component.get("text"):
            lines.append(put(str(component["text"]), list(params.get(kind.lower()) or [])))
        elif kind == "FOOTER" and component.get("text"):
            lines.append(str(component["text"]))
        elif kind == "BUTTONS":
            for button in component.get("buttons") or []:
                lines.append(f"[{button.get('text', '')}]")
    return "\n\n".join(line for line in lines if line)


def _inbox(conversation: Any) -> Inbox:
    """The WhatsApp inbox a template for this conversation goes out from."""
    if conversation.channel == CHANNEL:
        own: Inbox = conversation.inbox
        return own
    found = Inbox.objects.filter(channel=CHANNEL, is_active=True).order_by("id").first()
    if found is None:
        raise TemplateProblem(_("No WhatsApp channel is set up."))
    return found


def _locale(conversation: Any) -> str:
    return str(conversation.contact.locale or conversation.language or "")


def offered(conversation: Any) -> list[Offer]:
    """The approved templates, each in the language it would be sent in to this customer."""
    inbox = _inbox(conversation)
    by_name: dict[str, list[MessageTemplate]] = {}
    for row in MessageTemplate.objects.filter(inbox=inbox, status=APPROVED).order_by("name"):
        by_name.setdefault(row.name, []).append(row)
    fallback = str(inbox.config.get("language") or "en")
    offers = []
    for approved in list(by_name.values())[:100]:
        template = _pick(approved, _locale(conversation), fallback)
        offers.append(
            Offer(
                name=template.name,
                language=template.language,
                preview=render(template, {}),
                slots=tuple(slots(template)),
            )
        )
    return offers


def send(*, conversation: Any, author: Any, name: str, values: dict[str, str]) -> Any:
    """An agent's template reply: chosen in the customer's language, filled in, stored
    with its rendered text and delivered like any reply."""
    from sahayak.conversations.services import reply

    template = choose(_inbox(conversation), name, _locale(conversation))
    params = fill(template, values)
    return reply(
        conversation=conversation,
        author=author,
        text=render(template, params),
        channel=CHANNEL,
        template={"name": template.name, "language": template.language, "params": params},
    )
