"""One log line, not a traceback, for failures that clients cause and the server answers.

uvicorn logs these with `logger.exception` on "uvicorn.error" although the client already got
its answer. A filter on that logger rewrites them in place (filters may modify records), so it
works under any uvicorn command line, with no --log-config.
"""

from __future__ import annotations

import logging

LOGGER = "uvicorn.error"
# uvicorn's message -> ours. Each one has already been answered (the close code says how).
EXPECTED = {
    "Invalid UTF-8 sequence received from client.": (
        "A client sent a WebSocket text frame that is not UTF-8: closed it with 1007."
    ),
}


class ExpectedFailures(logging.Filter):
    """Turn the records in EXPECTED into one INFO line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        line = EXPECTED.get(str(record.msg))
        if line is not None:
            record.msg, record.args = line, ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_expected_failures() -> None:
    """Install the filter on uvicorn's error logger, once per process."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, ExpectedFailures) for f in logger.filters):
        logger.addFilter(ExpectedFailures())
