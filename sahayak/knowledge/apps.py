from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "sahayak.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import receivers
        from .search.vocabulary import learn_from_messages

        receivers.connect()
        # Words of new messages, for typo correction: off the path that stores them.
        periodic.register("learn-search-words", learn_from_messages, every_seconds=60)
