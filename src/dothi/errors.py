"""One exception hierarchy for Dothi.

Each error carries an HTTP status, a machine code and a message in Vietnamese and
English. The CLI prints the message in the user's language on one line; the web app
renders it as JSON with the status. Raise these for anything a user can fix; let only
real bugs escape as other exceptions.
"""

from __future__ import annotations

from dothi.i18n import current_language


class DothiError(Exception):
    """An error a user can act on, with a Vietnamese and an English message."""

    status: int = 400
    code: str = "InvalidInput"

    def __init__(self, vi: str, en: str, *, code: str | None = None, status: int | None = None):
        super().__init__(en)
        self.vi = vi
        self.en = en
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def message(self, lang: str | None = None) -> str:
        """The message in ``lang`` (``"vi"``/``"en"``), or the current language."""
        return self.en if (lang or current_language()) == "en" else self.vi

    def __str__(self) -> str:
        return self.message()


class InvalidInput(DothiError):
    """Bad input from a user: a file, a parameter, a value."""


class NotFound(DothiError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404
    code = "NotFound"


class Conflict(DothiError):
    """The request conflicts with the current state (e.g. a newer change exists)."""

    status = 409
    code = "Conflict"


class Forbidden(DothiError):
    """The caller may not do this."""

    status = 403
    code = "Forbidden"


class Unauthorized(DothiError):
    """The caller's credentials are missing, invalid, expired or revoked (HTTP 401).

    The web layer answers with ``WWW-Authenticate: Bearer`` so that clients know to
    send (or renew) an API token.
    """

    status = 401
    code = "InvalidToken"


class TooManyRequests(DothiError):
    """Too many attempts in a short time (HTTP 429); ``retry_after`` is in seconds."""

    status = 429
    code = "TooManyRequests"

    def __init__(self, vi: str, en: str, *, retry_after: int) -> None:
        super().__init__(vi, en)
        self.retry_after = retry_after


class ConfigError(DothiError):
    """The configuration (environment, database URL, data folder) is wrong."""

    code = "ConfigError"
