"""Every route under every kind of key: no key, a bad key, each scope → the expected status.

The matrix must name every operation the served OpenAPI lists, so a new route cannot
ship without saying who may call it. With the right key each request is a valid one,
so the status shows the key was accepted (200, or the route's own 400/409).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.serve.conftest import ServedProject, Server

KEYS = ("none", "bad", "predict", "metrics", "admin")
OPEN = dict.fromkeys(KEYS, 200)


def _needs(scopes: tuple[str, ...], status: int) -> dict[str, int]:
    """401 without a valid key, 403 with a valid key of another scope, else ``status``."""
    return {
        key: 401 if key in ("none", "bad") else status if key in scopes else 403 for key in KEYS
    }


PREDICT = ("predict", "admin")
ADMIN = ("admin",)

# (method, path template) → (body, expected status by key); {name} is a tabular deployment
MATRIX: dict[tuple[str, str], tuple[Any, dict[str, int]]] = {
    ("GET", "/healthz"): (None, OPEN),
    ("GET", "/readyz"): (None, OPEN),
    ("GET", "/metrics"): (None, _needs(("metrics", "admin"), 200)),
    ("GET", "/v1/deployments"): (None, _needs(ADMIN, 200)),
    ("PUT", "/v1/deployments/{name}"): ({"model": "churn@1"}, _needs(ADMIN, 200)),
    ("POST", "/v1/deployments/{name}/promote"): (None, _needs(ADMIN, 409)),
    ("POST", "/v1/deployments/{name}/rollback"): (None, _needs(ADMIN, 409)),
    ("POST", "/v1/deployments/{name}/predict"): ("records", _needs(PREDICT, 200)),
    ("POST", "/v1/deployments/{name}/forecast"): ({"series": ["a"]}, _needs(PREDICT, 400)),
    ("POST", "/v1/deployments/{name}/recommend"): ({"user": "u1"}, _needs(PREDICT, 400)),
    ("POST", "/v1/deployments/{name}/feedback"): (
        {"feedback": [{"request_id": "never-seen", "label": "yes"}]},
        _needs(PREDICT, 200),
    ),
    ("POST", "/v1/deployments/{name}/actuals"): (
        {"actuals": [{"series": "a", "time": "2024-01-01", "value": 1.0}]},
        _needs(PREDICT, 400),
    ),
}


def _key(served: ServedProject, kind: str) -> str | None:
    return {"none": None, "bad": "lep_not-a-real-key"}.get(kind, served.keys.get(kind))


def test_the_matrix_covers_every_documented_operation(server: Server) -> None:
    spec = server.client(None).get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_key_gets_the_expected_status(
    served: ServedProject, server: Server, deployment: str, method: str, path: str
) -> None:
    body, expected = MATRIX[(method, path)]
    if body == "records":
        body = {"records": served.frame.drop(columns="y").head(2).to_dict(orient="records")}
    url = path.format(name=deployment)
    seen = {}
    for kind in KEYS:
        answer = server.client(_key(served, kind)).request(method, url, json=body)
        seen[kind] = answer.status_code
        assert answer.headers["content-type"].startswith(
            "text/plain" if answer.status_code == 200 and path == "/metrics" else "application/json"
        ), (kind, answer.headers["content-type"])
    assert seen == expected
