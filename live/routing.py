from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from django.urls import re_path

from .consumers import DebateConsumer

CODE = r"(?P<code>[A-Za-z0-9]{6})"

# Citizens and the screen are anonymous: their sockets skip the session/user lookup (two database round trips per
# handshake). Only the moderators' socket needs to know who is connecting.
websocket_urlpatterns = [
    re_path(rf"^ws/d/{CODE}/$", DebateConsumer.as_asgi(), {"kind": "public"}),
    re_path(rf"^ws/d/{CODE}/screen/(?P<token>[A-Za-z0-9_\-]{{8,64}})/$", DebateConsumer.as_asgi(), {"kind": "screen"}),
    re_path(rf"^ws/d/{CODE}/moderate/$", AuthMiddlewareStack(DebateConsumer.as_asgi()), {"kind": "moderators"}),
]
