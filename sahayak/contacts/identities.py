"""Normalization of channel addresses, so one person is one identity however it is written."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class IdentityKind:
    """How a person can be known: ``style`` says how an address of it is normalized
    ("email", "phone", "handle": case-folded without "@", "opaque": kept as given)."""

    kind: str
    label: str | Promise
    style: str


_kinds: dict[str, IdentityKind] = {}


def register_identity_kind(kind: str, label: str | Promise, style: str = "handle") -> None:
    """A connector adds the kind its customers are known by (from its ``ready()``)."""
    if style not in ("email", "phone", "handle", "opaque"):
        raise ValueError(f"unknown identity style {style!r}")
    _kinds[kind] = IdentityKind(kind, label, style)


def identity_kinds() -> list[IdentityKind]:
    return list(_kinds.values())


def identity_label(kind: str) -> str:
    found = _kinds.get(kind)
    return str(found.label) if found else kind


# The CRM's own kinds: how people are known whether or not a channel for it is set up.
register_identity_kind("email", gettext_lazy("Email"), "email")
register_identity_kind("phone", gettext_lazy("Phone"), "phone")
register_identity_kind("whatsapp", gettext_lazy("WhatsApp"), "phone")
register_identity_kind("telegram", gettext_lazy("Telegram"))
register_identity_kind("facebook", gettext_lazy("Facebook"))
register_identity_kind("instagram", gettext_lazy("Instagram"))
register_identity_kind("twitter", gettext_lazy("X / Twitter"))
register_identity_kind("external", gettext_lazy("External system id"), "opaque")


def normalize_email(address: str) -> str:
    value = unicodedata.normalize("NFC", address.strip()).lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError(_("Not a valid email address: %(a)s") % {"a": address}) from exc
    return value


def normalize_phone(number: str, region: str | None = None) -> str:
    """E.164 form. Numbers without a country code need a region (SAHAYAK_PHONE_REGION)."""
    region = region or settings.SAHAYAK_PHONE_REGION or None
    raw = number.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("Not a valid phone number: %(n)s") % {"n": number}) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(_("Not a valid phone number: %(n)s") % {"n": number})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(handle: str) -> str:
    value = unicodedata.normalize("NFC", handle.strip())
    if value.startswith("@"):
        value = value[1:]
    value = value.casefold()
    if not value:
        raise ValueError(_("An empty handle is not an identity."))
    return value


def normalize_address(kind: str, address: str) -> str:
    """Canonical form of an address on a channel; raises ValueError for what is not one."""
    found = _kinds.get(kind)
    if found is None:
        raise ValueError(_("Unknown identity kind: %(k)s") % {"k": kind})
    if len(address) > 320:
        raise ValueError(_("Address too long."))
    if found.style == "email":
        return normalize_email(address)
    if found.style == "phone":
        return normalize_phone(address)
    if found.style == "opaque":
        value = address.strip()
        if not value:
            raise ValueError(_("An empty id is not an identity."))
        return value
    return normalize_handle(address)
