"""The service's app with a bare WebSocket echo beside it, for the per-frame figure.

`/bench/echo` sends every message back as it came and closes 1000 on `{"type": "stop"}`; it is
raw ASGI, so a frame costs only uvicorn's WebSocket layer. Every other path goes to the service
unchanged, in the same process: the two endpoints share the server, its event loop and its
WebSocket implementation. Production code is not touched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from backend.app.main import app as service

ECHO_PATH = "/bench/echo"
STOP = '{"type": "stop"}'
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket" and scope["path"] == ECHO_PATH:
        await echo(receive, send)
    else:
        await service(scope, receive, send)


async def echo(receive: Receive, send: Send) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == STOP:
            await send({"type": "websocket.close", "code": 1000})
            return
        reply = {
            "type": "websocket.send",
            "bytes": message.get("bytes"),
            "text": message.get("text"),
        }
        await send(reply)
