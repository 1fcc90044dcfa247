"""Forms of the survey settings (workspace)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Campaign, SurveySettings


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = SurveySettings
        fields = ["enabled", "delay_minutes", "once_per_days", "skip_tag"]

    def clean_delay_minutes(self) -> int:
        value = self.cleaned_data["delay_minutes"]
        if value > 60 * 24 * 30:
            raise forms.ValidationError(_("Wait at most 30 days."))
        return int(value)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "ordered_within_days", "per_hour"]

    def clean_per_hour(self) -> int:
        value = int(self.cleaned_data["per_hour"])
        if not 1 <= value <= 100_000:
            raise forms.ValidationError(_("Between 1 and 100,000 per hour."))
        return value
