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
from django.conf import settings  # noqa: E402

from hub.hot_path import GroupCommit  # noqa: E402
from hub.proxies import TrustedProxies  # noqa: E402
from hub.static_files import StaticFilesASGI  # noqa: E402
from live import drain, wire  # noqa: E402
from live.origin import PublicOriginValidator  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402
from live.runtime import bind_loop  # noqa: E402
from debates.scheduler import start_ticker  # noqa: E402

# The client address comes from X-Forwarded-For only behind TRUSTED_PROXIES (hub.proxies); a websocket's Origin
# must be a public origin of the site, scheme, host and port (live.origin).
router = TrustedProxies(
    ProtocolTypeRouter(
        {
            "http": StaticFilesASGI(HotPath(django_asgi_app, HOT_VIEWS)),
            "websocket": PublicOriginValidator(URLRouter(websocket_urlpatterns)),
        }
    )
)

# Under daphne: autobahn refuses oversized websocket frames while reading them; SIGTERM drains the process (its
# sockets told to reconnect elsewhere, its pending vote batches written) before it exits.
wire.configure_daphne_at_startup(settings.LIVE_MAX_FRAME_BYTES)
drain.on_drain(GroupCommit.wait_all_idle)
drain.install_sigterm()


# A server process: what was loaded so far lives as long as the process, so the garbage collector need not scan it
# again (gc.freeze), and it runs less often (settings.GC_THRESHOLDS).
gc.collect()
gc.freeze()
if settings.GC_THRESHOLDS:
    gc.set_threshold(*settings.GC_THRESHOLDS)


async def application(scope, receive, send):
    # Remember the server's loop so sync services can hand broadcasts to it.
    bind_loop()
    start_ticker()  # this process's periodic scheduler tick (debates.scheduler), started once
    return await router(scope, receive, send)
