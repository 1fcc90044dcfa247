"""What Messenger and Instagram's Send API errors mean, for agents."""

from django.utils.translation import gettext_lazy as _

TEXTS = {
    "10": _("Meta refused the message: outside the 24-hour window without a permitted tag."),
    "551": _("The customer is not available to receive messages right now."),
    "100": _("Meta did not accept a parameter (the customer may no longer be reachable)."),
    "190": _("The page's access token has expired or was revoked: update it on the Channels page."),
    "200": _("The app lacks the permission to send this message."),
    "613": _("Too many messages: it will be tried again."),
    "2018278": _("Meta refused the message: outside the 24-hour window without a permitted tag."),
}
