"""Personal data at rest (Decree 13/2023/NĐ-CP, Law 91/2025): sealed, and clients pseudonymised.

Identity fields that people choose to give (a commenter's name, phone, e-mail) are stored only
as AES-256-GCM ciphertext. The key comes from ``DOTHI_DATA_KEY`` (32 bytes, base64), which every
replica of a deployment shares; without it, one is generated on first use in
``DOTHI_DATA_DIR/keys/personal-data.key`` (mode 0600) — enough for one machine, and never in
the database, so a database dump alone reveals nothing.

Network addresses used for rate limits are kept only as a keyed hash (:func:`client_key`): the
same address gives the same key, the address itself cannot be read back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dothi.config import Settings
from dothi.errors import ConfigError

_VERSION = b"\x01"
_NONCE = 12
_KEY_ENV = "DOTHI_DATA_KEY"


def _key_file(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "personal-data.key"


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise ConfigError(
            f"{where} phải là 32 byte mã hóa base64 (tạo bằng: openssl rand -base64 32).",
            f"{where} must be 32 bytes in base64 (make one with: openssl rand -base64 32).",
        )
    return key


def data_key(settings: Settings) -> bytes:
    """The key sealing personal data: ``DOTHI_DATA_KEY``, else the data folder's key file
    (created, readable by the owner only, the first time it is needed)."""
    if os.environ.get(_KEY_ENV):
        return _decode_key(os.environ[_KEY_ENV], _KEY_ENV)
    path = _key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            # O_EXCL: two workers starting together must not write two different keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    return _decode_key(path.read_text(), str(path))


def _key_id(key: bytes) -> bytes:
    # Stored with each ciphertext so that a wrong or rotated key is told apart from damage.
    return hashlib.sha256(b"dothi-key-id" + key).digest()[:4]


def seal(key: bytes, fields: dict[str, Any]) -> bytes:
    """``fields`` as JSON, encrypted and authenticated (version, key id, nonce, ciphertext)."""
    nonce = os.urandom(_NONCE)
    plain = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()
    header = _VERSION + _key_id(key)
    return header + nonce + AESGCM(key).encrypt(nonce, plain, header)


def unseal(key: bytes, blob: bytes) -> dict[str, Any]:
    """The fields sealed in ``blob``; :class:`ConfigError` if this key did not seal it."""
    header, nonce, body = blob[:5], blob[5 : 5 + _NONCE], blob[5 + _NONCE :]
    if header[:1] != _VERSION or header[1:] != _key_id(key):
        raise ConfigError(
            "Dữ liệu cá nhân được mã hóa bằng một khóa khác với DOTHI_DATA_KEY hiện tại.",
            "The personal data was sealed with a key other than the current DOTHI_DATA_KEY.",
        )
    try:
        fields: dict[str, Any] = json.loads(AESGCM(key).decrypt(nonce, body, header))
    except InvalidTag:
        raise ConfigError(
            "Dữ liệu cá nhân được mã hóa đã bị hỏng.", "The sealed personal data is damaged."
        ) from None
    return fields


def client_key(key: bytes, address: str | None) -> str:
    """A keyed hash of a client's network address: counts requests without keeping it."""
    mac = hmac.new(key, b"client:" + (address or "unknown").encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
