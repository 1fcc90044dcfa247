from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Your email"), max_length=254)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    message = forms.CharField(label=_("How can we help?"), widget=forms.Textarea, max_length=20000)
    attachment = forms.FileField(label=_("Attachment (optional)"), required=False)
    # A token issued with the page: a resubmitted form (double click, reload) is stored once.
    submission = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_attachment(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data.get("attachment")
        if upload and upload.size > settings.SAHAYAK_MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(n)d MB).")
                % {"n": settings.SAHAYAK_MAX_ATTACHMENT_BYTES // (1024 * 1024)}
            )
        return upload
