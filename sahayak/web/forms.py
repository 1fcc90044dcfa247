"""Forms of the agent workspace."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact, Organization


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return [(zone, zone.replace("_", " ")) for zone in zones]


class ProfileForm(forms.ModelForm):
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = User
        fields = (
            "first_name",
            "last_name",
            "locale",
            "time_zone",
            "notify_browser",
            "notify_sound",
        )


class ContactForm(forms.ModelForm):
    locale = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=lambda: [("", "—"), *time_zone_choices()], required=False
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"), queryset=Organization.objects.order_by("name"), required=False
    )

    class Meta:
        model = Contact
        fields = ("name", "locale", "time_zone", "organization")
