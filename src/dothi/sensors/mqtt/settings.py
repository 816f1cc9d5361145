"""The MQTT broker Dothi talks to, given as one URL.

``mqtt://user:password@host:port`` (plain TCP, port 1883 by default) or ``mqtts://…``
(TLS checked against the system's certificate authorities, port 8883 by default). The
user name and password are percent-decoded, so a password may hold ``@`` or ``:`` written
``%40`` and ``%3A``. The password is never shown: not in ``repr``, not in error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote, urlsplit

from dothi.errors import InvalidInput

#: The environment variable that names the broker (read by whoever calls
#: :func:`broker_from_env`).
ENV_VAR = "DOTHI_MQTT_URL"
SCHEMES = {"mqtt": (1883, False), "mqtts": (8883, True)}


@dataclass(frozen=True)
class Broker:
    """Where the broker is and whom to connect as (``username`` ``None``: nobody)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def with_credentials(self, username: str, password: str) -> Broker:
        """The same broker, connected to as ``username``."""
        return replace(self, username=username, password=password)

    def anonymous(self) -> Broker:
        """The same broker, without credentials."""
        return replace(self, username=None, password=None)

    @property
    def url(self) -> str:
        """The URL without the password (for logs and messages)."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{quote(self.username, safe='')}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"


def _bad(url: str, vi: str, en: str) -> InvalidInput:
    shown = _redacted(url)
    return InvalidInput(
        f"Địa chỉ máy chủ MQTT «{shown}» không hợp lệ: {vi}",
        f"The MQTT broker URL «{shown}» is not valid: {en}",
    )


def _redacted(url: str) -> str:
    """``url`` with whatever stands between ``:`` and ``@`` of its user part hidden."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url if "@" not in url else "***"
    userinfo, at, hostpart = rest.rpartition("@")
    if not at:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostpart}" if ":" in userinfo else url


def parse_broker_url(url: str) -> Broker:
    """Parse ``mqtt://[user[:password]@]host[:port]`` or ``mqtts://…`` into a
    :class:`Broker`; raise :class:`~dothi.errors.InvalidInput` saying what is wrong."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port_text = parts.port
    except ValueError:
        raise _bad(
            text,
            "cổng phải là một số từ 1 đến 65535 (ví dụ mqtt://127.0.0.1:1883).",
            "the port must be a number from 1 to 65535 (e.g. mqtt://127.0.0.1:1883).",
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _bad(
            text,
            "phải bắt đầu bằng mqtt:// hoặc mqtts:// (TLS).",
            "it must start with mqtt:// or mqtts:// (TLS).",
        )
    if not parts.hostname:
        raise _bad(
            text,
            "thiếu tên máy (ví dụ mqtt://người-dùng:mật-khẩu@127.0.0.1:1883).",
            "the host is missing (e.g. mqtt://user:password@127.0.0.1:1883).",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _bad(
            text,
            "không được có đường dẫn, ?tham-số hay #phần sau tên máy và cổng.",
            "nothing may follow the host and port (no path, ?query or #fragment).",
        )
    if port_text == 0:
        raise _bad(text, "cổng 0 không dùng được.", "port 0 cannot be used.")
    if parts.password is not None and not parts.username:
        raise _bad(
            text,
            "có mật khẩu mà không có tên người dùng.",
            "it has a password but no user name.",
        )
    default_port, tls = SCHEMES[scheme]
    return Broker(
        host=parts.hostname,
        port=port_text or default_port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def broker_from_env(environ: Mapping[str, str]) -> Broker | None:
    """The broker named by ``DOTHI_MQTT_URL`` in ``environ``, or ``None`` when unset."""
    value = environ.get(ENV_VAR, "").strip()
    if not value:
        return None
    try:
        return parse_broker_url(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{ENV_VAR}: {exc.vi}", f"{ENV_VAR}: {exc.en}") from None
