"""A channel made up for tests: one package and one app entry, nothing else, must be
enough for a channel to appear everywhere (see test_channel_port.py)."""
