"""Channel connectors: one Django app per channel, each registering itself with the core's
channel port (``sahayak.conversations.channels``). See docs/channels.md."""
