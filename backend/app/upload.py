"""Read the one WAV file a POST /api/transcribe request carries, within the size and time limits.

The limit holds while the body streams in, declared length or not (chunked uploads declare
none), and the form's file stays in memory: the whole WAV is decoded in memory anyway, so a
refused upload never reaches the disk and an accepted one never touches it either.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import anyio
from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

WAV_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"})
FORM_OVERHEAD = 16 * 1024  # multipart boundaries and part headers around the file
HOW = "send one WAV file as the multipart field 'file', or as the body with Content-Type audio/wav"


def too_large(limit: int) -> HTTPException:
    # Close the connection: otherwise the server reads and drops the rest of a huge body.
    message = f"the audio is larger than the limit of {limit} bytes"
    return HTTPException(413, message, headers={"Connection": "close"})


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def bounded(request: Request, limit: int, reported: int) -> AsyncGenerator[bytes, None]:
    """The body's pieces; 413 (naming `reported`) as soon as more than `limit` bytes came."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(reported)
    received = 0
    async for piece in request.stream():
        received += len(piece)
        if received > limit:
            raise too_large(reported)
        yield piece


async def read_form_file(request: Request, limit: int) -> bytes:
    ceiling = limit + FORM_OVERHEAD
    parser = MultiPartParser(
        request.headers, bounded(request, ceiling, limit), max_files=1, max_fields=8
    )
    parser.spool_max_size = ceiling  # never roll the file over to disk
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, f"the form could not be read ({exc.message}): {HOW}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(400, f"no field 'file' in the form: {HOW}")
        if upload.size is not None and upload.size > limit:
            raise too_large(limit)
        return await upload.read()
    finally:
        await form.close()


async def read_body(request: Request, limit: int) -> bytes:
    data = bytearray()
    async for piece in bounded(request, limit, limit):
        data += piece
    return bytes(data)


async def read_wav(request: Request, limit: int, timeout: float) -> bytes:
    """The WAV bytes of the request, or an HTTPException: 400 none, 408 too slow, 413 too big,
    415 not WAV."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in WAV_TYPES | {"multipart/form-data"}:
        raise HTTPException(415, f"Content-Type {media_type or 'none'!r} is not accepted: {HOW}")
    with anyio.move_on_after(timeout):
        if media_type == "multipart/form-data":
            data = await read_form_file(request, limit)
        else:
            data = await read_body(request, limit)
        if not data:
            raise HTTPException(400, f"the request holds no audio: {HOW}")
        if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
            raise HTTPException(415, "the file is not a WAV file (no RIFF/WAVE header)")
        return data
    message = f"the upload took longer than {timeout:g} s: send it faster, or a shorter file"
    raise HTTPException(408, message, headers={"Connection": "close"})
