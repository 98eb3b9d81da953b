"""Read the one WAV file a POST /api/transcribe request carries, within the size limit."""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile

WAV_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})
FORM_OVERHEAD = 16 * 1024  # multipart boundaries and part headers around the file
HOW = "send one WAV file as the multipart field 'file', or as the body with Content-Type audio/wav"


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the audio is larger than the limit of {limit} bytes")


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def read_form_file(request: Request, limit: int) -> bytes:
    length = declared_length(request)
    if length is not None and length > limit + FORM_OVERHEAD:
        raise too_large(limit)
    # The parser spools files to disk past 1 MiB, so an undeclared length cannot fill memory.
    async with request.form(max_files=1, max_fields=8) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(400, f"no field 'file' in the form: {HOW}")
        if upload.size is not None and upload.size > limit:
            raise too_large(limit)
        return await upload.read()


async def read_body(request: Request, limit: int) -> bytes:
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit)
    data = bytearray()
    async for piece in request.stream():
        data += piece
        if len(data) > limit:
            raise too_large(limit)
    return bytes(data)


async def read_wav(request: Request, limit: int) -> bytes:
    """The WAV bytes of the request, or an HTTPException: 400 none, 413 too big, 415 not WAV."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        data = await read_form_file(request, limit)
    elif media_type in WAV_TYPES:
        data = await read_body(request, limit)
    else:
        raise HTTPException(415, f"Content-Type {media_type or 'none'!r} is not accepted: {HOW}")
    if not data:
        raise HTTPException(400, f"the request holds no audio: {HOW}")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise HTTPException(415, "the file is not a WAV file (no RIFF/WAVE header)")
    return data
