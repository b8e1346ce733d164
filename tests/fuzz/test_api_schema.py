"""schemathesis against the API's own OpenAPI schema (``/api/schema/``), in process.

Every operation in the schema is called with generated requests, valid and invalid
(schemathesis' positive and negative modes), through the project's WSGI application as a
client would, with a staff user's token, after a model is trained for every track. Checks:
no 5xx; every 4xx carries the documented error body (``{"detail", "errors": [{"field",
"reason", "row"?}]}``); a refused request stores nothing (the whole store is compared
before and after each one); and schemathesis' schema conformance checks.

Each operation is one pytest test, running its own hypothesis search over the operation's
strategies (schemathesis' ``from_fixture`` integration relies on pytest internals that
pytest 9 removed). Training takes seconds, so it runs once per session and each test starts
from a copy of the trained store (conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from predictions import repository
from tests.builders import store_snapshot
from tests.fuzz.conftest import reseed_ids
from tests.fuzz.examples import EXAMPLES
from tests.fuzz.strategies import fuzz_settings

pytestmark = pytest.mark.django_db

# The operations the schema documents, read when the tests are collected; the test checks
# that /api/schema/ serves the same list.
OPERATIONS = sorted((method.upper(), path)
                    for path, methods in SchemaGenerator().get_schema(request=None, public=True)["paths"].items()
                    for method in methods)


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The project's WSGI application, sharing the test's database transaction.

    Django closes a connection left in a transaction when a request ends; its own test
    client stops that for the length of a test, and so does this.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app: WSGIHandler) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)


def test_the_schema_documents_every_api_route_and_its_errors(api_schema: Any):
    served = sorted((op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations())

    assert served == OPERATIONS
    assert len(OPERATIONS) >= 10
    for path, methods in api_schema.raw_schema["paths"].items():
        for method, operation in methods.items():
            documented = set(operation["responses"])
            assert "401" in documented, (method, path)
            if method == "post":
                assert {"400", "415"} <= documented, (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    assert parameter.get("allowEmptyValue") is True, (method, path, parameter["name"])


def _strategy(operation: Any) -> st.SearchStrategy[Any]:
    return st.one_of(operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
                     operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))


def check_error_shape(response: Any, case: Any) -> None:
    """A 4xx answers with the one documented error body (studentml_site/api_errors.py)."""
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.content[:300]!r}"
    content_type = {name.lower(): values for name, values in response.headers.items()}.get("content-type", [""])
    assert content_type[0].startswith("application/json"), where
    body = json.loads(response.content)
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"].strip(), where
    assert isinstance(body.get("errors"), list), where
    for item in body["errors"]:
        assert isinstance(item, dict), where
        assert "field" in item and (item["field"] is None or isinstance(item["field"], str)), where
        assert isinstance(item.get("reason"), str) and item["reason"].strip(), where
        for key in ("row", "index"):
            assert key not in item or (isinstance(item[key], int) and item[key] >= 0), where
    if response.status_code == 400 and body["errors"]:
        # Field problems name their field; only a problem with the whole body or file may not.
        assert all(item["field"] is not None or "value" not in item for item in body["errors"]), where


# schemathesis' checks, less one: positive_data_acceptance expects every schema-valid request
# to succeed, but the API rightly refuses some by rules no schema states (G2 needs G1, a
# label needs a logged prediction, an uploaded CSV must hold valid students).
EXCLUDED = [positive_data_acceptance]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_without_5xx_in_the_documented_shape(method: str, path: str, api_schema: Any,
                                                                     trained: None, token: str):
    operation = api_schema[path][method]
    auth = {"Authorization": f"Token {token}"}

    @fuzz_settings(scale=0.75)
    @given(case=_strategy(operation))
    def run(case: Any) -> None:
        EXAMPLES[f"schemathesis: {method} {path}"] += 1
        reseed_ids()
        before = store_snapshot()

        response = case.call(headers=auth)

        EXAMPLES[f"schemathesis: {method} {path} ... of which {response.status_code // 100}xx"] += 1
        case.validate_response(response, headers=auth, excluded_checks=EXCLUDED)
        if 400 <= response.status_code < 500:
            check_error_shape(response, case)
            assert store_snapshot() == before, f"{case.method} {case.formatted_path} stored something and said " \
                                               f"{response.status_code}"
        elif response.status_code == 201 and path.startswith("/api/v1/predictions/"):
            made = json.loads(response.content)
            made = made if isinstance(made, list) else [made]
            assert all(repository.get_prediction(p["id"]) is not None for p in made)  # each one logged

    run()


# Values schemathesis rarely draws but clients do send: digits Python's int() or str.isdigit()
# treat specially, numbers past 64 bits, impossible dates and moments that overflow in UTC.
AWKWARD = st.one_of(
    st.sampled_from(["", " ", "²", "٣", "9" * 25, "9" * 5000, "-1", "0", "1e3", "0x1", "A", "a", "Z", "true", "TRUE",
                     "İ", "\x00", "null", "%", "A\n", "2026-13-45T00:00:00", "2026-02-30", "2026-09-01",
                     "2026-09-01T00:00:00Z", "2026-09-01T00:00", "0001-01-01T00:00:00+05:00",
                     "9999-12-31T23:59:59-05:00", "champion", "pending_approval"]),
    st.integers().map(str),
    st.text(max_size=20),
)
GETS = [(m, p) for m, p in OPERATIONS if m == "GET"]


@pytest.mark.parametrize(("method", "path"), GETS, ids=[f"{m} {p}" for m, p in GETS])
def test_query_parameters_take_any_text(method: str, path: str, api_schema: Any, trained: None, token: str):
    operation = api_schema[path][method]
    names = [parameter.name for parameter in operation.query]
    auth = {"Authorization": f"Token {token}"}
    assert names

    @fuzz_settings(scale=0.5)
    @given(query=st.dictionaries(st.sampled_from(names), AWKWARD, min_size=1))
    def run(query: dict[str, str]) -> None:
        EXAMPLES[f"awkward query values: {method} {path}"] += 1
        reseed_ids()
        case = operation.Case(query=query)
        before = store_snapshot()

        response = case.call(headers=auth)

        assert response.status_code < 500, f"{case.formatted_path} {query} -> {response.status_code}"
        if response.status_code >= 400:
            check_error_shape(response, case)
            assert store_snapshot() == before
        else:
            assert response.status_code == 200

    run()

