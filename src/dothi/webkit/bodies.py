"""Request bodies (JSON of an accepted media type and a bounded size) and query parameters
(only known ones), or a clear 4xx."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson
from fastapi import Request

from dothi.errors import InvalidInput

#: Largest request body accepted (a big feature or a batch of proposals fits).
MAX_BODY = 20 * 2**20


async def json_body(
    request: Request, kinds: tuple[str, ...] = ("application/json",), *, limit: int = MAX_BODY
) -> Any:
    """The JSON body, if its media type is one of ``kinds`` and it is at most ``limit`` bytes."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in kinds:
        raise InvalidInput(
            f"Kiểu nội dung phải là {' hoặc '.join(kinds)}.",
            f"The content type must be {' or '.join(kinds)}.",
            code="UnsupportedMediaType",
            status=415,
        )
    raw = await request.body()
    if len(raw) > limit:
        raise InvalidInput(
            "Nội dung quá lớn.", "The request body is too large.", code="TooLarge", status=413
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput(
            "Nội dung không phải JSON hợp lệ.", "The body is not valid JSON."
        ) from None


def query_params(request: Request, allowed: Collection[str]) -> dict[str, str]:
    """The query parameters, if each is one of ``allowed``: a misspelt one is an error, not
    silently ignored."""
    params = dict(request.query_params)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported parameter(s): {', '.join(unknown)}.",
        )
    return params
