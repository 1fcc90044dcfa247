"""What Twilio's error codes mean, for agents (shown beside the provider's words)."""

from django.utils.translation import gettext_lazy as _

TEXTS = {
    "21211": _("The number is not a valid phone number."),
    "21408": _("Sending to this country is not enabled on the SMS account."),
    "21610": _("The customer has opted out of messages from this number (they replied STOP)."),
    "21612": _("This number cannot receive messages from the sending number."),
    "21614": _("The number is not a mobile number."),
    "21617": _("The message is longer than the provider allows."),
    "20003": _("The SMS account's credentials were refused: update them on the Channels page."),
    "20429": _("Too many requests: it will be tried again."),
    "30003": _("The handset is switched off or unreachable."),
    "30004": _("The message was blocked by the customer or their carrier."),
    "30005": _("The number does not exist."),
    "30006": _("The number is a landline or cannot be reached by SMS."),
    "30007": _("The carrier filtered the message as spam."),
    "30008": _("The carrier could not deliver the message."),
}
