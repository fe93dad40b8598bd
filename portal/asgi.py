"""ASGI entry point: HTTP through Django, websockets through Channels (origin checked, session auth)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_asgi_app = get_asgi_application()  # first: the routing below imports consumers, which import models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from portal.routing import websocket_urlpatterns  # noqa: E402
from procedures.execution import reaper  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# The embedded profile runs its steps in this process's thread pool: the reaper runs here too (at start-up for
# what a previous process left, then periodically). With Celery workers, `manage.py reap --loop` does it.
reaper.start_embedded()
