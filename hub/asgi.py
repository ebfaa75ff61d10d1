"""ASGI entry point: HTTP goes to Django (votes in a burst through hub.hot_path), websockets to live/ through
Channels."""

from __future__ import annotations

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
django.setup(set_prefix=False)

from debates import views_hot  # noqa: E402
from hub.handlers import SyncChainASGIHandler  # noqa: E402
from hub.hot_path import GroupCommit, HotPath  # noqa: E402

views_hot.install(GroupCommit)  # the domain's hot writes, batched by the wiring (the domain never imports hub)
HOT_VIEWS = views_hot.HOT_VIEWS

django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs the app registry ready)
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from hub.static_files import StaticFilesASGI  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402
from live.runtime import bind_loop  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": StaticFilesASGI(HotPath(django_asgi_app, HOT_VIEWS)),
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)


# A server process: what was loaded so far lives as long as the process, so the garbage collector need not scan it
# again (gc.freeze), and it runs less often (settings.GC_THRESHOLDS).
gc.collect()
gc.freeze()
if settings.GC_THRESHOLDS:
    gc.set_threshold(*settings.GC_THRESHOLDS)


async def application(scope, receive, send):
    # Remember the server's loop so sync services can hand broadcasts to it.
    bind_loop()
    return await router(scope, receive, send)
