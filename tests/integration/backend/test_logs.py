"""Expected client failures log one line, without a traceback (backend/app/logs.py)."""

from __future__ import annotations

import logging
import sys

import pytest

from backend.app.logs import LOGGER, ExpectedFailures, quiet_expected_failures
from backend.app.main import create_app


def uvicorn_record(message: str) -> logging.LogRecord:
    try:
        b"\xff".decode()
    except UnicodeDecodeError:
        exc_info = sys.exc_info()
    return logging.LogRecord(LOGGER, logging.ERROR, __file__, 1, message, (), exc_info)


def test_logs_invalid_utf8_record_becomes_one_info_line():
    record = uvicorn_record("Invalid UTF-8 sequence received from client.")
    assert ExpectedFailures().filter(record) is True
    line = logging.Formatter().format(record)
    assert line == "A client sent a WebSocket text frame that is not UTF-8: closed it with 1007."
    assert record.levelname == "INFO"


def test_logs_other_errors_keep_their_traceback():
    record = uvicorn_record("Exception in ASGI application\n")
    ExpectedFailures().filter(record)
    assert record.levelno == logging.ERROR
    assert "Traceback" in logging.Formatter().format(record)


@pytest.mark.usefixtures("clean_settings_environ")
def test_logs_filter_is_installed_once_however_many_apps():
    create_app(), create_app()
    quiet_expected_failures()
    filters = logging.getLogger(LOGGER).filters
    assert sum(isinstance(f, ExpectedFailures) for f in filters) == 1
