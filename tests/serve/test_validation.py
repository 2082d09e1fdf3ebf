from __future__ import annotations

import pytest

from lepton.serve.validation import InputValidator, PayloadTooLarge, RequestError

SCHEMA = [
    {"name": "age", "kind": "numeric", "nullable": True},
    {"name": "color", "kind": "categorical", "categories": ["red", "blue"], "nullable": True},
    {"name": "member", "kind": "boolean", "nullable": True},
]


def test_valid_rows_are_normalised() -> None:
    rows = InputValidator(SCHEMA).validate(
        [
            {"age": 3, "color": "red", "member": "yes", "extra": 1},
            {"age": None, "color": None, "member": False},
        ]
    )
    assert rows == [
        {"age": 3, "color": "red", "member": True},
        {"age": None, "color": None, "member": False},
    ]


@pytest.mark.parametrize(
    ("record", "field", "words"),
    [
        ({"color": "red", "member": True}, "age", "missing column 'age'"),
        ({"age": "old", "color": "red", "member": True}, "age", "expects a number"),
        ({"age": True, "color": "red", "member": True}, "age", "expects a number"),
        ({"age": 1, "color": "green", "member": True}, "color", "unknown category 'green'"),
        ({"age": 1, "color": ["red"], "member": True}, "color", "expects a category"),
        ({"age": 1, "color": "red", "member": "maybe"}, "member", "expects true/false"),
    ],
)
def test_bad_values_name_field_and_row(record: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(RequestError) as info:
        InputValidator(SCHEMA).validate([{"age": 1, "color": "blue", "member": True}, record])
    assert info.value.field == field and info.value.row == 1
    assert words in info.value.message
    assert info.value.to_json()["error"]["field"] == field


def test_unknown_categories_can_be_allowed() -> None:
    rows = InputValidator(SCHEMA, reject_unknown_categories=False).validate(
        [{"age": 1, "color": "green", "member": True}]
    )
    assert rows[0]["color"] == "green"


def test_empty_and_oversized_batches_are_refused() -> None:
    validator = InputValidator(SCHEMA, max_rows=2)
    with pytest.raises(RequestError, match="at least one"):
        validator.validate([])
    with pytest.raises(PayloadTooLarge, match="limit is 2") as info:
        validator.validate([{"age": 1, "color": "red", "member": True}] * 3)
    assert info.value.http_status == 413
    with pytest.raises(RequestError, match="JSON object"):
        validator.validate(["not a record"])
