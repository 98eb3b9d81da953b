"""POST /api/transcribe: one WAV file in, its transcript out.

200  {"text", "language", "engine", "duration_s"}
400  no audio: the form has no `file` field, or the body is empty
401  API_KEYS is set and the request has no valid key (backend/app/gate.py)
403  the request comes from a page whose origin is not allowed (backend/app/gate.py)
408  the body took longer than UPLOAD_TIMEOUT_S to arrive
413  larger than MAX_UPLOAD_BYTES
415  neither multipart/form-data nor audio/wav, or the bytes are not a RIFF/WAVE file
422  a WAV the service cannot use: corrupt, or not 16 kHz mono 16-bit PCM
429  the client has too many connections open, or sent its audio seconds for the minute
500  the local engine failed
503  the remote engine (the Space) failed, timed out or could not be reached
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from backend.app.clients import ClientLimitError, client_of
from backend.app.deps import EngineDep, ServiceDep, SettingsDep
from backend.app.upload import read_wav
from featherweight.asr.base import SAMPLE_RATE
from featherweight.audio import decode_wav
from featherweight.errors import AudioError, FeatherweightError, RemoteEngineError

router = APIRouter(tags=["asr"])

WAV_BODY = {
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        "audio/wav": {"schema": {"type": "string", "format": "binary"}},
    },
    "required": True,
}


class TranscriptOut(BaseModel):
    text: str
    language: str | None
    engine: str
    duration_s: float


@router.post("/api/transcribe", openapi_extra={"requestBody": WAV_BODY})
async def transcribe(
    request: Request, service: ServiceDep, engine: EngineDep, settings: SettingsDep
) -> TranscriptOut:
    """Transcribe one 16 kHz mono 16-bit WAV file."""
    client = client_of(request)
    try:
        client.check_audio()  # before reading: a client out of audio time sends nothing
        data = await read_wav(request, settings.max_upload_bytes, settings.upload_timeout_s)
        try:
            pcm = decode_wav(data)
        except AudioError as exc:
            raise HTTPException(422, str(exc)) from None
        client.charge_audio(len(pcm) / (2 * SAMPLE_RATE))
    except ClientLimitError as exc:
        headers = {"Retry-After": str(exc.retry_after)}
        raise HTTPException(429, exc.message, headers=headers) from None
    try:
        transcript = await service.call(engine.transcribe, pcm)
    except RemoteEngineError as exc:
        raise HTTPException(503, f"the remote engine failed: {exc}") from None
    except FeatherweightError as exc:
        raise HTTPException(500, f"the engine failed: {exc}") from None
    return TranscriptOut(
        text=transcript.text.strip(),
        language=transcript.language,
        engine=engine.name,
        duration_s=round(len(pcm) / (2 * SAMPLE_RATE), 3),
    )
