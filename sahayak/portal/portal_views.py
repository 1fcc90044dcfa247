"""The customer portal: thin views over ``portal.services``."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sahayak.clientip import client_address
from sahayak.conversations.inbound import InboundRejected
from sahayak.knowledge import help_center
from sahayak.pagination import BadCursor, keyset_page
from sahayak.ratelimit import exceeded

from . import services
from .session import current_contact, reader_locale, sign_in, sign_out, signed_in_email

NEXT_KEY = "portal_next"


def _page(request: HttpRequest, template: str, status: int = 200, **ctx: Any) -> HttpResponse:
    locale = reader_locale(request)
    translation.activate(locale)
    context = {
        "locale": locale,
        "switch": [],
        "center_name": help_center.center_name(),
        "customer": current_contact(request),
        "noindex": True,
        **ctx,
    }
    return render(request, template, context, status=status)


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not signed_in_email(request):
            return redirect(f"{reverse('portal:login')}?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        after = request.GET.get("next", "")
        if after.startswith("/portal/") and url_has_allowed_host_and_scheme(after, None):
            request.session[NEXT_KEY] = after
        return _page(request, "portal/login.html")
    email = request.POST.get("email", "").strip()
    ip = client_address(request)
    per_address = hashlib.sha256(email.lower().encode()).hexdigest()
    if exceeded(f"portal-login:{ip}", 10, 3600) or exceeded(f"portal-login:{per_address}", 3, 600):
        return _page(
            request,
            "portal/login.html",
            status=429,
            error=_("Too many sign-in requests. Please wait a few minutes."),
            email=email,
        )
    try:
        services.request_link(
            email=email,
            locale=reader_locale(request),
            base_url=request.build_absolute_uri(reverse("portal:login")),
        )
    except services.PortalError as exc:
        return _page(request, "portal/login.html", status=400, error=str(exc), email=email)
    return _page(request, "portal/login_sent.html", email=email)


@require_http_methods(["GET", "POST"])
def login_link(request: HttpRequest, token: str) -> HttpResponse:
    # GET only asks for a click: mail scanners that open links must not spend them.
    if request.method == "GET":
        return _page(request, "portal/login_confirm.html", token=token)
    try:
        contact, email = services.use_link(token)
    except services.PortalError as exc:
        return _page(request, "portal/login.html", status=400, error=str(exc))
    after = request.session.pop(NEXT_KEY, "")
    sign_in(request, contact, email)
    return redirect(after or "portal:home")


@require_http_methods(["POST"])
def logout(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return redirect("portal:login")


@customer_required
def home(request: HttpRequest) -> HttpResponse:
    contact = current_contact(request)
    assert contact is not None
    try:
        rows, cursor = keyset_page(
            services.conversations(contact),
            keys=["-id"],
            cursor=request.GET.get("cursor"),
            limit=25,
        )
    except BadCursor:
        rows, cursor = [], None
    from sahayak.feedback import surveys

    asked = [(s, surveys.link(s)) for s in surveys.open_for_contact(contact.pk)]
    return _page(request, "portal/home.html", conversations=rows, next_cursor=cursor, surveys=asked)


@customer_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    contact = current_contact(request)
    assert contact is not None
    conv = services.conversation_for(contact, conversation_id)
    if conv is None:
        raise Http404(_("No such request."))
    error = ""
    if request.method == "POST":
        try:
            services.post(
                contact=contact,
                email=signed_in_email(request),
                text=request.POST.get("text", ""),
                submission=request.POST.get("submission", "") or secrets.token_urlsafe(16),
                conversation=conv,
                locale=translation.get_language() or "",
            )
            return redirect("portal:conversation", conversation_id=conv.pk)
        except (services.PortalError, InboundRejected) as exc:
            error = str(exc)
    return _page(
        request,
        "portal/conversation.html",
        status=400 if error else 200,
        conversation=conv,
        messages_=services.visible_messages(conv),
        submission=secrets.token_urlsafe(16),
        error=error,
    )


@customer_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest) -> HttpResponse:
    contact = current_contact(request)
    assert contact is not None
    error = ""
    if request.method == "POST":
        subject = request.POST.get("subject", "").strip()[:300]
        try:
            if not subject:
                raise services.PortalError(_("Add a subject."))
            result = services.post(
                contact=contact,
                email=signed_in_email(request),
                text=request.POST.get("text", ""),
                subject=subject,
                submission=request.POST.get("submission", "") or secrets.token_urlsafe(16),
                locale=translation.get_language() or "",
            )
            return redirect("portal:conversation", conversation_id=result.conversation.pk)
        except (services.PortalError, InboundRejected) as exc:
            error = str(exc)
    return _page(
        request,
        "portal/new.html",
        status=400 if error else 200,
        submission=secrets.token_urlsafe(16),
        error=error,
        subject=request.POST.get("subject", ""),
        text=request.POST.get("text", ""),
    )
