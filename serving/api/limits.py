"""A limit on request bodies, enforced while the body is read.

A declared `Content-Length` over the limit is refused on the first read, before any byte is
buffered; a streamed body is counted as it arrives. The refusal is an `HTTPException(413)`
raised from `receive`, which FastAPI lets through its body parser to the error handlers
(JSON answer, audited). Starlette's own limit answers in plain text, hence this one.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit"]


class BodySizeLimit:
    """`max_body_bytes` for every route, except the paths given their own limit in
    `path_limits` (posted extractions for scoring are larger than an interview record)."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        received = 0
        limit = self.path_limits.get(scope.get("path", ""), self.max_body_bytes)

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise HTTPException(413, f"request body over {limit} bytes")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body over {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
