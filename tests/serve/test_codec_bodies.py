"""What every codec refuses before validation: other media types (415), ambiguous bodies."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from starlette.requests import Request
from starlette.types import Message

from lepton.runtime.images import Preprocessing
from lepton.runtime.rules import RuleSet
from lepton.serve.codecs.base import Codec
from lepton.serve.codecs.forecast import ForecastCodec
from lepton.serve.codecs.image import ImageCodec
from lepton.serve.codecs.recommend import RecommendCodec
from lepton.serve.codecs.rules import RulesCodec
from lepton.serve.codecs.tabular import TabularCodec
from lepton.serve.validation import RequestError

SCHEMA = [{"name": "x1", "kind": "numeric"}, {"name": "color", "kind": "categorical"}]


def _codecs() -> dict[str, Codec]:
    return {
        "tabular": TabularCodec(SCHEMA),
        "rules": RulesCodec(RuleSet.from_json([]), 5),
        "forecast": ForecastCodec(target="y", time_column="t", horizon=3),
        "recommend": RecommendCodec(k=3),
        "image": ImageCodec("image", Preprocessing((8, 8), "L", (0.5,), (0.5,))),
    }


def _request(body: bytes, content_type: str) -> Request:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    return Request(scope, receive)


def _read(codec: Codec, body: Any, content_type: str = "application/json") -> list[Any]:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return asyncio.run(codec.read(_request(raw, content_type)))


@pytest.mark.parametrize("kind", ["tabular", "rules", "forecast", "recommend", "image"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/png"])
def test_a_media_type_the_codec_does_not_read_is_a_415(kind: str, content_type: str) -> None:
    with pytest.raises(RequestError) as info:
        _read(_codecs()[kind], b"<rows/>", content_type)
    assert info.value.http_status == 415 and info.value.field == "content-type"
    assert content_type in info.value.message


def test_json_with_parameters_and_any_case_is_still_json() -> None:
    rows = _read(_codecs()["tabular"], {"records": [{"x1": 1}]}, "Application/JSON; charset=utf-8")
    assert rows == [{"x1": 1}]


def test_records_and_columns_together_are_a_422_naming_both() -> None:
    body = {"records": [{"x1": 1, "color": "a"}], "columns": {"x1": [2], "color": ["b"]}}
    with pytest.raises(RequestError) as info:
        _read(_codecs()["tabular"], body)
    assert info.value.http_status == 422 and info.value.field == "records"
    assert "'records'" in info.value.message and "'columns'" in info.value.message


def test_baskets_and_records_together_are_a_422_naming_both() -> None:
    body = {"baskets": [["a"]], "records": [{"items": ["b"]}]}
    with pytest.raises(RequestError) as info:
        _read(_codecs()["rules"], body)
    assert info.value.http_status == 422 and info.value.field == "baskets"
    assert "'baskets'" in info.value.message and "'records'" in info.value.message


def test_a_huge_unknown_field_name_is_cut_in_the_error() -> None:
    forecast = _codecs()["forecast"]
    with pytest.raises(RequestError) as info:
        forecast.validate(_read(forecast, {"series": ["a"], "q" * 1_000_000: 1}))
    assert info.value.field is not None and len(info.value.field) < 300
    assert len(info.value.message) < 600


def test_records_with_top_level_fields_beside_them_are_a_422() -> None:
    with pytest.raises(RequestError) as info:
        _read(_codecs()["recommend"], {"records": [{"user": "u1"}], "k": 5})
    assert info.value.http_status == 422 and info.value.field == "k"
    assert _read(_codecs()["recommend"], {"records": [{"user": "u1", "k": 5}]}) == [
        {"user": "u1", "k": 5}
    ]
