"""The ASGI entry point served by uvicorn.

HTTP requests run through Django's synchronous handler on a pool of warm threads
(a2wsgi): one thread hop per request, and each thread keeps its database connection.
Django's own async path would hop between the event loop and threads for every
middleware hook of a sync application, costing several milliseconds per request.
Websockets go to Channels consumers (agent live updates and presence, chat visitors).
"""

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sahayak.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

django_http = get_wsgi_application()  # sets Django up before the consumers are imported

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from sahayak.connectors.chat.consumer import VisitorConsumer  # noqa: E402
from sahayak.realtime.consumers import AgentConsumer  # noqa: E402
from sahayak.realtime.publish import remember_server_loop  # noqa: E402
from sahayak.request_body import WholeBody  # noqa: E402

router = ProtocolTypeRouter(
    {
        # The body is read on the loop first: a client that hangs up right after sending
        # a complete request still has it processed (see sahayak.request_body).
        "http": WholeBody(
            WSGIMiddleware(  # type: ignore[arg-type]
                django_http,  # type: ignore[arg-type]
                workers=int(os.environ.get("SAHAYAK_HTTP_THREADS", "4")),
            )
        ),
        "websocket": URLRouter(
            [
                # Agents: only from Sahayak's own host, signed in.
                path(
                    "ws/agent/",
                    AllowedHostsOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi())),
                ),
                # Visitors come from the business's sites: the consumer checks the inbox's
                # allowed origins.
                path("ws/chat/<str:public_key>/", VisitorConsumer.as_asgi()),
            ]
        ),
    }
)


from sahayak.memory import tune_collector  # noqa: E402

tune_collector()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    remember_server_loop()
    await router(scope, receive, send)
