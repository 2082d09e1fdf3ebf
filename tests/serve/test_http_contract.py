"""The HTTP contract of a real server: auth first, statuses that fit, small error bodies.

Each test uses a deployment of its own (the ``deployment`` fixture), so any order holds.
"""

from __future__ import annotations

from typing import Any

from tests.serve.conftest import ServedProject, Server

JUNK_BODIES: list[tuple[bytes, str]] = [
    (b"{not json", "application/json"),
    (b'{"unexpected": 1}', "application/json"),
    (b"<xml/>", "application/xml"),
]


def _good_row(served: ServedProject) -> dict[str, Any]:
    return dict(served.frame.drop(columns="y").head(1).to_dict(orient="records")[0])


def test_a_huge_category_gets_a_small_422_naming_the_field(
    served: ServedProject, server: Server, deployment: str
) -> None:
    client = server.client(served.keys["predict"])
    row = {**_good_row(served), "color": "c" * 1_000_000}
    answer = client.post(f"/v1/deployments/{deployment}/predict", json={"records": [row]})
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "color"
    assert len(answer.content) < 2_000, len(answer.content)
    assert "…(1,000,000 chars)" in answer.json()["error"]["message"]


def test_an_unsupported_content_type_is_a_415(
    served: ServedProject, server: Server, deployment: str
) -> None:
    client = server.client(served.keys["predict"])
    for content_type in ("text/plain", "application/xml"):
        answer = client.post(
            f"/v1/deployments/{deployment}/predict",
            content=b"x1,x2\n1,2\n",
            headers={"Content-Type": content_type},
        )
        assert answer.status_code == 415, answer.text
        assert answer.json()["error"]["field"] == "content-type"
    admin = server.client(served.keys["admin"])
    put = admin.put(
        f"/v1/deployments/{deployment}", content=b"model=x", headers={"Content-Type": "text/plain"}
    )
    assert put.status_code == 415, put.text


def test_records_and_columns_together_are_a_422(
    served: ServedProject, server: Server, deployment: str
) -> None:
    row = _good_row(served)
    body = {"records": [row], "columns": {k: [v] for k, v in row.items()}}
    answer = server.client(served.keys["predict"]).post(
        f"/v1/deployments/{deployment}/predict", json=body
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "records" and "'columns'" in error["message"]


def test_auth_comes_before_the_body_on_every_route_with_one(
    served: ServedProject, server: Server, deployment: str
) -> None:
    base = f"/v1/deployments/{deployment}"
    routes = [
        ("PUT", base),
        ("POST", f"{base}/promote"),
        ("POST", f"{base}/feedback"),
        ("POST", f"{base}/actuals"),
        ("POST", f"{base}/predict"),
        ("POST", f"{base}/forecast"),
        ("POST", f"{base}/recommend"),
    ]
    for key, status in ((None, 401), ("lep_not-a-real-key", 401), (served.keys["metrics"], 403)):
        client = server.client(key)
        for method, path in routes:
            for body, content_type in JUNK_BODIES:
                answer = client.request(
                    method, path, content=body, headers={"Content-Type": content_type}
                )
                assert answer.status_code == status, (method, path, body, answer.text)
    # with the right key the same junk is the body's fault
    admin = server.client(served.keys["admin"])
    assert admin.put(base, content=b"{not json").status_code == 422
    missing = admin.put(base, json={"shadow": True})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "model"
    feedback = admin.post(f"{base}/feedback", json={"feedback": [{"row": 0}]})
    assert feedback.status_code == 422
    assert feedback.json()["error"]["field"] == "feedback[0].request_id"


def test_listing_deployments_needs_an_admin_key(
    served: ServedProject, server: Server, deployment: str
) -> None:
    assert server.client(served.keys["predict"]).get("/v1/deployments").status_code == 403
    assert server.client(served.keys["metrics"]).get("/v1/deployments").status_code == 403
    listed = server.client(served.keys["admin"]).get("/v1/deployments")
    assert listed.status_code == 200
    assert deployment in [d["name"] for d in listed.json()["deployments"]]


def test_nothing_to_roll_back_or_promote_is_a_409(
    served: ServedProject, server: Server, deployment: str
) -> None:
    admin = server.client(served.keys["admin"])
    for action in ("rollback", "promote"):
        answer = admin.post(f"/v1/deployments/{deployment}/{action}")
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["type"] == "conflict_error"
    assert admin.post("/v1/deployments/no-such-deployment/rollback").status_code == 404


def test_openapi_documents_each_status_with_the_error_schema(server: Server) -> None:
    spec = server.client(None).get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorBody"}
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"error"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    predict = spec["paths"]["/v1/deployments/{name}/predict"]["post"]["responses"]
    expected = {"200", "400", "401", "403", "404", "413", "415", "422", "429", "500", "503"}
    assert set(predict) == expected
    for status in expected - {"200"}:
        assert predict[status]["content"] == {"application/json": {"schema": error}}, status
    assert "Retry-After" in predict["429"]["headers"]
    put = spec["paths"]["/v1/deployments/{name}"]["put"]["responses"]
    assert {"401", "403", "404", "409", "415", "422"} <= set(put)
    rollback = spec["paths"]["/v1/deployments/{name}/rollback"]["post"]["responses"]
    assert "409" in rollback
    metrics = spec["paths"]["/metrics"]["get"]["responses"]
    assert set(metrics["200"]["content"]) == {"text/plain"}
    assert metrics["401"]["content"] == {"application/json": {"schema": error}}
    ready = spec["paths"]["/readyz"]["get"]["responses"]
    assert {"200", "503"} <= set(ready)
    body = spec["paths"]["/v1/deployments/{name}"]["put"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["required"] == ["model"]
