"""Files attached to a consultation comment or to a plan: checked, and stripped of hidden
personal data.

A file is accepted only if its content is what its declared type says (the first bytes are
checked, not the name), it is small enough, and there are few enough of them. Photos often
carry the place and time they were taken (EXIF GPS): JPEG and PNG files are stored without
their metadata segments and chunks, since commenters rarely know that they are sending it.
A plan's documents (:mod:`dothi.planning.consultation.documents`) go through the same
checks, with their own size limit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from dothi.errors import InvalidInput

#: Accepted media types and the bytes their content starts with.
MAGIC = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "application/pdf": b"%PDF-",
}
#: How people name the accepted types (errors say this, not media types).
TYPE_WORDS = {
    "image/jpeg": ("ảnh JPG", "a JPG photo"),
    "image/png": ("ảnh PNG", "a PNG image"),
    "application/pdf": ("tệp PDF", "a PDF file"),
}
ACCEPTED = ("ảnh JPG, PNG hoặc tệp PDF", "JPG or PNG photos, or PDF files")
MAX_BYTES = 5 * 2**20
MAX_FILES = 3
_NAME = re.compile(r"[^\w.\- ()]+")
# PNG chunks that carry text, time or EXIF; the image does not need them.
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


@dataclass(frozen=True)
class Attachment:
    """A checked file, ready to store."""

    name: str
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the stored content."""
        return hashlib.sha256(self.content).hexdigest()


def too_large(max_bytes: int) -> InvalidInput:
    """The error for a file over ``max_bytes``, in words."""
    mib = max_bytes // 2**20
    return InvalidInput(
        f"Mỗi tệp tối đa {mib} MiB.",
        f"Each file may be at most {mib} MiB.",
        code="TooLarge",
        status=413,
    )


def _unsupported(name: str) -> InvalidInput:
    return InvalidInput(
        f"Tệp «{name}» không được nhận: chỉ nhận {ACCEPTED[0]}.",
        f"The file '{name}' is not accepted: only {ACCEPTED[1]}.",
        code="UnsupportedMediaType",
        status=415,
    )


def _sniffed(content: bytes) -> str | None:
    """The accepted type the content starts as, if any."""
    return next((m for m, magic in MAGIC.items() if content.startswith(magic)), None)


def _damaged(kind: str) -> InvalidInput:
    return InvalidInput(f"Tệp {kind} bị hỏng hoặc không đầy đủ.", f"The {kind} file is damaged.")


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its APP1–APP15 (EXIF, XMP…) and comment segments."""
    out = bytearray(data[:2])
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise _damaged("JPEG")
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the image data runs to the end
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            raise _damaged("JPEG")
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += data[i : i + 2 + length]
        i += 2 + length
    raise _damaged("JPEG")


def strip_png(data: bytes) -> bytes:
    """The PNG without its text, time and EXIF chunks."""
    out = bytearray(data[:8])
    i = 8
    while i + 12 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise _damaged("PNG")
        if kind not in _PNG_DROP:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            return bytes(out)
    raise _damaged("PNG")


def clean_name(raw: Any) -> str:
    """A file name safe to store and to offer for download (no folders, no odd signs)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("Tệp đính kèm cần có tên.", "An attachment needs a name.")
    base = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = _NAME.sub("_", base).strip(" .")[:200]
    return name or "tep"


def check_file(name: str, media: str, content: bytes, *, max_bytes: int = MAX_BYTES) -> Attachment:
    """A file checked (its content is of its declared type, or of the type it starts as
    when none is declared; not too large) and cleaned of hidden metadata."""
    media = media.lower()
    if media in ("", "application/octet-stream"):
        media = _sniffed(content) or media  # browsers send no type for some files
    if media not in MAGIC:
        raise _unsupported(name)
    if len(content) > max_bytes:
        raise too_large(max_bytes)
    if not content.startswith(MAGIC[media]):
        vi, en = TYPE_WORDS[media]
        raise InvalidInput(
            f"Tệp «{name}» không phải {vi} thật (nội dung không khớp); chỉ nhận {ACCEPTED[0]}.",
            f"The file '{name}' is not really {en} (its content does not match); only "
            f"{ACCEPTED[1]} are accepted.",
            code="UnsupportedMediaType",
            status=415,
        )
    if media == "image/jpeg":
        content = strip_jpeg(content)
    elif media == "image/png":
        content = strip_png(content)
    return Attachment(name, media, content)


def parse_attachment(doc: Any, *, max_bytes: int = MAX_BYTES) -> Attachment:
    """One file from ``{"name", "media_type", "content_base64"}``, checked and cleaned."""
    if not isinstance(doc, dict):
        raise InvalidInput(
            "Mỗi tệp đính kèm là đối tượng {name, media_type, content_base64}.",
            "Each attachment is an object {name, media_type, content_base64}.",
        )
    name = clean_name(doc.get("name"))
    media = str(doc.get("media_type") or "").lower()
    if media not in MAGIC and media not in ("", "application/octet-stream"):
        raise _unsupported(name)
    encoded = doc.get("content_base64")
    if not isinstance(encoded, str):
        raise InvalidInput(
            f"Thiếu nội dung của tệp «{name}».", f"The content of the file '{name}' is missing."
        )
    if len(encoded) > (max_bytes * 4) // 3 + 4:
        raise too_large(max_bytes)
    try:
        content = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise InvalidInput(
            f"Nội dung tệp «{name}» không đọc được (không phải base64 hợp lệ).",
            f"The content of '{name}' cannot be read (not valid base64).",
        ) from None
    return check_file(name, media, content, max_bytes=max_bytes)


def parse_attachments(items: Any) -> list[Attachment]:
    """A comment's attachments (none, or a list of at most :data:`MAX_FILES`)."""
    if items is None:
        return []
    if not isinstance(items, list) or len(items) > MAX_FILES:
        raise InvalidInput(
            f"Gửi tối đa {MAX_FILES} tệp đính kèm.",
            f"Send at most {MAX_FILES} attachments.",
        )
    return [parse_attachment(item) for item in items]
