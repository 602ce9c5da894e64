"""dagkeeper for Python: a client for the API, and gufe-shaped units the ``command`` protocol runs.

    from dagkeeper import Client, ProtocolUnit, build_dag
"""

from .client import Client
from .dag import build_dag, command_settings
from .errors import (
    AuthenticationError,
    BadUserInputError,
    ChecksumMismatchError,
    ConflictError,
    CursorExpiredError,
    DagkeeperError,
    ForbiddenError,
    IllegalStatusTransitionError,
    NotFoundError,
    PayloadTooLargeError,
    QueryTooComplexError,
    ServiceUnavailableError,
    StatusNotSettableError,
    UnreachableError,
)
from .protocolunit import Context, ProtocolUnit, ProtocolUnitResult

__all__ = [
    "AuthenticationError",
    "BadUserInputError",
    "ChecksumMismatchError",
    "Client",
    "ConflictError",
    "Context",
    "CursorExpiredError",
    "DagkeeperError",
    "ForbiddenError",
    "IllegalStatusTransitionError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ProtocolUnit",
    "ProtocolUnitResult",
    "QueryTooComplexError",
    "ServiceUnavailableError",
    "StatusNotSettableError",
    "UnreachableError",
    "build_dag",
    "command_settings",
]
