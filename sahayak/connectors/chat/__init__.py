"""Website live chat: the embeddable widget, the visitor's websocket, replies pushed live."""
