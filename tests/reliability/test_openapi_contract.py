"""Schemathesis against the OpenAPI a real server serves, over a real deployment.

Generated requests (valid ones, invalid ones, and ones naming no deployment), sent with
an admin key, must never get a 5xx, and every answer must be documented: its status,
its content type, its headers and its body's schema. Failures are collected (not
shrunk) and reported together; the example count per operation bounds the run.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.serve.conftest import ServedProject, Server

EXAMPLES = 25  # per operation and variant: ~450 requests, well under a minute
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SETTINGS = settings(
    max_examples=EXAMPLES,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: every failure is reported as found
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every run
    suppress_health_check=list(HealthCheck),
)


def test_the_served_openapi_holds_for_generated_requests(
    served: ServedProject, server: Server, deployment: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {served.keys['admin']}"}
    counts: dict[str, int] = {}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        named = {"name": deployment} if "{name}" in operation.path else None
        variants: list[tuple[GenerationMode, dict[str, Any] | None]] = [
            (GenerationMode.POSITIVE, named),
            (GenerationMode.NEGATIVE, named),
        ]
        if named:  # generated names too: mostly no such deployment
            variants.append((GenerationMode.POSITIVE, None))
        for mode, path_parameters in variants:
            strategy = operation.as_strategy(mode, headers=headers, path_parameters=path_parameters)
            label = f"{operation.label} ({mode.value}{', any name' if named and not path_parameters else ''})"
            counts[label] = _fuzz(strategy, server.url, label, failures)
    print(f"\nschemathesis: {sum(counts.values())} requests, {len(failures)} failures: {counts}")
    positive = [n for label, n in counts.items() if "(positive" in label]
    assert len(positive) >= 12 and all(n > 0 for n in positive), counts
    assert not failures, "\n\n".join(failures[:10])


def _fuzz(
    strategy: SearchStrategy[schemathesis.Case], url: str, label: str, failures: list[str]
) -> int:
    """Send ``strategy``'s examples to ``url``; collect what fails the checks; the count."""
    sent = 0

    @SETTINGS
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        response = case.call(base_url=url, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            failures.append(f"{label}: {str(group)[:2000]}")

    try:
        check()
    except Unsatisfiable:
        # negative mode, where the fixed name and key leave nothing to make invalid (no body)
        if "(negative" not in label:
            raise
    return sent
