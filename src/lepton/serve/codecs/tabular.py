"""Tables (and text columns): JSON records or columns, CSV, Parquet, a multipart file.

Why JSON is decoded straight to dicts: it is the hot path, and plain Python over dicts
(``InputValidator``) is cheaper than a DataFrame per request. Files (CSV, Parquet) are
batch scoring, where pandas' readers are worth their cost.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from starlette.requests import Request

from lepton.runtime.manifest import PackageManifest
from lepton.serve.codecs.base import Codec, Records
from lepton.serve.codecs.body import (
    JSON,
    MAX_BODY_BYTES,
    parse_json,
    read_body,
    refuse_declared_oversize,
    require_media_type,
)
from lepton.serve.codecs.openapi import BINARY, json_object, multipart_file
from lepton.serve.echo import clip
from lepton.serve.validation import InputValidator, RequestError

CSV = ("text/csv", "application/csv")
PARQUET = ("application/vnd.apache.parquet", "application/x-parquet")
MULTIPART = ("multipart/form-data",)
MEDIA_TYPES = JSON + CSV + PARQUET + MULTIPART


class TabularCodec(Codec):
    """Rows of named columns, checked against one version's input schema."""

    @classmethod
    def for_manifest(
        cls, manifest: PackageManifest, *, reject_unknown_categories: bool
    ) -> TabularCodec:
        return cls(manifest.schema_dicts(), reject_unknown_categories=reject_unknown_categories)

    def __init__(
        self,
        schema: list[dict[str, Any]],
        *,
        reject_unknown_categories: bool = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.validator = InputValidator(schema, reject_unknown_categories=reject_unknown_categories)
        self.max_body_bytes = max_body_bytes

    def chain_column(self) -> str | None:
        texts = self.validator.text_columns()
        return texts[0] if len(texts) == 1 else None

    async def read(self, request: Request) -> list[Any]:
        refuse_declared_oversize(request, self.max_body_bytes)
        kind = require_media_type(request, MEDIA_TYPES, "JSON, CSV, Parquet or a multipart file")
        if kind in MULTIPART:
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise RequestError("multipart upload needs a 'file' field", field="file")
            data = await upload.read()
            return file_rows(
                data, "parquet" if (upload.filename or "").endswith(".parquet") else "csv"
            )
        body = await read_body(request, self.max_body_bytes)
        if kind in CSV:
            return file_rows(body, "csv")
        if kind in PARQUET:
            return file_rows(body, "parquet")
        return json_rows(parse_json(body))

    def validate(self, rows: list[Any]) -> Records:
        return self.validator.validate(rows)

    @classmethod
    def openapi_request_body(cls) -> dict[str, Any]:
        return {
            "content": {
                "application/json": json_object(
                    records={"type": "array", "items": {"type": "object"}},
                    columns={"type": "object"},
                ),
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {"schema": dict(BINARY)},
                "multipart/form-data": multipart_file(),
            }
        }


def json_rows(body: Any) -> list[Any]:
    """``{"records": [...]}``, ``{"columns": {name: [...]}}`` or a bare list → rows."""
    if isinstance(body, dict) and "records" in body and "columns" in body:
        raise RequestError(
            "the body has both 'records' and 'columns': send the rows one way", field="records"
        )
    if isinstance(body, dict) and "records" in body:
        if not isinstance(body["records"], list):
            raise RequestError("'records' must be a list of objects", field="records")
        return list(body["records"])
    if isinstance(body, dict) and "columns" in body:
        columns = body["columns"]
        if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
            raise RequestError("'columns' must map column names to lists", field="columns")
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise RequestError("all columns must have the same length", field="columns")
        n = lengths.pop() if lengths else 0
        return [{k: v[i] for k, v in columns.items()} for i in range(n)]
    if isinstance(body, list):
        return body
    raise RequestError(
        'send {"records": [{column: value, …}]} or {"columns": {column: [values]}}', field="body"
    )


def file_rows(data: bytes, kind: str) -> list[Any]:
    """An uploaded CSV or Parquet file → rows (missing values as ``None``)."""
    try:
        frame = (
            pd.read_parquet(io.BytesIO(data))
            if kind == "parquet"
            else pd.read_csv(io.BytesIO(data))
        )
    except Exception as exc:
        raise RequestError(
            f"could not read the uploaded {kind}: {clip(str(exc))}", field="file"
        ) from exc
    frame = frame.astype(object).where(frame.notna(), None)
    return list(frame.to_dict(orient="records"))
