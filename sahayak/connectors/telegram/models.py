from django.db import models

from sahayak.conversations.models import Inbox


class PollCursor(models.Model):
    """The next update a long-polling Telegram inbox asks for. It moves past an update
    only after the update is stored: a poller killed in between asks again, and the
    message's external id keeps the second copy out."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="telegram_cursor")
    offset = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"telegram cursor {self.offset} of inbox {self.inbox_id}"
