"""The ASGI entry point served by uvicorn.

HTTP requests run through Django's synchronous handler on a pool of warm threads
(a2wsgi): one thread hop per request, and each thread keeps its database connection.
Django's own async path would hop between the event loop and threads for every
middleware hook of a sync application, costing several milliseconds per request.
Other scopes (websockets, when they come) go to Django's ASGI handler.
"""

import os
from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sahayak.settings")

django_asgi = get_asgi_application()
http = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]
    workers=int(os.environ.get("SAHAYAK_HTTP_THREADS", "4")),
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await http(scope, receive, send)  # type: ignore[arg-type]
    else:
        await django_asgi(scope, receive, send)
