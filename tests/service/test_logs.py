"""The JSON log formatter: valid JSON lines, secrets scrubbed in every spelling, one encoding per record."""

from __future__ import annotations

import json
import logging
import secrets

import numpy as np

from scicomp.service.logs import JSONFormatter, register_secret


def _record(message: str, **fields) -> logging.LogRecord:
    record = logging.LogRecord("scicomp.service", logging.INFO, __file__, 1, message, (), None)
    record.fields = fields
    return record


def test_registered_secret_is_scrubbed_in_raw_and_json_escaped_form():
    secret = 'k"ey\\' + secrets.token_urlsafe(24) + "é"  # characters JSON escapes (and a non-ASCII one)
    register_secret(secret.encode())
    line = JSONFormatter().format(_record(f"message with {secret}", detail={"nested": [secret]}))
    entry = json.loads(line)
    assert secret not in line and json.dumps(secret)[1:-1] not in line
    assert entry["message"] == "message with [REDACTED]" and entry["detail"] == {"nested": ["[REDACTED]"]}


def test_tokens_are_scrubbed():
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    line = JSONFormatter().format(_record("auth", header=f"Bearer {jwt_like}"))
    assert jwt_like not in line and "eyJzdWIiOiJ4In0" not in line
    assert json.loads(line)["header"].startswith("Bearer [REDACTED]")


def test_lines_are_json_for_numpy_values_and_huge_integers():
    line = JSONFormatter().format(_record("values", x=np.float64(0.5), n=np.int64(3), shape=[2, 3], big=2**80))
    entry = json.loads(line)
    assert entry["x"] == 0.5 and entry["n"] == 3 and entry["shape"] == [2, 3] and int(entry["big"]) == 2**80


def test_a_record_is_encoded_once_for_all_handlers():
    record = _record("once", a=1)
    first = JSONFormatter().format(record)
    assert JSONFormatter().format(record) is first  # the file handler reuses the stderr handler's line
