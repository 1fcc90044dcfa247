"""The mailbox settings form: fields of ``mailboxes.MailboxSettings``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings as django_settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import Team

from .mailboxes import MailboxSettings, ServerSettings

SECURITY = [("ssl", _("TLS (SSL)")), ("starttls", "STARTTLS"), ("none", _("None"))]


class MailboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.EmailField(label=_("Address"))
    aliases = forms.CharField(
        label=_("Other addresses"), required=False, help_text=_("One per line.")
    )
    from_name = forms.CharField(label=_("Sender name"), required=False, max_length=120)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    on_closed = forms.ChoiceField(
        label=_("A reply to a closed conversation"),
        choices=[("reopen", _("reopens it")), ("new", _("starts a new, linked conversation"))],
    )
    auto_reply = forms.BooleanField(
        label=_("Acknowledge new messages automatically"), required=False
    )
    subject_threading = forms.BooleanField(
        label=_("Thread replies by sender and subject"), required=False
    )
    subject_window_days = forms.IntegerField(label=_("Within days"), min_value=1, max_value=365)
    language = forms.ChoiceField(
        label=_("Language when it cannot be told"),
        required=False,
        help_text=_(
            "Used for a customer whose message is too short or unclear to tell its language."
        ),
    )
    imap_host = forms.CharField(label=_("IMAP server"), required=False)
    imap_port = forms.IntegerField(
        label=_("IMAP port"), required=False, min_value=1, max_value=65535
    )
    imap_security = forms.ChoiceField(label=_("IMAP security"), choices=SECURITY)
    imap_username = forms.CharField(label=_("IMAP user"), required=False)
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to keep the saved password."),
    )
    imap_folder = forms.CharField(label=_("IMAP folder"), initial="INBOX")
    imap_after = forms.ChoiceField(
        label=_("After storing a message"),
        choices=[("flag", _("flag it")), ("move", _("move it to a folder"))],
    )
    imap_move_to = forms.CharField(label=_("Folder to move to"), initial="Sahayak")
    smtp_host = forms.CharField(
        label=_("SMTP relay"), required=False, help_text=_("Empty: the server's default relay.")
    )
    smtp_port = forms.IntegerField(
        label=_("SMTP port"), required=False, min_value=1, max_value=65535
    )
    smtp_security = forms.ChoiceField(
        label=_("SMTP security"), choices=SECURITY, initial="starttls"
    )
    smtp_username = forms.CharField(label=_("SMTP user"), required=False)
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        widget=forms.PasswordInput,
        help_text=_("Leave empty to keep the saved password."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [
            ("", _("The site's default")),
            *(
                (code, get_language_info(code)["name_local"])
                for code, _n in django_settings.LANGUAGES
            ),
        ]

    @classmethod
    def initial_from(cls, settings: MailboxSettings) -> dict[str, Any]:
        data: dict[str, Any] = {
            key: getattr(settings, key)
            for key in (
                "name",
                "address",
                "from_name",
                "on_closed",
                "auto_reply",
                "subject_threading",
                "subject_window_days",
                "language",
                "imap_folder",
                "imap_after",
                "imap_move_to",
                "is_active",
            )
        }
        data["aliases"] = "\n".join(settings.aliases)
        data["team"] = settings.team_id
        for kind in ("imap", "smtp"):
            server = getattr(settings, kind)
            if server is not None:
                for field in ("host", "port", "security", "username"):
                    data[f"{kind}_{field}"] = getattr(server, field)
        return data

    def _server(self, kind: str) -> ServerSettings | None:
        data = self.cleaned_data
        if not data.get(f"{kind}_host"):
            return None
        security = data[f"{kind}_security"]
        default_port = {"imap": {"ssl": 993}, "smtp": {"ssl": 465, "starttls": 587}}[kind]
        return ServerSettings(
            host=data[f"{kind}_host"].strip(),
            port=data.get(f"{kind}_port")
            or default_port.get(security, 143 if kind == "imap" else 25),
            security=security,
            username=data.get(f"{kind}_username", ""),
            password=data.get(f"{kind}_password", ""),
        )

    def to_settings(self) -> MailboxSettings:
        data = self.cleaned_data
        team = data.get("team")
        return MailboxSettings(
            name=data["name"],
            address=data["address"],
            aliases=[line.strip() for line in data.get("aliases", "").splitlines() if line.strip()],
            from_name=data.get("from_name", ""),
            team_id=team.pk if team else None,
            on_closed=data["on_closed"],
            auto_reply=data["auto_reply"],
            subject_threading=data["subject_threading"],
            subject_window_days=data["subject_window_days"],
            language=data.get("language", ""),
            imap=self._server("imap"),
            imap_folder=data["imap_folder"],
            imap_after=data["imap_after"],
            imap_move_to=data["imap_move_to"],
            smtp=self._server("smtp"),
            is_active=data["is_active"],
        )
