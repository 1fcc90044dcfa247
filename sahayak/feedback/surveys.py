"""Survey links and answers: who may answer, until when, and what an answer does.

A link carries the survey's id signed with the server's secret, so it cannot be guessed
or altered; opening it (as mail scanners do) records nothing, only the form's POST does.
An answer may be changed while the survey is open; each answer to a CSAT survey is a
``rated`` event of its conversation (automation can react to a bad rating), and every
answer is announced on ``survey_answered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.conversations.events import EventKind, record
from sahayak.site import public_url

from .models import Kind, State, Survey

SALT = "sahayak.feedback.survey"
SCALES = {Kind.CSAT: range(1, 6), Kind.NPS: range(0, 11)}
COMMENT_LIMIT = 5000

# kwargs: survey (Survey), changed (bool: an earlier answer was replaced)
survey_answered = Signal()


class SurveyError(ValueError):
    """Why an answer cannot be taken (shown to the customer)."""


def token_of(survey: Survey) -> str:
    return signing.Signer(salt=SALT).sign(str(survey.pk))


def link(survey: Survey, score: int | None = None) -> str:
    url = public_url(reverse("feedback:answer", args=[token_of(survey)]))
    return f"{url}?score={score}" if score is not None else url


def survey_of(token: str) -> Survey:
    try:
        pk = int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise SurveyError(_("This survey link is not valid.")) from exc
    survey = Survey.objects.select_related("conversation").filter(pk=pk).first()
    if survey is None:
        raise SurveyError(_("This survey no longer exists."))
    return survey


def is_open(survey: Survey) -> bool:
    return (
        survey.state in (State.SENT, State.ANSWERED)
        and survey.open_until is not None
        and survey.open_until > timezone.now()
    )


def open_for() -> timedelta:
    return timedelta(days=settings.SAHAYAK_SURVEY_OPEN_DAYS)


def scale(kind: str) -> range:
    return SCALES[Kind(kind)]


@dataclass(frozen=True)
class Answer:
    survey: Survey
    changed: bool


def answer(token: str, score: int | str, comment: str = "") -> Answer:
    """Record (or change) the answer of the survey behind ``token``."""
    survey = survey_of(token)
    try:
        value = int(score)
    except (TypeError, ValueError) as exc:
        raise SurveyError(_("Please choose a rating.")) from exc
    if value not in scale(survey.kind):
        raise SurveyError(_("Please choose a rating."))
    comment = (comment or "").strip()[:COMMENT_LIMIT]
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .select_related("conversation")
            .get(pk=survey.pk)
        )
        if not is_open(survey):
            raise SurveyError(_("This survey is closed. Thank you all the same."))
        old = survey.score
        changed = survey.state == State.ANSWERED
        if changed and old == value and survey.comment == comment:
            return Answer(survey, False)
        survey.score, survey.comment = value, comment
        survey.state = State.ANSWERED
        survey.answered_at = timezone.now()
        survey.save(update_fields=["score", "comment", "state", "answered_at"])
        if survey.conversation is not None:
            record(
                EventKind.RATED,
                survey.conversation,
                old=old,
                new=value,
                comment=comment[:500],
                survey=survey.pk,
                survey_kind=survey.kind,
            )
        transaction.on_commit(
            lambda: survey_answered.send_robust(sender=Survey, survey=survey, changed=changed)
        )
    return Answer(survey, changed)


def open_for_contact(contact_id: int, limit: int = 3) -> list[Survey]:
    """Surveys this customer can still answer (shown in the customer portal), newest first."""
    return list(
        Survey.objects.filter(
            contact_id=contact_id,
            state__in=(State.SENT, State.ANSWERED),
            open_until__gt=timezone.now(),
        )
        .select_related("conversation")
        .order_by("-sent_at")[:limit]
    )
