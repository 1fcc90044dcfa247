"""Forms of the agent workspace."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact, Organization


@cache
def time_zone_ids() -> frozenset[str]:
    return frozenset(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")


class TimeZoneInput(forms.TextInput):
    """A time zone typed or picked from suggestions in the viewer's language (the list is
    fetched once, when the field is first used, rather than sent with every page)."""

    template_name = "web/widgets/time_zone.html"

    def __init__(self) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", "dir": "ltr"})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["options_url"] = reverse("web:time_zones")
        return context


class TimeZoneField(forms.CharField):
    widget = TimeZoneInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label=_("Time zone"), max_length=64, **kwargs)

    def clean(self, value: Any) -> str:
        zone = super().clean(value).strip()
        if zone and zone not in time_zone_ids():
            raise forms.ValidationError(
                _("“%(zone)s” is not a time zone: pick one of the suggestions, like Asia/Kolkata."),
                params={"zone": zone},
                code="invalid",
            )
        return zone


class ProfileForm(forms.ModelForm):
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = TimeZoneField()

    class Meta:
        model = User
        fields = (
            "first_name",
            "last_name",
            "locale",
            "time_zone",
            "notify_assignments",
            "notify_customer_replies",
            "notify_browser",
            "notify_sound",
            "claim_on_reply",
        )


class ContactForm(forms.ModelForm):
    locale = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    time_zone = TimeZoneField(required=False)
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.order_by("name"), required=False
    )

    class Meta:
        model = Contact
        fields = ("name", "locale", "time_zone", "organization")
