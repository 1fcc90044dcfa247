"""Checks of an SMS channel's settings before they are saved."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from sahayak.connectors.messaging.setup import SetupProblem
from sahayak.contacts.identities import normalize_phone


def clean(config: dict[str, Any]) -> dict[str, Any]:
    if not config.get("from_number") and not config.get("messaging_service_sid"):
        raise SetupProblem(_("Give a sending number or a messaging service SID."))
    if config.get("from_number"):
        try:
            config["from_number"] = normalize_phone(str(config["from_number"]))
        except ValueError as exc:
            raise SetupProblem(str(exc)) from exc
    return config
