"""An agent's own security: two-factor sign-in, recovery codes, signed-in sessions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sahayak.accounts import sessions, twofactor
from sahayak.accounts.models import TwoFactor

from .common import agent, login_required


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan, confirm a code, keep the recovery codes) or off."""
    user = agent(request)
    if twofactor.is_enabled(user):
        return render(
            request,
            "web/two_factor.html",
            {
                "enabled": True,
                "required": twofactor.is_required(user),
                "remaining": twofactor.remaining_recovery_codes(user),
            },
        )
    device = twofactor.start_enrolment(user, fresh=request.method != "POST")
    error = ""
    status = 200
    if request.method == "POST":
        codes = twofactor.confirm_enrolment(user, request.POST.get("code", "").strip())
        if codes is not None:
            return render(request, "web/recovery_codes.html", {"codes": codes})
        error = _("That code is not right. Check the time on your phone and try again.")
        status = 400
        device = TwoFactor.objects.get(pk=device.pk)
    return render(
        request,
        "web/two_factor.html",
        {
            "enabled": False,
            "required": twofactor.is_required(user),
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_text(device),
            "error": error,
        },
        status=status,
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    if twofactor.is_required(user):
        messages.error(
            request, _("Your role must sign in with two factors; it cannot be turned off.")
        )
        return redirect("web:two_factor")
    if not user.check_password(request.POST.get("password", "")):
        messages.error(request, _("The password is not right; two-factor sign-in stays on."))
        return redirect("web:two_factor")
    twofactor.disable(user, actor=user)
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("web:two_factor")


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working); needs a current code."""
    user = agent(request)
    if not twofactor.is_enabled(user) or not twofactor.verify(
        user, request.POST.get("code", "").strip()
    ):
        messages.error(request, _("That code is not right; your recovery codes are unchanged."))
        return redirect("web:two_factor")
    return render(request, "web/recovery_codes.html", {"codes": twofactor.new_recovery_codes(user)})


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    user = agent(request)
    if request.method == "POST":
        current = request.session.session_key
        if request.POST.get("session"):
            try:
                wanted = [int(request.POST["session"])]
            except ValueError:
                wanted = []
            count = sessions.end(user, wanted, keep=current, actor=user)
        else:
            count = sessions.end(user, None, keep=current, actor=user)
        messages.success(
            request,
            ngettext(
                "Signed out %(count)d other session.", "Signed out %(count)d other sessions.", count
            )
            % {"count": count},
        )
        return redirect("web:sessions")
    return render(
        request,
        "web/sessions.html",
        {"rows": sessions.active(user)[:100], "current": request.session.session_key},
    )
