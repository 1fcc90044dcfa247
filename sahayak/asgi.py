"""The ASGI entry point served by uvicorn.

HTTP requests run through Django's synchronous handler on a pool of warm threads
(a2wsgi): one thread hop per request, and each thread keeps its database connection.
Django's own async path would hop between the event loop and threads for every
middleware hook of a sync application, costing several milliseconds per request.
a2wsgi answers lifespan events and closes websockets; realtime routing will wrap this.
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sahayak.settings")

application = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]
    workers=int(os.environ.get("SAHAYAK_HTTP_THREADS", "4")),
)
