"""Every string the widget shows, translated on the server into the visitor's language."""

from __future__ import annotations

from django.utils.translation import gettext as _


def widget_strings() -> dict[str, str]:
    return {
        "open": _("Chat with us"),
        "suggested": _("These articles may answer your question:"),
        "close": _("Close the chat"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "you": _("You"),
        "agent": _("Agent"),
        "bot": _("Answer bot"),
        "rate_us": _("Rate our help from 1 (very poor) to 5 (excellent):"),
        "rated": _("Thank you for your rating!"),
        "typing": _("%(name)s is typing…"),
        "seen": _("Seen"),
        "sending": _("Sending…"),
        "failed": _("Not sent"),
        "retry": _("Retry"),
        "online": _("We are online"),
        "offline": _(
            "We are away right now. Leave a message and your email address, and we will answer by email."
        ),
        "reconnecting": _("Reconnecting…"),
        "name": _("Your name"),
        "email": _("Your email"),
        "start": _("Start the chat"),
        "prechat": _("Tell us who you are, so that we can follow up."),
        "leave": _("Leave a message"),
        "left": _("Thank you! We will answer by email."),
        "transcript": _("Email me this conversation"),
        "transcript_sent": _("The transcript is on its way."),
        "too_large": _("The file is too large."),
        "bad_type": _("Files of this type cannot be sent here."),
        "too_long": _("The message is too long."),
        "rate": _("Too many messages; please wait a moment."),
    }
