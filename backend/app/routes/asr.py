"""WS /ws/asr: streaming recognition.

The server sends `ready` as soon as it accepts the connection. The client may then send
{"type":"start","sample_rate":16000,"encoding":"pcm_s16le","language":"auto"} (optional:
binary audio without it means these defaults; `language` is accepted and not used yet),
binary frames of 16 kHz mono s16le PCM, and {"type":"stop"}. The server answers with
`partial` (streaming engines), `final` {text, utterance} per utterance (segmented on
silence), and on bad input or failure `error` {code, message}, then closes:

    close  error codes
    1000   (none)          after stop, once the last final is sent
    1003   unsupported_sample_rate, unsupported_encoding
    1007   invalid_json, invalid_message, invalid_start, invalid_audio (odd byte count)
    1008   unknown_type, unexpected_start, idle_timeout, session_too_long (finals sent first),
           rate_limited (finals sent first); before the session: origin_not_allowed,
           unauthorized, too_many_connections (backend/app/gate.py)
    1009   frame_too_large
    1011   engine_error
    1013   busy (too many sessions)
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from backend.app import protocol
from backend.app.clients import charge_frame
from backend.app.deps import EngineDep, ServiceDep, SettingsDep
from backend.app.protocol import ENGINE_FAILED, NORMAL, ProtocolError
from backend.app.session import Session
from featherweight.errors import FeatherweightError

router = APIRouter(tags=["asr"])


@router.websocket("/ws/asr")
async def recognise(
    websocket: WebSocket, service: ServiceDep, engine: EngineDep, settings: SettingsDep
) -> None:
    """Recognise speech streamed as PCM frames."""
    await websocket.accept()
    session = Session(service, engine, settings)
    try:
        with service.sessions.admit():
            await websocket.send_json(
                protocol.ready(engine.name, settings.max_frame_bytes, settings.max_session_s)
            )
            while not session.stopped:
                message = await receive(websocket, session)
                event = protocol.parse_message(message, settings.max_frame_bytes)
                charge_frame(websocket, event)  # the client's audio budget (clients.py)
                await send_all(websocket, await session.handle(event))
        await websocket.close(NORMAL)
    except ProtocolError as exc:
        await refuse(websocket, session, exc)
    except FeatherweightError as exc:  # an engine failed: this session ends, others go on
        await refuse(websocket, session, ProtocolError("engine_error", str(exc), ENGINE_FAILED))
    except WebSocketDisconnect:
        pass  # the client left; nothing to tell it
    finally:
        await session.abandon()


async def receive(websocket: WebSocket, session: Session) -> dict[str, Any]:
    """The next client message; raise on disconnect, idle timeout or the session's end."""
    with anyio.move_on_after(session.receive_timeout()):
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        return message
    raise session.timed_out()


async def send_all(websocket: WebSocket, replies: list[dict[str, Any]]) -> None:
    for reply in replies:
        await websocket.send_json(reply)


async def refuse(websocket: WebSocket, session: Session, exc: ProtocolError) -> None:
    """Send the error and close with its code; first the finals it owes, if it keeps audio."""
    try:
        if exc.flush:
            with contextlib.suppress(FeatherweightError):  # the error below says why it ends
                await send_all(websocket, await session.finish())
        await websocket.send_json(protocol.error(exc.code, exc.message))
        await websocket.close(exc.close_code)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client is already gone
