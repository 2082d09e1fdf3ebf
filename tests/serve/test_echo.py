"""Error messages show what the client sent, cut short: a huge input never makes a huge error."""

from __future__ import annotations

import pytest

from lepton.errors import LeptonError
from lepton.serve.echo import ECHO_CHARS, MESSAGE_CHARS, clip, echo
from lepton.serve.errors import error_response
from lepton.serve.validation import InputValidator, RequestError

SCHEMA = [
    {"name": "age", "kind": "numeric"},
    {"name": "color", "kind": "categorical", "categories": ["red", "blue"]},
]


def test_short_values_are_shown_whole_long_ones_cut_with_their_length() -> None:
    assert echo("red") == "'red'" and clip("red") == "red"
    long = "x" * 1_000_000
    shown = echo(long)
    assert shown.startswith("'" + "x" * 10) and shown.endswith("…(1,000,000 chars)")
    assert len(shown) < ECHO_CHARS + 30
    assert echo(list(range(100_000))).endswith(" chars)")
    assert len(clip("y" * 5000)) < ECHO_CHARS + 30


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"age": 1, "color": "z" * 1_000_000}, "color"),
        ({"age": "9" * 1_000_000, "color": "red"}, "age"),
    ],
)
def test_a_huge_bad_value_gets_a_small_error(record: dict[str, object], field: str) -> None:
    with pytest.raises(RequestError) as info:
        InputValidator(SCHEMA).validate([record])
    body = info.value.to_json()["error"]
    assert body["field"] == field and "…(1,000,000 chars)" in body["message"]
    assert len(body["message"]) < 2 * ECHO_CHARS + 100


def test_every_error_body_is_bounded_whatever_its_message() -> None:
    huge = LeptonError("m" * 100_000, field="f" * 100_000)
    answer = error_response(huge)
    assert answer.status_code == 400 and len(answer.body) < MESSAGE_CHARS + ECHO_CHARS + 200
    huge_request = RequestError("m" * 100_000, field="f" * 100_000, row=3)
    assert len(error_response(huge_request).body) < MESSAGE_CHARS + ECHO_CHARS + 200
