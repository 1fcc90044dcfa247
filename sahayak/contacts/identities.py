"""Normalization of channel addresses, so one person is one identity however it is written."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from .models import IdentityKind

PHONE_KINDS = {IdentityKind.PHONE, IdentityKind.WHATSAPP}


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
    if kind not in IdentityKind.values:
        raise ValueError(_("Unknown identity kind: %(k)s") % {"k": kind})
    if len(address) > 320:
        raise ValueError(_("Address too long."))
    if kind == IdentityKind.EMAIL:
        return normalize_email(address)
    if kind in PHONE_KINDS:
        return normalize_phone(address)
    if kind in (IdentityKind.CHAT, IdentityKind.EXTERNAL):
        value = address.strip()
        if not value:
            raise ValueError(_("An empty id is not an identity."))
        return value
    return normalize_handle(address)
