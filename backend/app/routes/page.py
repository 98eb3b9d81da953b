"""GET /: a small page that records the microphone and streams it to /ws/asr."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

PAGE = Path(__file__).resolve().parent.parent / "static" / "index.html"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def page() -> FileResponse:
    """Serve the microphone demo page."""
    return FileResponse(PAGE, media_type="text/html")
