"""What Telegram's errors mean, for agents."""

from django.utils.translation import gettext_lazy as _

TEXTS = {
    "403": _("The customer has blocked the bot, or the bot was removed from the chat."),
    "400": _("Telegram did not accept the message (the chat may no longer exist)."),
    "401": _("The bot token was refused: update it on the Channels page."),
    "429": _("Too many messages: it will be tried again."),
}
