"""API v1: one NinjaAPI, bearer-token auth, JSON errors with a reason for every failure."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.module_loading import import_string
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from sahayak.conversations import channels
from sahayak.health import RETRY_AFTER, database_down
from sahayak.pagination import BadCursor

from .auth import BearerToken, RateLimited
from .parser import InvalidText, StrictJsonParser
from .routers import (
    canned,
    contacts,
    conversations,
    inbound,
    inboxes,
    knowledge,
    macros,
    orders,
    organizations,
    reports,
    routing,
    rules,
)

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Sahayak API",
    version="1",
    description=(
        "Contacts, conversations, orders, inbound messages and the knowledge base"
        " of a Sahayak helpdesk."
    ),
    auth=BearerToken(),
    parser=StrictJsonParser(),
    urls_namespace="api-v1",
)
api.add_router("/contacts", contacts.router)
api.add_router("/organizations", organizations.router)
api.add_router("/orders", orders.router)
api.add_router("/conversations", conversations.router)
api.add_router("/inbound", inbound.router)
api.add_router("/inboxes", inboxes.router)
api.add_router("/kb", knowledge.router)
api.add_router("/search", knowledge.search_router)
api.add_router("/routing", routing.router)
api.add_router("/canned-replies", canned.router)
api.add_router("/macros", macros.router)
api.add_router("/rules", rules.router)
api.add_router("/reports", reports.router)
api.add_router("/export", reports.export_router)
api.add_router("/", reports.survey_router)
api.add_router("/conversations", rules.runs_router)
# Each channel's own endpoints (e.g. the email channel's /mailboxes and /inbound/email).
# Channels that share endpoints (the messaging channels' /channels) name them once each.
for _prefix, _router in dict.fromkeys(
    route for _channel in channels.channels() for route in _channel.api_routers
):
    api.add_router(f"/{_prefix}", import_string(_router))


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Ninja reports an unparsable JSON body as a validation error on "body".
    for error in exc.errors:
        if error.get("type") == "json_invalid" or "JSON" in str(error.get("msg", "")):
            return api.create_response(request, {"detail": "Malformed JSON body."}, status=400)
    return api.create_response(
        request, {"detail": "Invalid input.", "errors": exc.errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "Missing or invalid bearer token."}, status=401)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Too many requests for this token; slow down."}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, InvalidText):  # ninja wraps every parser error in a 400
        return api.create_response(request, {"detail": str(exc.__cause__)}, status=422)
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(BadCursor)
def bad_cursor(request: HttpRequest, exc: BadCursor) -> HttpResponse:
    return api.create_response(request, {"detail": "Invalid cursor."}, status=400)


@api.exception_handler(MultiPartParserError)
def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return api.create_response(request, {"detail": f"Malformed multipart body: {exc}"}, status=400)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A number too large for the database (ids are 64-bit) or a value it cannot store."""
    logger.info("refused out-of-range input on %s: %s", request.path, exc)
    return api.create_response(
        request, {"detail": "A value is out of range for its field."}, status=422
    )


@api.exception_handler(IntegrityError)
def conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    """A constraint caught what validation did not: a conflict, and worth a look (logged)."""
    logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return api.create_response(
        request, {"detail": "The change conflicts with existing data."}, status=409
    )


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug, not bad input: logged with its traceback, answered as JSON (no internals).
    An unreachable database is not a bug: 503 with Retry-After, so clients retry."""
    if database_down(exc):
        logger.warning("API %s %s: database unavailable (%s)", request.method, request.path, exc)
        response = api.create_response(
            request, {"detail": "Temporarily unavailable; retry shortly."}, status=503
        )
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    logger.exception("API error on %s %s", request.method, request.path)
    return api.create_response(
        request, {"detail": "Internal error; it has been logged."}, status=500
    )


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(request, {"detail": "Request body too large."}, status=413)
