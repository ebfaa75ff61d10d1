"""Static files served at the ASGI level, before Django's middleware.

WhiteNoise's middleware would run inside Django's middleware chain, in a worker thread, for every request. This
wrapper uses WhiteNoise's own file index and responses (compression, caching headers, immutable hashed names)
but answers static files on the event loop, so they never take a worker thread and other requests never pass
through it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from whitenoise.middleware import WhiteNoiseMiddleware

ASGIApp = Any


class StaticFilesASGI:
    def __init__(self, application: ASGIApp) -> None:
        self.application = application
        self.index = WhiteNoiseMiddleware(get_response=None)  # builds the index from settings, as the middleware would
        self.prefix = self.index.static_prefix

    def find(self, path: str):
        if self.index.autorefresh:
            return self.index.find_file(path)
        return self.index.files.get(path)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.application(scope, receive, send)
        static_file = self.find(scope["path"])
        if static_file is None:
            return await self.application(scope, receive, send)
        # WhiteNoise reads request headers WSGI-style (HTTP_IF_NONE_MATCH, HTTP_ACCEPT_ENCODING…).
        environ = {
            "HTTP_" + k.decode("latin-1").upper().replace("-", "_"): v.decode("latin-1")
            for k, v in scope.get("headers", [])
        }
        response = static_file.get_response(scope["method"], environ)
        body = b""
        if response.file is not None:
            try:
                body = await asyncio.to_thread(response.file.read)
            finally:
                response.file.close()
        headers = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in response.headers]
        await send({"type": "http.response.start", "status": int(response.status), "headers": headers})
        await send({"type": "http.response.body", "body": body})
