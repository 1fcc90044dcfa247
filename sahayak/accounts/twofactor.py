"""Two-factor sign-in with a TOTP authenticator app (RFC 6238) and one-time recovery codes."""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sahayak import crypto

from .models import RecoveryCode, TwoFactor, User
from .services import record_audit

RECOVERY_CODES = 10
ISSUER = "Sahayak"


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def is_enabled(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def is_required(user: User) -> bool:
    """The user's role must sign in with a second factor (SAHAYAK_2FA_REQUIRED_ROLES)."""
    roles = set(settings.SAHAYAK_2FA_REQUIRED_ROLES)
    return user.role in roles or (user.is_superuser and "admin" in roles)


def start_enrolment(user: User, *, fresh: bool) -> TwoFactor:
    """The pending (unconfirmed) secret; ``fresh`` replaces it with a new one, as each
    visit of the set-up page does."""
    existing = TwoFactor.objects.filter(user=user).first()
    if existing is not None and (existing.confirmed_at is not None or not fresh):
        return existing
    if existing is not None:
        existing.delete()
    return TwoFactor.objects.create(user=user, secret=crypto.encrypt(pyotp.random_base32()))


def provisioning_uri(device: TwoFactor) -> str:
    user = device.user
    return pyotp.TOTP(crypto.decrypt(device.secret)).provisioning_uri(
        name=user.email or user.username, issuer_name=ISSUER
    )


def qr_svg(device: TwoFactor) -> str:
    """The provisioning address as an inline SVG QR code for the authenticator app."""
    return str(segno.make(provisioning_uri(device), error="m").svg_inline(scale=4, border=2))


def secret_text(device: TwoFactor) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    secret = crypto.decrypt(device.secret)
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _accept_totp(device: TwoFactor, code: str) -> bool:
    """True for a valid code of the current, previous or next 30-second step that was not
    accepted before (a code seen once cannot be replayed)."""
    code = code.replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(crypto.decrypt(device.secret))
    now_step = int(time.time()) // 30
    for step in (now_step - 1, now_step, now_step + 1):
        if step <= device.last_step:
            continue
        if secrets.compare_digest(totp.at(step * 30), code):
            updated = TwoFactor.objects.filter(pk=device.pk, last_step__lt=step).update(
                last_step=step
            )
            return updated == 1
    return False


@transaction.atomic
def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn the pending authenticator on if ``code`` is right; returns new recovery codes."""
    device = TwoFactor.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None or not _accept_totp(device, code):
        return None
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    record_audit(actor=user, action="2fa.enabled", obj=user)
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are shown once and not stored."""
    codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=_hash(code)) for code in codes
        )
    return codes


def verify(user: User, code: str) -> str | None:
    """Check a sign-in's second factor: "totp" or "recovery" when accepted, else None."""
    device = TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return None
    if _accept_totp(device, code):
        return "totp"
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if spent:
        record_audit(actor=user, action="2fa.recovery_code_used", obj=user)
        return "recovery"
    return None


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def disable(user: User, *, actor: User | None) -> None:
    TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record_audit(actor=actor, action="2fa.disabled", obj=user)
