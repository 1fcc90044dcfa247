"""The settings form of a messaging channel, built from its registered ``Setup``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import Team

from .setup import Setup


class ChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, setup: Setup, *args: Any, secrets_set: set[str] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.setup = setup
        secrets_set = secrets_set or set()
        for field in setup.fields:
            help_text = str(field.help)
            label = str(field.label)
            if field.type == "bool":
                self.fields[field.name] = forms.BooleanField(
                    label=label, required=False, help_text=help_text
                )
            elif field.type == "choice":
                self.fields[field.name] = forms.ChoiceField(
                    label=label, choices=field.choices, help_text=help_text
                )
            elif field.secret:
                # Write-only: never sent back to the browser; empty keeps the stored one.
                if field.name in secrets_set:
                    help_text = f"{help_text} {_('Set; leave empty to keep it.')}".strip()
                self.fields[field.name] = forms.CharField(
                    label=label,
                    required=field.required and field.name not in secrets_set,
                    help_text=help_text,
                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                )
            else:
                self.fields[field.name] = forms.CharField(
                    label=label,
                    required=field.required and not field.generated,
                    help_text=help_text,
                    max_length=2000,
                )

    def values(self) -> dict[str, Any]:
        return {field.name: self.cleaned_data.get(field.name) for field in self.setup.fields}
