"""POST /api/transcribe: one WAV file in, its transcript out.

200  {"text", "language", "engine", "duration_s"}
400  no audio: the form has no `file` field, or the body is empty
401  API_KEYS is set and the request has no valid key (backend/app/gate.py)
403  the request comes from a page whose origin is not allowed (backend/app/gate.py)
408  the body took longer than UPLOAD_TIMEOUT_S to arrive
413  larger than MAX_UPLOAD_BYTES
415  neither multipart/form-data nor audio/wav, or the bytes are not a RIFF/WAVE file
422  a WAV the service cannot use: corrupt, or not 16 kHz mono 16-bit PCM
429  the client has too many connections open, sent its audio seconds for the minute, or
     made MAX_CALLS_PER_MINUTE engine calls in the last minute (Retry-After)
500  the local engine failed (the body gives an error id for the server log)
503  the engine queue is full or the server is restarting (Retry-After), or the remote
     engine (the Space) failed, timed out or could not be reached (an error id)
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from backend.app.clients import ClientLimitError, client_of
from backend.app.deps import EngineDep, ServiceDep, SettingsDep
from backend.app.errors import ShuttingDownError, http_error
from backend.app.upload import read_wav
from featherweight.asr.base import SAMPLE_RATE
from featherweight.audio import decode_wav
from featherweight.errors import AudioError, FeatherweightError

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
    if service.drain.draining:
        raise http_error(ShuttingDownError("the server is restarting: try again", 1.0))
    client = client_of(request)
    with service.drain.work() as work:
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
            transcript = await service.transcribe(pcm, client.address)
        except FeatherweightError as exc:
            raise http_error(exc) from None
    if work.cancelled_caught:  # the shutdown grace period ended first
        raise http_error(ShuttingDownError("the server restarted before it finished", 1.0))
    return TranscriptOut(
        text=transcript.text.strip(),
        language=transcript.language,
        engine=engine.name,
        duration_s=round(len(pcm) / (2 * SAMPLE_RATE), 3),
    )
