"""GET /: the microphone page, and /static/: its script, styles and audio worklet.

The page has no inline script or style, so a Content-Security-Policy of `script-src 'self'`
(no 'unsafe-inline') allows it; the page also declares such a policy itself.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC), name="static")


@router.get("/")
async def page() -> FileResponse:
    """Serve the microphone page."""
    return FileResponse(STATIC / "index.html", media_type="text/html")
