"""Batch requests (OGC 18-088 §11.2, after OData 4.0 Part 1 §11.7): ``multipart/mixed``
bodies of ``application/http`` requests, with change sets that succeed or fail together
and ``$<Content-ID>`` references to what an earlier request of the change set created.

The batch is split here into :class:`Part` requests and its answer written back; running
them is the caller's (one transaction per change set).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from dothi.errors import DothiError, InvalidInput

#: Most requests in one batch.
MAX_PARTS = 1000
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


@dataclass
class Part:
    """One request of a batch."""

    method: str
    path: str
    params: dict[str, str]
    media: str
    body: Any
    content_id: str | None = None


@dataclass
class ChangeSet:
    """Requests that are applied together or not at all."""

    parts: list[Part] = field(default_factory=list)


@dataclass(frozen=True)
class PartAnswer:
    """The answer to one part."""

    status: int
    body: Any = None
    location: str | None = None
    content_id: str | None = None
    text: bool = False


def boundary_of(content_type: str) -> str:
    """The boundary of a ``multipart/mixed`` content type; :class:`InvalidInput`."""
    media = content_type.split(";")[0].strip().lower()
    found = _BOUNDARY.search(content_type)
    if media != "multipart/mixed" or found is None:
        raise InvalidInput(
            "Yêu cầu lô cần Content-Type: multipart/mixed; boundary=….",
            "A batch request needs Content-Type: multipart/mixed; boundary=….",
            status=415,
        )
    return found.group(1)


def parse_batch(body: bytes, boundary: str, root: str) -> list[Part | ChangeSet]:
    """The requests of a batch, in order; ``root`` is the service root's path
    (``/sta/v1.1``), which the parts' URLs may start with."""
    items: list[Part | ChangeSet] = []
    for raw in _split(body, boundary):
        headers, content = _headers(raw)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            cs = ChangeSet()
            for inner in _split(content, boundary_of(kind)):
                inner_headers, inner_content = _headers(inner)
                part = _request(inner_content, root)
                part.content_id = inner_headers.get("content-id")
                if part.method == "GET":
                    raise InvalidInput(
                        "Trong một change set chỉ có yêu cầu ghi (không có GET).",
                        "A change set holds only writes (no GET).",
                    )
                cs.parts.append(part)
            items.append(cs)
        else:
            items.append(_request(content, root))
    if sum(len(i.parts) if isinstance(i, ChangeSet) else 1 for i in items) > MAX_PARTS:
        raise InvalidInput(
            f"Một lô có tối đa {MAX_PARTS} yêu cầu.",
            f"A batch holds at most {MAX_PARTS} requests.",
            status=413,
        )
    return items


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].lstrip().startswith(b"--"):
        raise InvalidInput(
            "Thân yêu cầu lô không đúng định dạng multipart (thiếu ranh giới kết thúc).",
            "The batch body is not valid multipart (the closing boundary is missing).",
        )
    return [c.strip(b"\r\n") for c in chunks[1:-1]]


def _headers(raw: bytes) -> tuple[dict[str, str], bytes]:
    head, sep, rest = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not sep:
        head, rest = raw, b""
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _request(raw: bytes, root: str) -> Part:
    first, _, rest = raw.replace(b"\r\n", b"\n").partition(b"\n")
    words = first.decode("utf-8", "replace").split()
    if len(words) < 2 or words[0] not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        raise InvalidInput(
            f"Yêu cầu trong lô không hợp lệ: «{first.decode('utf-8', 'replace')[:80]}».",
            f"A request in the batch is not valid: '{first.decode('utf-8', 'replace')[:80]}'.",
        )
    req_headers, body = _headers(rest)
    url = urlsplit(words[1])
    path = url.path
    for prefix in (root + "/", root.lstrip("/") + "/", "v1.1/"):
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    text = body.strip()
    try:
        parsed = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        raise InvalidInput(
            f"Nội dung của yêu cầu {words[0]} {words[1]} trong lô không phải JSON hợp lệ.",
            f"The body of {words[0]} {words[1]} in the batch is not valid JSON.",
        ) from None
    media = req_headers.get("content-type", "application/json").split(";")[0].strip().lower()
    return Part(words[0], path.strip("/"), dict(parse_qsl(url.query)), media, parsed)


def resolve_references(part: Part, created: dict[str, str]) -> Part:
    """``$1/Datastreams`` → ``Things(7)/Datastreams`` after request 1 created Things(7)."""
    if part.path.startswith("$"):
        ref, _, rest = part.path[1:].partition("/")
        if ref not in created:
            raise InvalidInput(
                f"Tham chiếu «${ref}» không trỏ tới yêu cầu nào đã tạo thực thể trước đó.",
                f"The reference '${ref}' names no earlier request that created an entity.",
            )
        part.path = created[ref] + (f"/{rest}" if rest else "")
    return part


def write_answers(answers: list[PartAnswer | list[PartAnswer]]) -> tuple[bytes, str]:
    """The batch response body and its content type."""
    boundary = f"batchresponse_{uuid.uuid4()}"
    out: list[bytes] = []
    for answer in answers:
        out.append(f"--{boundary}\r\n".encode())
        if isinstance(answer, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            out.append(f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n".encode())
            for a in answer:
                out.append(f"--{inner}\r\n".encode() + _http(a))
            out.append(f"--{inner}--\r\n".encode())
        else:
            out.append(_http(answer))
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/mixed; boundary={boundary}"


def _http(a: PartAnswer) -> bytes:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if a.content_id:
        head += f"Content-ID: {a.content_id}\r\n"
    lines = [f"HTTP/1.1 {a.status} {HTTPStatus(a.status).phrase}"]
    body = b""
    if a.location:
        lines.append(f"Location: {a.location}")
    if a.body is not None:
        body = a.body.encode() if a.text else orjson.dumps(a.body)
        lines.append("Content-Type: " + ("text/plain" if a.text else "application/json"))
    status = "\r\n".join(lines) + "\r\n\r\n"
    return (head + "\r\n" + status).encode() + body + b"\r\n"


def error_answer(exc: DothiError, lang: str | None, content_id: str | None = None) -> PartAnswer:
    """An error as one part's answer."""
    return PartAnswer(
        exc.status,
        {"code": exc.code, "message": exc.message(lang)},
        content_id=content_id,
    )
