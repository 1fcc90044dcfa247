from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "sahayak.connectors.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        from sahayak.contacts.identities import register_identity_kind
        from sahayak.contacts.services import contact_split, identity_keepers
        from sahayak.conversations import channels

        from .merges import follow_chat_identities, keep_verified_visitors

        if keep_verified_visitors not in identity_keepers:
            identity_keepers.append(keep_verified_visitors)
        contact_split.connect(follow_chat_identities, dispatch_uid="chat-split")

        register_identity_kind("chat", _("Chat visitor"), "opaque")
        channels.register(
            channels.Channel(
                kind="chat",
                label=_("Chat"),
                adapter="sahayak.connectors.chat.outbound.ChatAdapter",
                identity_kinds=("chat",),
                icon="M4 5h16v11H9l-5 4z",
                capabilities=channels.Capabilities(
                    messaging=True,
                    read_receipts=True,
                    max_attachment_bytes=settings.SAHAYAK_CHAT_UPLOAD_BYTES,
                ),
                app=self.name,
            )
        )
