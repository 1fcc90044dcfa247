"""WhatsApp message templates: synced from the business account, chosen in the
customer's language, filled in and rendered to the text the conversation shows.

A template's parts are HEADER (text with at most one ``{{1}}``), BODY (``{{1}}`` ...
``{{n}}``) and BUTTONS (URL buttons may end in one ``{{1}}``). ``params`` holds the
values by part: ``{"header": [...], "body": [...], "buttons": {"0": "..."}}``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.conversations.models import Inbox

from . import client
from .models import MessageTemplate

logger = logging.getLogger(__name__)
VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")
APPROVED = "APPROVED"


class TemplateProblem(ValueError):
    pass


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
    for inbox in Inbox.objects.filter(channel="whatsapp", is_active=True):
        try:
            total += sync(inbox)
        except ProviderFailure as exc:
            logger.warning("whatsapp templates of inbox %s: %s", inbox.pk, exc)
    return total


@dataclass(frozen=True)
class Slot:
    """One variable an agent fills in."""

    part: str  # "header", "body" or "buttons"
    index: str  # "1".. for header/body, the button's position for buttons
    context: str  # the text around it, for the form's label


def slots(template: MessageTemplate) -> list[Slot]:
    found: list[Slot] = []
    for component in template.components:
        kind = str(component.get("type", "")).upper()
        if kind in ("HEADER", "BODY") and component.get("format", "TEXT") == "TEXT":
            text = str(component.get("text") or "")
            for number in sorted({int(n) for n in VARIABLE.findall(text)}):
                found.append(Slot(kind.lower(), str(number), text))
        elif kind == "BUTTONS":
            for position, button in enumerate(component.get("buttons") or []):
                url = str(button.get("url") or "")
                if button.get("type") == "URL" and VARIABLE.search(url):
                    found.append(Slot("buttons", str(position), url))
    return found


def choose(inbox: Inbox, name: str, locale: str) -> MessageTemplate:
    """The approved translation in the customer's language (``fr_FR`` matches ``fr``),
    else in the inbox's fallback language, else any approved one."""
    approved = list(MessageTemplate.objects.filter(inbox=inbox, name=name, status=APPROVED))
    if not approved:
        raise TemplateProblem(_("There is no approved template %(n)s.") % {"n": name})
    wanted = [locale, locale.split("-")[0].split("_")[0], str(inbox.config.get("language") or "en")]
    for language in filter(None, wanted):
        for template in approved:
            if template.language.lower().replace("-", "_") == language.lower().replace("-", "_"):
                return template
        for template in approved:
            if template.language.split("_")[0].lower() == language.lower():
                return template
    return approved[0]


def fill(template: MessageTemplate, values: dict[str, str]) -> dict[str, Any]:
    """The params of a send from the form's values (keyed ``<part>-<index>``); every
    variable needs a value."""
    params: dict[str, Any] = {"header": [], "body": [], "buttons": {}}
    for slot in slots(template):
        value = str(values.get(f"{slot.part}-{slot.index}", "")).strip()
        if not value:
            raise TemplateProblem(_("Every variable of the template needs a value."))
        if len(value) > 1024:
            raise TemplateProblem(_("A template variable is too long."))
        if slot.part == "buttons":
            params["buttons"][slot.index] = value
        else:
            params[slot.part].append(value)
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


def send_template(*, conversation: Any, author: Any, name: str, values: dict[str, str]) -> Any:
    """An agent's template reply: chosen in the customer's language, filled in, stored
    with its rendered text and delivered like any reply."""
    from sahayak.conversations.services import reply

    locale = conversation.contact.locale or conversation.language or ""
    template = choose(conversation.inbox, name, locale)
    params = fill(template, values)
    return reply(
        conversation=conversation,
        author=author,
        text=render(template, params),
        channel="whatsapp",
        template={"name": template.name, "language": template.language, "params": params},
    )
