"""A real `lepton serve` answering image uploads: multipart, base64 JSON, bad uploads, the log."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.images.conftest import TrainedImages
from tests.serve.conftest import Server, start_server


@pytest.fixture(scope="module")
def server(trained: TrainedImages) -> Iterator[Server]:
    running = start_server(trained.env)
    yield running
    running.stop()


def _png(path: Path) -> bytes:
    return path.read_bytes()


def _files(trained: TrainedImages) -> list[tuple[str, Path]]:
    return [(p.parent.name, p) for p in sorted(trained.test_folder.rglob("*.png"))]


def test_multipart_upload_of_several_images(trained: TrainedImages, server: Server) -> None:
    files = _files(trained)[:: len(_files(trained)) // 6][:6]
    parts = [("file", (p.name, _png(p), "image/png")) for _, p in files]
    with server.client(trained.key) as client:
        answer = client.post("/v1/deployments/patterns/predict", files=parts)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == 1 and body["labels"] == ["bar", "column", "dot"]
    assert len(body["predictions"]) == 6 and len(body["probabilities"]) == 6
    right = sum(pred == label for pred, (label, _) in zip(body["predictions"], files, strict=True))
    assert right >= 5
    assert body["request_id"]


def test_base64_json_and_a_converted_rgb_jpeg(trained: TrainedImages, server: Server) -> None:
    label, path = _files(trained)[0]
    with Image.open(path) as image:  # an RGB JPEG of a grayscale model's input: converted
        buffer = io.BytesIO()
        image.convert("RGB").resize((32, 32)).save(buffer, format="JPEG", quality=95)
    images = [base64.b64encode(_png(path)).decode(), base64.b64encode(buffer.getvalue()).decode()]
    with server.client(trained.key) as client:
        answer = client.post("/v1/deployments/patterns/predict", json={"images": images})
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"][0] == label
    assert len(answer.json()["predictions"]) == 2


@pytest.mark.parametrize(
    ("kind", "status", "field"),
    [
        ("garbage", 422, "file"),
        ("empty", 422, "file"),
        ("sixteen_bit", 422, "file"),
        ("huge", 413, "file"),
        ("bad_base64", 422, "images[1]"),
        ("not_a_list", 422, "images"),
        ("csv", 415, "content-type"),  # images are multipart or JSON
    ],
)
def test_bad_uploads_get_4xx_naming_the_field(
    trained: TrainedImages, server: Server, kind: str, status: int, field: str
) -> None:
    good = _png(_files(trained)[0][1])
    with server.client(trained.key) as client:
        url = "/v1/deployments/patterns/predict"
        if kind == "garbage":
            answer = client.post(url, files=[("file", ("x.png", b"not an image", "image/png"))])
        elif kind == "empty":
            answer = client.post(url, files=[("file", ("x.png", b"", "image/png"))])
        elif kind == "sixteen_bit":
            buffer = io.BytesIO()
            Image.fromarray(np.full((16, 16), 3000, dtype=np.uint16)).save(buffer, format="PNG")
            answer = client.post(url, files=[("file", ("x.png", buffer.getvalue(), "image/png"))])
        elif kind == "huge":  # 7000x7000 black PNG: small file, too many pixels to decode
            buffer = io.BytesIO()
            Image.new("1", (7000, 7000)).save(buffer, format="PNG")
            answer = client.post(url, files=[("file", ("x.png", buffer.getvalue(), "image/png"))])
        elif kind == "bad_base64":
            answer = client.post(url, json={"images": [base64.b64encode(good).decode(), "%%%"]})
        elif kind == "not_a_list":
            answer = client.post(url, json={"images": "abc"})
        else:
            answer = client.post(url, content=b"a,b\n1,2\n", headers={"content-type": "text/csv"})
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["field"] == field and error["message"]


def test_prediction_log_gets_image_statistics_not_pixels(
    trained: TrainedImages, server: Server
) -> None:
    path = _files(trained)[1][1]
    with server.client(trained.key) as client:
        answer = client.post(
            "/v1/deployments/patterns/predict",
            files=[("file", ("a.png", _png(path), "image/png"))] * 2,
            headers={"X-Request-ID": "img-log-1"},
        )
    assert answer.status_code == 200
    root = trained.home / "logs" / "predictions" / "patterns"
    deadline = time.monotonic() + 15
    rows = pd.DataFrame()
    while time.monotonic() < deadline:
        files = sorted(root.rglob("part-*.parquet")) if root.exists() else []
        if files:
            rows = pd.concat([pd.read_parquet(f) for f in files])
            rows = rows[rows["request_id"] == "img-log-1"]
            if len(rows) == 2:
                break
        time.sleep(0.3)
    assert len(rows) == 2
    assert {"in_image_width", "in_image_height", "in_image_brightness"} <= set(rows.columns)
    assert not any(c == "in_image" for c in rows.columns)
    assert rows["in_image_width"].tolist() == [16, 16]


def test_monitor_summary_compares_logged_image_statistics(
    trained: TrainedImages, server: Server
) -> None:
    from lepton.monitor.summary import summarize

    files = [("file", (p.name, _png(p), "image/png")) for _, p in _files(trained)[:10]]
    with server.client(trained.key) as client:
        assert client.post("/v1/deployments/patterns/predict", files=files).status_code == 200
    deadline = time.monotonic() + 15
    while True:
        summary, data = summarize(trained.project, "patterns", "1h")
        if summary.rows >= 10 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert summary.drift is not None and summary.quality is not None
    assert "image_brightness" in {f.name for f in summary.drift.features}
    assert "image_brightness" in data.reference.columns


def test_client_and_remote_cli_send_images_in_batches(
    trained: TrainedImages, server: Server, cli: Any, tmp_path: Path
) -> None:
    from lepton import Client
    from lepton.errors import LeptonError

    files = _files(trained)[::3][:10]
    assert len(files) == 10
    images: list[str | Path | bytes] = [p for _, p in files[:9]] + [_png(files[9][1])]
    with Client(server.url, trained.key) as client:
        scored = client.predict_images("patterns", images, batch_size=4)
        with pytest.raises(LeptonError, match="cannot read file"):
            client.predict_images("patterns", [tmp_path / "missing.png"])
    assert len(scored) == 10 and len(scored.attrs["request_ids"]) == 3  # 4 + 4 + 2
    assert list(scored.columns) == ["prediction", "p_bar", "p_column", "p_dot"]
    assert sum(scored["prediction"] == [label for label, _ in files]) >= 8
    out = tmp_path / "scored.csv"
    result = cli(
        "predict", "patterns", str(trained.test_folder), "-o", str(out),
        "--remote", server.url, "--key", trained.key,
    )  # fmt: skip
    assert result.code == 0, result.err
    frame = pd.read_csv(out)
    assert len(frame) == len(_files(trained))
    assert (frame["prediction"] == frame["label"]).mean() >= 0.9
