"""Check request rows against a model package's input schema before they reach a model.

Validation runs per request on the event loop, so it is plain Python over dicts (no
DataFrame per request). Every failure names the field and the row, and maps to a 4xx:
the server never answers bad input with a 500.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lepton.errors import LeptonError
from lepton.serve.echo import ECHO_CHARS, MESSAGE_CHARS, clip, echo

MAX_TEXT_CHARS = 20_000  # same limit as training (lepton.learn.text.MAX_TEXT_CHARS)
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


class RequestError(LeptonError):
    """The request body does not fit the deployment's input schema."""

    http_status = 422

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None):
        super().__init__(message, field=field)
        self.row = row

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "validation_error",
            "message": clip(self.message, MESSAGE_CHARS),
        }
        if self.field is not None:
            body["field"] = clip(self.field, ECHO_CHARS)
        if self.row is not None:
            body["row"] = self.row
        return {"error": body}


class PayloadTooLarge(RequestError):
    http_status = 413


class UnsupportedMediaType(RequestError):
    """The body's ``Content-Type`` is not one this endpoint reads."""

    http_status = 415


@dataclass
class _Column:
    name: str
    kind: str
    categories: frozenset[str] | None


class InputValidator:
    """Validates and normalises rows for one model version's input schema."""

    def __init__(
        self,
        schema: list[dict[str, Any]],
        *,
        reject_unknown_categories: bool = True,
        max_rows: int = 10_000,
    ) -> None:
        self.columns = [
            _Column(
                c["name"],
                c["kind"],
                frozenset(c["categories"]) if "categories" in c else None,
            )
            for c in schema
        ]
        self.names = [c.name for c in self.columns]
        self.reject_unknown_categories = reject_unknown_categories
        self.max_rows = max_rows

    def text_columns(self) -> list[str]:
        """The free-text columns of the schema (where a chained transcript can go)."""
        names = []
        for column in self.columns:
            kind = column.kind
            if kind == "text":
                names.append(column.name)
        return names

    def validate(self, records: list[Any]) -> list[dict[str, Any]]:
        if not records:
            raise RequestError("no rows to predict: send at least one record", field="records")
        if len(records) > self.max_rows:
            raise PayloadTooLarge(
                f"{len(records)} rows in one request; the limit is {self.max_rows} "
                "(split the batch)",
                field="records",
            )
        out: list[dict[str, Any]] = []
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise RequestError("each record must be a JSON object", field="records", row=i)
            out.append(self._row(record, i))
        return out

    def _row(self, record: dict[str, Any], row: int) -> dict[str, Any]:
        clean: dict[str, Any] = {}
        for column in self.columns:
            name = column.name
            if name not in record:
                raise RequestError(
                    f"missing column {name!r} (expected: {', '.join(self.names)})",
                    field=name,
                    row=row,
                )
            clean[name] = self._value(column, record[name], row)
        return clean

    def _value(self, column: _Column, value: Any, row: int) -> Any:
        if value is None:
            return None
        kind = column.kind
        if kind == "numeric":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RequestError(
                    f"column {column.name!r} expects a number, got {echo(value)}",
                    field=column.name,
                    row=row,
                )
            return None if isinstance(value, float) and math.isnan(value) else value
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise RequestError(
                f"column {column.name!r} expects true/false, got {echo(value)}",
                field=column.name,
                row=row,
            )
        if kind == "text":
            return _text(column, value, row)
        if kind == "datetime":
            if not isinstance(value, str):
                raise RequestError(
                    f"column {column.name!r} expects an ISO-8601 date/time string, got {echo(value)}",
                    field=column.name,
                    row=row,
                )
            return value
        if isinstance(value, dict | list):
            raise RequestError(
                f"column {column.name!r} expects a category, got {type(value).__name__}",
                field=column.name,
                row=row,
            )
        text = value if isinstance(value, str) else str(value)
        if (
            self.reject_unknown_categories
            and column.categories is not None
            and text not in column.categories
        ):
            known = sorted(column.categories)
            shown = ", ".join(map(echo, known[:8])) + (" …" if len(known) > 8 else "")
            raise RequestError(
                f"unknown category {echo(text)} for column {column.name!r} (known: {shown})",
                field=column.name,
                row=row,
            )
        return text


def _text(column: _Column, value: Any, row: int) -> str:
    """Free text: a JSON string, not blank (nothing to predict from), not over the limit."""
    if not isinstance(value, str):
        raise RequestError(
            f"column {column.name!r} expects text (a JSON string), got {type(value).__name__}",
            field=column.name,
            row=row,
        )
    if not value.strip():
        raise RequestError(
            f"column {column.name!r} is empty: send the text to classify",
            field=column.name,
            row=row,
        )
    if len(value) > MAX_TEXT_CHARS:
        raise PayloadTooLarge(
            f"column {column.name!r} holds {len(value):,} characters; the limit is "
            f"{MAX_TEXT_CHARS:,} (shorten or split the text)",
            field=column.name,
            row=row,
        )
    return value
