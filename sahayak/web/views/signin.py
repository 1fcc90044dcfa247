"""Signing in: password (throttled), the second factor, single sign-on, password reset."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from sahayak.accounts import sessions, signin, sso, twofactor
from sahayak.accounts.backends import find_user
from sahayak.accounts.models import User
from sahayak.clientip import client_address
from sahayak.portal.services import sender_address
from sahayak.ratelimit import exceeded

PENDING_USER = "_2fa_user"
PENDING_BACKEND = "_2fa_backend"
PENDING_AT = "_2fa_at"
PENDING_LIFETIME = 300


class SignInForm(AuthenticationForm):
    """Django's sign-in form with throttling: a refused try never checks the password."""

    retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        login_name = self.cleaned_data.get("username") or ""
        user = find_user(login_name)
        refused = signin.refusal(self.request, user)
        if refused is not None:
            self.retry_after = refused.retry_after
            raise ValidationError(refused.message, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            signin.record_failure(self.request, user, login_name)
            raise
        found = self.get_user()
        if isinstance(found, User):
            signin.record_success(found)
        return cleaned


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso.is_enabled()
        context["sso_name"] = settings.SAHAYAK_OIDC_NAME or _("single sign-on")
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        form = context.get("form")
        if form is not None and form.is_bound and form.errors:
            throttled = getattr(form, "retry_after", None) is not None
            context["error_message"] = (
                form.non_field_errors()[0]
                if throttled
                else _("Your user name and password did not match. Please try again.")
            )
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if isinstance(user, User) and twofactor.is_enabled(user):
            # The password was right; the session is not signed in until the code is.
            self.request.session.cycle_key()
            self.request.session[PENDING_USER] = user.pk
            self.request.session[PENDING_BACKEND] = getattr(user, "backend", "")
            self.request.session[PENDING_AT] = time.time()
            target = reverse("web:login_2fa")
            next_url = self.get_redirect_url()
            if next_url:
                target += "?" + urlencode({"next": next_url})
            return HttpResponseRedirect(target)
        return super().form_valid(form)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        retry_after = getattr(form, "retry_after", None)
        if retry_after is not None:
            response.status_code = 429
            if retry_after:
                response["Retry-After"] = str(retry_after)
        return response


def _safe_next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return str(settings.LOGIN_REDIRECT_URL)


def _forget_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_AT):
        request.session.pop(key, None)


def second_factor(request: HttpRequest) -> HttpResponse:
    """The code from the authenticator app (or a recovery code) after a right password."""
    user_id = request.session.get(PENDING_USER)
    started = float(request.session.get(PENDING_AT, 0))
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or time.time() - started > PENDING_LIFETIME:
        _forget_pending(request)
        return redirect("web:login")
    error = ""
    status = 200
    if request.method == "POST":
        refused = signin.refusal(request, user)
        if refused is not None:
            error, status = refused.message, 429
        elif twofactor.verify(user, request.POST.get("code", "").strip()):
            signin.record_success(user)
            backend = request.session.get(PENDING_BACKEND) or settings.AUTHENTICATION_BACKENDS[0]
            _forget_pending(request)
            login(request, user, backend=backend)
            return redirect(_safe_next(request))
        else:
            signin.record_failure(request, user, user.get_username())
            error, status = _("That code is not right. Try the current code from your app."), 400
    return render(
        request,
        "web/login_2fa.html",
        {"error": error, "next": request.GET.get("next", "")},
        status=status,
    )


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site signs in through the workspace's page (throttling, second factor)."""
    wanted = request.GET.get("next") or "/admin/"
    return redirect(reverse("web:login") + "?" + urlencode({"next": wanted}))


# --- Password reset -------------------------------------------------------------------


class ThrottledPasswordResetForm(PasswordResetForm):
    """Sends at most a few reset emails per address and per client an hour; the page says
    the same whether or not the address has an account."""

    request: HttpRequest | None = None

    def get_users(self, email: str) -> Any:
        limit = settings.SAHAYAK_PASSWORD_RESET_RATE
        keys = [f"pwreset:addr:{email.lower()}"]
        if self.request is not None:
            keys.append(f"pwreset:ip:{client_address(self.request)}")
        if any(exceeded(key, limit, 3600) for key in keys):
            return iter(())
        return super().get_users(email)


class ResetPasswordView(auth_views.PasswordResetView):
    form_class = ThrottledPasswordResetForm
    template_name = "web/password_reset.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.request = self.request  # type: ignore[attr-defined]
        return form

    def form_valid(self, form: Any) -> HttpResponse:
        self.from_email = sender_address()
        return super().form_valid(form)


class SetNewPasswordForm(SetPasswordForm):
    """A reset proves the mailbox: the sign-in lock goes, and every other session ends."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit)
        if commit and isinstance(user, User):
            signin.unlock(user, actor=user)
            sessions.end(user, None, keep=None, actor=user)
        return user


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetNewPasswordForm
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class ResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"
