"""WS /ws/asr: streaming recognition.

The server sends `ready` as soon as it accepts the connection. The client may then send
{"type":"start","sample_rate":16000,"encoding":"pcm_s16le","language":"auto"} (optional:
binary audio without it means these defaults; `language` is accepted and not used yet),
binary frames of 16 kHz mono s16le PCM, and {"type":"stop"}. The server answers with
`partial` (streaming engines), `final` {text, utterance} per utterance (segmented on
silence), and on bad input or failure `error` {code, message, error_id?, retry_after_s?},
then closes:

    close  error codes
    1000   (none)          after stop, once the last final is sent
    1003   unsupported_sample_rate, unsupported_encoding
    1007   invalid_json, invalid_message, invalid_start, invalid_audio (odd byte count)
    1008   unknown_type, unexpected_start, idle_timeout, session_too_long,
           too_many_utterances, rate_limited (finals first, for the last four);
           before the session: origin_not_allowed, unauthorized, too_many_connections
           (backend/app/gate.py)
    1009   frame_too_large
    1011   engine_error (with an error_id for the server log)
    1012   shutting_down (finals first, unless the shutdown grace period is over)
    1013   busy (with retry_after_s)
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from backend.app.deps import ServiceDep, SettingsDep
from backend.app.errors import public_error
from backend.app.protocol import ENGINE_FAILED, ProtocolError
from backend.app.session import Session, shutting_down

router = APIRouter(tags=["asr"])


@router.websocket("/ws/asr")
async def recognise(websocket: WebSocket, service: ServiceDep, settings: SettingsDep) -> None:
    """Recognise speech streamed as PCM frames."""
    await websocket.accept()
    session = Session(websocket, service, settings)
    with service.drain.work() as work:
        try:
            if service.drain.draining:
                raise shutting_down()
            with service.sessions.admit():
                if await session.greet():
                    await session.run()
        except ProtocolError as exc:  # refused before it started
            session.outcome = exc
        except Exception as exc:  # a bug: logged with its traceback under an error id
            failure = public_error(exc, f"session {session.id}")
            session.outcome = ProtocolError(
                failure.code, failure.message, ENGINE_FAILED, error_id=failure.error_id
            )
            session.outcome.logged = True
    if work.cancelled_caught:  # the shutdown grace period is over
        session.outcome = shutting_down()
    await session.close()
