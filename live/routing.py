from __future__ import annotations

from django.urls import re_path

from .consumers import DebateConsumer

CODE = r"(?P<code>[A-Za-z0-9]{6})"

websocket_urlpatterns = [
    re_path(rf"^ws/d/{CODE}/$", DebateConsumer.as_asgi(), {"kind": "public"}),
    re_path(rf"^ws/d/{CODE}/screen/(?P<token>[A-Za-z0-9_\-]{{8,64}})/$", DebateConsumer.as_asgi(), {"kind": "screen"}),
    re_path(rf"^ws/d/{CODE}/moderate/$", DebateConsumer.as_asgi(), {"kind": "moderators"}),
]
