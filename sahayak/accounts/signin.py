"""Sign-in throttling: a growing delay per account and per address, then a lock.

Per account (kept on the user row, so every server process agrees): after
``SAHAYAK_SIGNIN_FREE_TRIES`` consecutive failures each further try must wait twice as long
as the one before (1 s, 2 s, 4 s … capped at 15 minutes); after
``SAHAYAK_SIGNIN_LOCK_AFTER`` failures the account is locked until an administrator lifts
the lock (admin site, or ``sahayak unlock``). Per client address (in the cache, shared when
it is Redis): more than ``SAHAYAK_SIGNIN_IP_RATE`` failures in 15 minutes refuse further
tries from that address until the window ends. A success resets the account's count.

A try that is refused for throttling never checks the password, so guessing cannot go on
behind the refusals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sahayak.clientip import client_address
from sahayak.ratelimit import exceeded

from .models import User
from .services import record_audit

logger = logging.getLogger(__name__)
IP_WINDOW = 15 * 60
MAX_DELAY = 15 * 60


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is not tried now, and for how long (0 = until an admin unlocks)."""

    message: str
    retry_after: int


def _ip_key(ip: str) -> str:
    return f"signin-fail:{ip}"


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Too many failed sign-ins. Try again in %(count)d second.",
        "Too many failed sign-ins. Try again in %(count)d seconds.",
        seconds,
    ) % {"count": seconds}


def refusal(request: HttpRequest | None, user: User | None) -> Refusal | None:
    """Whether a sign-in try must be refused before the password is even checked."""
    if request is not None:
        try:
            failures = int(cache.get(_ip_key(client_address(request)), 0))
        except Exception:  # cache server down: the per-account limit still holds
            logger.warning("sign-in throttle cache unreachable", exc_info=True)
            failures = 0
        if failures >= settings.SAHAYAK_SIGNIN_IP_RATE:
            return Refusal(_wait_message(IP_WINDOW), IP_WINDOW)
    if user is None:
        return None
    if user.signin_locked_at is not None:
        return Refusal(
            _(
                "This account is locked after too many failed sign-ins. "
                "Ask an administrator to unlock it, or reset your password."
            ),
            0,
        )
    if user.signin_blocked_until is not None:
        wait = (user.signin_blocked_until - timezone.now()).total_seconds()
        if wait > 0:
            seconds = max(1, int(wait + 0.999))
            return Refusal(_wait_message(seconds), seconds)
    return None


def delay_after(failures: int) -> int:
    """Seconds the next try must wait after ``failures`` consecutive failures."""
    free = settings.SAHAYAK_SIGNIN_FREE_TRIES
    if failures < free:
        return 0
    return int(min(2 ** (failures - free), MAX_DELAY))


def record_failure(request: HttpRequest | None, user: User | None, login: str) -> None:
    ip = client_address(request) if request is not None else ""
    if ip:
        exceeded(_ip_key(ip), settings.SAHAYAK_SIGNIN_IP_RATE, IP_WINDOW)
    if user is None:
        record_audit(
            actor=None,
            action="signin.failed",
            object_type="accounts.user",
            object_id="",
            data={"login": login[:150], "ip": ip},
        )
        return
    User.objects.filter(pk=user.pk).update(failed_signins=F("failed_signins") + 1)
    user.refresh_from_db(fields=["failed_signins", "signin_locked_at"])
    failures = user.failed_signins
    changes: dict[str, object] = {
        "signin_blocked_until": timezone.now() + timedelta(seconds=delay_after(failures))
    }
    record_audit(
        actor=None, action="signin.failed", obj=user, data={"ip": ip, "failures": failures}
    )
    if failures >= settings.SAHAYAK_SIGNIN_LOCK_AFTER and user.signin_locked_at is None:
        changes["signin_locked_at"] = timezone.now()
        record_audit(actor=None, action="signin.locked", obj=user, data={"ip": ip})
    User.objects.filter(pk=user.pk).update(**changes)


def record_success(user: User) -> None:
    if user.failed_signins or user.signin_blocked_until:
        User.objects.filter(pk=user.pk).update(failed_signins=0, signin_blocked_until=None)


def unlock(user: User, *, actor: User | None) -> None:
    """Lift the lock and forget the failures (an administrator's action)."""
    User.objects.filter(pk=user.pk).update(
        failed_signins=0, signin_blocked_until=None, signin_locked_at=None
    )
    record_audit(actor=actor, action="signin.unlocked", obj=user)
