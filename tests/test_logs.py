"""Logs: plain lines by default, one JSON object a line with LOG_FORMAT=json."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from tests.conftest import make_settings


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _log_some(stream: io.StringIO, fmt: str) -> list[str]:
    configure_logging("INFO", fmt, stream=stream)
    log = logging.getLogger("bot.test")
    log.info("booking %s made", 17, extra={"update_id": 4242})
    log.debug("not shown at INFO")
    logging.getLogger("aiogram.event").info("per-update line, kept at WARNING")
    try:
        raise ValueError("Ёлка")
    except ValueError:
        log.exception("handler failed")
    return stream.getvalue().splitlines()


def test_plain_is_the_default(restore_logging: None) -> None:
    assert make_settings("sqlite+aiosqlite:///x.db").log_format == "plain"
    lines = _log_some(io.StringIO(), "plain")
    assert " INFO bot.test: booking 17 made" in lines[0]
    assert not lines[0].startswith("{")
    assert any("ValueError: Ёлка" in line for line in lines)
    assert not any("not shown" in line or "per-update" in line for line in lines)


def test_json_lines(restore_logging: None) -> None:
    assert make_settings("sqlite+aiosqlite:///x.db", log_format="JSON").log_format == "json"
    lines = _log_some(io.StringIO(), "json")
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(records) == 2
    info, error = records
    assert info["level"] == "INFO" and info["logger"] == "bot.test"
    assert info["message"] == "booking 17 made" and info["update_id"] == 4242
    assert info["ts"].endswith("+00:00")
    assert error["level"] == "ERROR" and "ValueError: Ёлка" in error["exc"]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError):
        make_settings("sqlite+aiosqlite:///x.db", log_format="xml")
