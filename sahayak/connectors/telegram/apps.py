from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class TelegramConfig(AppConfig):
    name = "sahayak.connectors.telegram"
    label = "telegram"
    verbose_name = _("Telegram")

    def ready(self) -> None:
        from sahayak.connectors.messaging.setup import Field, Setup, register_setup, shared_pages
        from sahayak.conversations import channels

        channels.register(
            channels.Channel(
                kind="telegram",
                label=_("Telegram"),
                adapter="sahayak.connectors.telegram.outbound.TelegramAdapter",
                identity_kinds=("telegram",),
                icon="M3 11l18-7-3 16-6-5-3 4v-5l9-8-11 7z",
                capabilities=channels.Capabilities(
                    messaging=True,
                    max_attachment_bytes=min(
                        50 * 1024 * 1024, settings.SAHAYAK_MAX_ATTACHMENT_BYTES
                    ),
                ),
                **shared_pages(),
                webhook_urls=("telegram/", "sahayak.connectors.telegram.urls"),
                error_texts="sahayak.connectors.telegram.errors.TEXTS",
                app=self.name,
            )
        )
        register_setup(
            Setup(
                kind="telegram",
                fields=(
                    Field("bot_token", _("Bot token"), _("From @BotFather."), secret=True),
                    Field(
                        "mode",
                        _("Receive by"),
                        _(
                            "A webhook needs SAHAYAK_PUBLIC_URL reachable from Telegram; long polling works from any machine."
                        ),
                        type="choice",
                        choices=(("webhook", _("Webhook")), ("polling", _("Long polling"))),
                        default="polling",
                    ),
                    Field(
                        "groups",
                        _("Group chats"),
                        _(
                            "Handled: a group is one conversation; refused: messages in groups are ignored."
                        ),
                        type="choice",
                        choices=(("refuse", _("Refuse")), ("handle", _("Handle"))),
                        default="refuse",
                    ),
                    Field(
                        "secret_token",
                        _("Webhook secret"),
                        secret=True,
                        required=False,
                        generated=True,
                    ),
                ),
                check="sahayak.connectors.telegram.client.check",
                process="sahayak.connectors.telegram.inbound.process",
                webhook="telegram:webhook",
                after_save="sahayak.connectors.telegram.polling.apply_mode",
                instructions=_(
                    "Create a bot with @BotFather and paste its token. With a webhook, "
                    "Sahayak registers the address below with Telegram itself; with long "
                    "polling, `sahayak serve` (or `sahayak telegram`) fetches new messages."
                ),
            )
        )
