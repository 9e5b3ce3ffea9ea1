"""A bounded schemathesis run over /openapi.json: no 500 and no response that breaks the schema."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (the test extra)")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

from scicomp.service.app import create_app  # noqa: E402

from .conftest import auth, make_settings  # noqa: E402

# Small limits keep each generated request cheap; the checks are what the issue asks for.
APP = create_app(make_settings(max_array_elements=512, max_path_steps=50_000, time_limit_s=20))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
HEADERS = auth(["admin"])
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.mark.filterwarnings("ignore:Skipped test cases with unsupported payload media types")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow inside the library on extreme inputs: answered 422
@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(headers=HEADERS, checks=CHECKS)
