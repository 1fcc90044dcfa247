from django.apps import AppConfig


class PigeonConfig(AppConfig):
    name = "tests.connectors.throwaway"
    label = "pigeon"

    def ready(self) -> None:
        from sahayak.contacts.identities import register_identity_kind
        from sahayak.conversations import channels

        register_identity_kind("pigeon_loft", "Pigeon loft", "handle")
        channels.register(
            channels.Channel(
                kind="pigeon",
                label="Carrier pigeon",
                adapter="tests.connectors.throwaway.adapter.PigeonAdapter",
                identity_kinds=("pigeon_loft",),
                icon="M4 12h16",
                capabilities=channels.Capabilities(messaging=True),
                app=self.name,
            )
        )
