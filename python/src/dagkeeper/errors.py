"""Every refusal the API can give, as an exception carrying the server's ``extensions.code``.

The codes are the README's table ("The API"); a code without a class of its own raises the base class,
so ``except DagkeeperError as error: error.code`` always works.
"""

from __future__ import annotations

from typing import Any


class DagkeeperError(Exception):
    """A refusal or a failure talking to the server.

    ``code`` is the server's ``extensions.code`` (``UNREACHABLE`` when no answer came, ``HTTP_<status>``
    for an HTTP error without one), ``status`` the HTTP status when there was one, ``extensions`` the
    error's whole ``extensions`` object (``field``, ``limit``, ``missingParts``…).
    """

    code = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status = status
        self.extensions = extensions or {}

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class AuthenticationError(DagkeeperError):
    code = "UNAUTHENTICATED"


class ForbiddenError(DagkeeperError):
    code = "FORBIDDEN"


class BadUserInputError(DagkeeperError):
    code = "BAD_USER_INPUT"


class NotFoundError(DagkeeperError):
    code = "NOT_FOUND"


class ConflictError(DagkeeperError):
    code = "CONFLICT"


class IllegalStatusTransitionError(DagkeeperError):
    code = "ILLEGAL_STATUS_TRANSITION"


class StatusNotSettableError(DagkeeperError):
    code = "STATUS_NOT_SETTABLE"


class QueryTooComplexError(DagkeeperError):
    code = "QUERY_TOO_COMPLEX"


class PayloadTooLargeError(DagkeeperError):
    code = "PAYLOAD_TOO_LARGE"


class ServiceUnavailableError(DagkeeperError):
    """The server or one of its stores did not answer: retrying later is right."""

    code = "SERVICE_UNAVAILABLE"


class CursorExpiredError(DagkeeperError):
    code = "CURSOR_EXPIRED"


class ChecksumMismatchError(DagkeeperError):
    """Downloaded bytes differ from the ResultFile's size or SHA-256 (nothing was kept)."""

    code = "CHECKSUM_MISMATCH"


class UnreachableError(DagkeeperError):
    """No answer came: the server is down, the address is wrong, or the connection broke."""

    code = "UNREACHABLE"


_BY_CODE: dict[str, type[DagkeeperError]] = {
    cls.code: cls
    for cls in (
        AuthenticationError,
        ForbiddenError,
        BadUserInputError,
        NotFoundError,
        ConflictError,
        IllegalStatusTransitionError,
        StatusNotSettableError,
        QueryTooComplexError,
        PayloadTooLargeError,
        ServiceUnavailableError,
        CursorExpiredError,
        ChecksumMismatchError,
        UnreachableError,
    )
}


def error_for(
    code: str | None,
    message: str,
    *,
    status: int | None = None,
    extensions: dict[str, Any] | None = None,
) -> DagkeeperError:
    """The exception for a server error code: its own class when it has one, DagkeeperError otherwise."""
    code = code or (f"HTTP_{status}" if status is not None else "UNKNOWN")
    cls = _BY_CODE.get(code, DagkeeperError)
    return cls(message, code=code, status=status, extensions=extensions)
