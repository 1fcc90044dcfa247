"""The customer's survey page: GET shows the question (records nothing, so a mail
scanner that opens every link spends no answer); POST records the answer."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sahayak.knowledge import help_center
from sahayak.ratelimit import exceeded

from . import surveys
from .models import Kind


@never_cache
@csrf_exempt  # the signed token is the authority, not a session: a chat widget posts here
@require_http_methods(["GET", "POST"])
def answer_page(request: HttpRequest, token: str) -> HttpResponse:
    response = _answer_page(request, token)
    if request.method == "POST":
        response["Access-Control-Allow-Origin"] = "*"  # no cookie is read or set
    return response


def _answer_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = surveys.survey_of(token)
    except surveys.SurveyError as exc:
        return _page(request, None, error=str(exc), status=404)
    with translation.override(survey.language or settings.LANGUAGE_CODE):
        if request.method == "POST":
            if exceeded(f"survey:{survey.pk}", 30, 3600):
                return _page(request, survey, error=_too_many(), status=429)
            try:
                done = surveys.answer(
                    token, request.POST.get("score", ""), request.POST.get("comment", "")
                )
            except surveys.SurveyError as exc:
                return _page(request, survey, error=str(exc), status=400)
            return _page(request, done.survey, thanked=True)
        if not surveys.is_open(survey):
            return _page(request, survey, error=_closed(), status=410)
        chosen = request.GET.get("score", "")
        return _page(request, survey, chosen=chosen if chosen.isdigit() else "")


def _too_many() -> str:
    return _("Too many answers to this survey. Please try again later.")


def _closed() -> str:
    return _("This survey is closed. Thank you all the same.")


def _page(
    request: HttpRequest,
    survey: surveys.Survey | None,
    *,
    error: str = "",
    thanked: bool = False,
    chosen: str = "",
    status: int = 200,
) -> HttpResponse:
    scores = list(surveys.scale(survey.kind)) if survey else []
    context = {
        "survey": survey,
        "nps": survey is not None and survey.kind == Kind.NPS,
        "scores": scores,
        "chosen": chosen or (str(survey.score) if survey and survey.score is not None else ""),
        "error": error,
        "thanked": thanked,
        "show_form": survey is not None and surveys.is_open(survey),
        "center_name": help_center.center_name(),
        "locale": translation.get_language(),
    }
    return render(request, "feedback/answer.html", context, status=status)
