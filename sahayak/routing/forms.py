"""Settings forms of routing: written the way a supervisor types them, stored as data.

Capacity is "chat=3, email=20, *=10"; weekly hours one line per day ("mon 09:00-17:00,
21:00-02:00"); lists are comma separated. Each field reads back what it stored, so a form
shows the saved settings exactly as they would be typed.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak.accounts.models import Team, User
from sahayak.contacts.models import Organization
from sahayak.conversations import channels
from sahayak.conversations.models import Inbox, Priority

from .models import AgentRouting, Calendar, Holiday, RoutingPolicy, SlaPolicy

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_CAPACITY = 1000
MAX_ITEMS = 50
_SPAN = re.compile(r"^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$")


class ListField(forms.CharField):
    """A comma-separated list of short words (skills, languages, tags)."""

    def __init__(self, *, casefold: bool = True, **kwargs: Any) -> None:
        self.casefold = casefold
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        items = [i.strip() for i in re.split(r"[,\n]", text) if i.strip()]
        items = [i.casefold() if self.casefold else i for i in items]
        if len(items) > MAX_ITEMS or any(len(i) > 64 for i in items):
            raise forms.ValidationError(
                _("At most %(n)d items of 64 characters.") % {"n": MAX_ITEMS}
            )
        return list(dict.fromkeys(items))


class CapacityField(forms.CharField):
    """Most open conversations per channel kind: "chat=3, email=20, *=10"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Most open conversations at once per channel, e.g. “chat=3, email=20, *=10” "
                "(* is every other channel; left empty, %(n)d of each)."
            )
            % {"n": settings.SAHAYAK_ROUTING_DEFAULT_CAPACITY},
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return ", ".join(f"{k}={v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, int]:  # type: ignore[override]
        return parse_capacity(super().to_python(value) or "")


def parse_capacity(text: str) -> dict[str, int]:
    known = {c.kind for c in channels.channels()} | {"*"}
    capacity: dict[str, int] = {}
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        kind, sep, number = item.partition("=")
        kind = kind.strip().casefold()
        if not sep or not number.strip().isdigit():
            raise forms.ValidationError(
                _("Write each as channel=number: “%(item)s”.") % {"item": item}
            )
        if kind not in known:
            raise forms.ValidationError(_("Unknown channel: %(kind)s") % {"kind": kind})
        capacity[kind] = min(int(number), MAX_CAPACITY)
    return capacity


class WeeklyField(forms.CharField):
    """Opening hours, one line per day: "mon 09:00-17:00, 21:00-02:00"."""

    widget = forms.Textarea(attrs={"rows": 7})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "One line per day (mon … sun), times in the calendar's zone, e.g. "
                "“mon 09:00-17:00”. An end before the start runs past midnight "
                "(21:00-02:00); 00:00-00:00 is the whole day. Days left out are closed."
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(
                f"{DAYS[int(day)]} " + ", ".join(f"{a}-{b}" for a, b in spans)
                for day, spans in sorted(value.items(), key=lambda kv: int(kv[0]))
                if spans
            )
        return value

    def to_python(self, value: Any) -> dict[str, list[list[str]]]:  # type: ignore[override]
        return parse_weekly(super().to_python(value) or "")


def parse_weekly(text: str) -> dict[str, list[list[str]]]:
    weekly: dict[str, list[list[str]]] = {}
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        day, _sep, rest = line.partition(" ")
        if day[:3].casefold() not in DAYS:
            raise forms.ValidationError(
                _("Start each line with a day (mon … sun): “%(line)s”.") % {"line": line}
            )
        spans = weekly.setdefault(str(DAYS.index(day[:3].casefold())), [])
        for part in (p.strip() for p in rest.split(",") if p.strip()):
            match = _SPAN.match(part)
            if not match:
                raise forms.ValidationError(
                    _("Write hours as 09:00-17:00: “%(part)s”.") % {"part": part}
                )
            try:
                start, end = (time.fromisoformat(t.zfill(5)) for t in match.groups())
            except ValueError as exc:
                raise forms.ValidationError(
                    _("Not a time of day: “%(part)s”.") % {"part": part}
                ) from exc
            spans.append([start.strftime("%H:%M"), end.strftime("%H:%M")])
    return weekly


class AgentRoutingForm(forms.ModelForm):
    capacity = CapacityField(label=gettext_lazy("Capacity"))
    skills = ListField(label=gettext_lazy("Skills"))
    languages = ListField(
        label=gettext_lazy("Languages"),
        help_text=gettext_lazy("Language codes, e.g. “el, fr, hi”."),
    )

    class Meta:
        model = AgentRouting
        fields = ("away", "capacity", "skills", "languages", "backup")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        backup = self.fields["backup"]
        assert isinstance(backup, forms.ModelChoiceField)
        backup.queryset = User.objects.filter(is_active=True).exclude(pk=self.instance.user_id)

    def clean_languages(self) -> list[str]:
        codes = {code for code, _name in settings.LANGUAGES}
        languages: list[str] = self.cleaned_data["languages"]
        for code in languages:
            if code.split("-")[0] not in codes and not re.fullmatch(
                r"[a-z]{2,3}(-[a-z0-9]+)?", code
            ):
                raise forms.ValidationError(_("Not a language code: %(code)s") % {"code": code})
        return languages


class RoutingPolicyForm(forms.ModelForm):
    target = forms.ChoiceField(label=gettext_lazy("For"))
    skills = ListField(label=gettext_lazy("Required skills"))

    class Meta:
        model = RoutingPolicy
        fields = (
            "policy",
            "order",
            "calendar",
            "skills",
            "language_wait_seconds",
            "return_after_minutes",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        taken = RoutingPolicy.objects.exclude(pk=self.instance.pk)
        used_inboxes = set(taken.values_list("inbox_id", flat=True))
        used_teams = set(taken.values_list("team_id", flat=True))
        choices = [
            (f"inbox:{i.pk}", _("Inbox: %(name)s") % {"name": i.name})
            for i in Inbox.objects.order_by("name")
            if i.pk not in used_inboxes
        ]
        choices += [
            (f"team:{t.pk}", _("Team: %(name)s") % {"name": t.name})
            for t in Team.objects.order_by("name")
            if t.pk not in used_teams
        ]
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = choices
        if self.instance.pk:
            self.initial["target"] = (
                f"inbox:{self.instance.inbox_id}"
                if self.instance.inbox_id
                else f"team:{self.instance.team_id}"
            )

    def clean_target(self) -> str:
        value: str = self.cleaned_data["target"]
        kind, _sep, pk = value.partition(":")
        self.instance.inbox_id = int(pk) if kind == "inbox" else None
        self.instance.team_id = int(pk) if kind == "team" else None
        return value


class CalendarForm(forms.ModelForm):
    weekly = WeeklyField(label=gettext_lazy("Weekly hours"))
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"))
    away_messages = forms.CharField(
        label=gettext_lazy("Out-of-office replies"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One per language, “fr: Nous sommes fermés…”; “*: …” for any other. "
            "{opens} is replaced by when the team is back, in the customer's time zone."
        ),
    )

    class Meta:
        model = Calendar
        fields = ("name", "time_zone", "weekly", "away_reply", "away_messages")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.fields["time_zone"]
        assert isinstance(zone, forms.ChoiceField)
        zone.choices = [(z, z) for z in sorted(available_timezones())]
        if isinstance(self.initial.get("away_messages"), dict):
            self.initial["away_messages"] = "\n".join(
                f"{k}: {v}" for k, v in self.initial["away_messages"].items()
            )

    def clean_away_messages(self) -> dict[str, str]:
        messages: dict[str, str] = {}
        for line in (self.cleaned_data["away_messages"] or "").splitlines():
            if not line.strip():
                continue
            code, sep, text = line.partition(":")
            code = code.strip().casefold()
            if not sep or not text.strip() or not re.fullmatch(r"\*|[a-z]{2,3}(-[a-z0-9]+)?", code):
                raise forms.ValidationError(
                    _("Start each reply with a language code and a colon: “%(line)s”.")
                    % {"line": line[:60]}
                )
            messages[code] = text.strip()[:2000]
        return messages


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ("day", "yearly", "name")
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}


class HolidayImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("iCalendar file (.ics)"),
        help_text=gettext_lazy("All-day events become holidays; yearly ones repeat every year."),
    )


class SlaPolicyForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"), required=False, widget=forms.CheckboxSelectMultiple
    )
    inboxes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Inboxes"), queryset=Inbox.objects.order_by("name"), required=False
    )
    teams = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Teams"), queryset=Team.objects.order_by("name"), required=False
    )
    priorities = forms.MultipleChoiceField(
        label=gettext_lazy("Priorities"),
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = ListField(label=gettext_lazy("Tags (any of)"))
    organizations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Customer organizations"),
        queryset=Organization.objects.order_by("name"),
        required=False,
    )
    custom_field = forms.CharField(
        label=gettext_lazy("Custom field equals"),
        required=False,
        help_text=gettext_lazy("name=value; one per line."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "name",
            "position",
            "is_active",
            "first_response_minutes",
            "next_response_minutes",
            "periodic_update_minutes",
            "resolution_minutes",
            "business_hours",
            "calendar",
            "warn_minutes",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["channels"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(c.kind, c.label) for c in channels.channels()]
        conditions = self.instance.conditions or {}
        self.initial.update(
            channels=conditions.get("channel", []),
            inboxes=conditions.get("inbox", []),
            teams=conditions.get("team", []),
            priorities=conditions.get("priority", []),
            tags=conditions.get("tag", []),
            organizations=conditions.get("organization", []),
            custom_field="\n".join(
                f"{k}={v}" for k, v in (conditions.get("custom_field") or {}).items()
            ),
        )

    def clean_custom_field(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for line in (self.cleaned_data["custom_field"] or "").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(
                    _("Write name=value: “%(line)s”.") % {"line": line[:60]}
                )
            pairs[name.strip()] = value.strip()
        return pairs

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        targets = (
            "first_response_minutes",
            "next_response_minutes",
            "periodic_update_minutes",
            "resolution_minutes",
        )
        if not any(data.get(t) for t in targets):
            raise forms.ValidationError(_("Set at least one target."))
        return data

    def save(self, commit: bool = True) -> SlaPolicy:
        data = self.cleaned_data
        conditions = {
            "channel": data["channels"],
            "inbox": [i.pk for i in data["inboxes"]],
            "team": [t.pk for t in data["teams"]],
            "priority": data["priorities"],
            "tag": data["tags"],
            "organization": [o.pk for o in data["organizations"]],
            "custom_field": data["custom_field"],
        }
        self.instance.conditions = {k: v for k, v in conditions.items() if v}
        policy: SlaPolicy = super().save(commit=commit)
        return policy
