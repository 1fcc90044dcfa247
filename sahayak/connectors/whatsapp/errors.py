"""What the WhatsApp Cloud API's error codes mean, for agents (shown beside the provider's
own words on a failed message)."""

from django.utils.translation import gettext_lazy as _

TEXTS = {
    "131047": _(
        "More than 24 hours have passed since the customer last wrote: send an approved template."
    ),
    "131026": _(
        "The message could not be delivered: the number may not be on WhatsApp, or the customer has not accepted the new terms."
    ),
    "131051": _("WhatsApp does not support this kind of message."),
    "131052": _("The customer's file could not be downloaded."),
    "131053": _("The file could not be uploaded: check its type and size."),
    "132000": _("The template's variables do not match the approved template."),
    "132001": _("The template does not exist in this language, or is not approved."),
    "132015": _("The template is paused because of low quality."),
    "131049": _("WhatsApp did not deliver this marketing message to keep engagement healthy."),
    "131050": _("The customer has stopped marketing messages from this business."),
    "130429": _("Too many messages per second: it will be tried again."),
    "131056": _("Too many messages to this customer in a short time: it will be tried again."),
    "190": _("The access token has expired or was revoked: update it on the Channels page."),
    "100": _("A parameter was not accepted by WhatsApp."),
}
