"""Receiving one uploaded file with a few form fields (``multipart/form-data``), streamed to
disk as it arrives: never whole in memory, never past a size limit, and removed afterwards.

Starlette's own form parser spools files to the system's temporary folder before a route
can look at their size; an import of a 200 MiB Shapefile should neither fill ``/tmp`` nor
be read twice, so the parts are written straight into a folder of the data directory.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from dothi.errors import DothiError, InvalidInput

#: Form fields besides the file: how many, and how long each may be.
MAX_FIELDS = 30
MAX_FIELD_BYTES = 64 * 1024
_SAFE_NAME = re.compile(r"[^\w.\- ]+")


@dataclass
class Upload:
    """What the form carried: its text fields and the one file, saved under ``file``."""

    fields: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    #: The file's name as the browser sent it (without folders).
    filename: str | None = None


def _too_large(limit: int) -> DothiError:
    return DothiError(
        f"Tệp vượt quá giới hạn {limit // 2**20} MiB.",
        f"The file is larger than the limit of {limit // 2**20} MiB.",
        code="PayloadTooLarge",
        status=413,
    )


def _safe_name(raw: str, suffixes: tuple[str, ...]) -> str:
    # Browsers may send a whole Windows path; keep the last part, in characters a file
    # system takes anywhere.
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = _SAFE_NAME.sub("_", name).strip(" .") or "upload"
    if not name.lower().endswith(suffixes):
        raise InvalidInput(
            f"Không nhận tệp «{name}»: chỉ nhận {', '.join(suffixes)}.",
            f"File '{name}' not accepted: only {', '.join(suffixes)}.",
            code="UnsupportedFileType",
        )
    return name[-120:]


class _Receiver:
    """The parser's callbacks: headers of each part, then its bytes to a field or the file."""

    def __init__(self, folder: Path, limit: int, suffixes: tuple[str, ...]) -> None:
        self.folder = folder
        self.limit = limit
        self.suffixes = suffixes
        self.upload = Upload()
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()
        self._out: IO[bytes] | None = None
        self._size = 0

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_val,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_val(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_done(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        if raw is None:
            if len(self.upload.fields) >= MAX_FIELDS:
                raise InvalidInput("Biểu mẫu có quá nhiều trường.", "Too many form fields.")
            return
        if self.upload.file is not None:
            raise InvalidInput("Chỉ gửi một tệp mỗi lần.", "Send one file at a time.")
        filename = _safe_name(raw.decode("utf-8", "replace"), self.suffixes)
        self.upload.filename = filename
        self.upload.file = self.folder / filename
        self._out = open(self.upload.file, "wb")  # noqa: SIM115 (closed at the part's end)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._size += end - start
            if self._size > self.limit:
                raise _too_large(self.limit)
            self._out.write(data[start:end])
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise InvalidInput(
                f"Trường «{self._name}» quá dài.", f"The field '{self._name}' is too long."
            )

    def _part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            return
        try:
            self.upload.fields[self._name] = self._value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                f"Trường «{self._name}» không phải văn bản UTF-8.",
                f"The field '{self._name}' is not UTF-8 text.",
            ) from None

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise DothiError(
            "Gửi tệp dưới dạng multipart/form-data.",
            "Send the file as multipart/form-data.",
            code="UnsupportedMediaType",
            status=415,
        )
    return boundary


@asynccontextmanager
async def receive_upload(
    request: Request, parent: Path, *, limit: int, suffixes: tuple[str, ...]
) -> AsyncIterator[Upload]:
    """Stream the request's form into a new folder under ``parent``; the folder and the
    file go when the ``async with`` block ends, whatever happened in it.

    Refused: another content type (415), a declared or real size over ``limit`` (413), a
    second file, a file whose name does not end in one of ``suffixes``, a form without a
    file, a malformed body (400).
    """
    boundary = _boundary(request)
    declared = request.headers.get("content-length", "")
    # The fields and the part headers add a little to the file's own size.
    if declared.isdigit() and int(declared) > limit + MAX_FIELDS * MAX_FIELD_BYTES:
        raise _too_large(limit)
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=parent))
    receiver = _Receiver(folder, limit, suffixes)
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError:
            raise InvalidInput(
                "Nội dung biểu mẫu gửi lên không hợp lệ.", "The form sent is malformed."
            ) from None
        finally:
            receiver.close()
        if receiver.upload.file is None:
            raise InvalidInput("Chưa chọn tệp.", "No file was sent.", code="NoFile")
        yield receiver.upload
    finally:
        shutil.rmtree(folder, ignore_errors=True)
