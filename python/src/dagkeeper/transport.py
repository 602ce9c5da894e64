"""GraphQL over HTTP with the standard library: one POST per operation, errors raised with their code."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .errors import DagkeeperError, UnreachableError, error_for

#: An error body is read only to explain a refusal; a prefix is enough.
_ERROR_PREVIEW_CHARS = 300


class GraphQLTransport:
    """Sends operations to ``<url>/graphql`` with ``Authorization: Bearer <token>``."""

    def __init__(self, url: str, token: str, *, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/graphql"
        self.token = token
        self.timeout = timeout

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The operation's ``data``; raises the first error (with its ``extensions.code``) if any."""
        payload = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
        request = urllib.request.Request(
            self.endpoint,
            data=payload,
            method="POST",
            headers={
                "content-type": "application/json",
                "accept": "application/json",
                "authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, text = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            # GraphQL refusals (401, 400, 413, 503…) come with a JSON body naming the code.
            status, text = error.code, error.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise UnreachableError(f"cannot reach {self.endpoint}: {reason}") from error
        return _data_of(self.endpoint, status, text)


def _data_of(endpoint: str, status: int, text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise error_for(None, f"{endpoint} answered HTTP {status}: {text[:_ERROR_PREVIEW_CHARS]}", status=status) from None
    if not isinstance(body, dict):
        raise DagkeeperError(f"{endpoint} answered HTTP {status} with JSON that is not an object", status=status)
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        extensions = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
        raise error_for(extensions.get("code"), str(first.get("message", "")), status=status, extensions=extensions)
    plain = body.get("error")
    if isinstance(plain, dict):  # the plain-HTTP routes' shape: {"error": {"code", "message"}}
        raise error_for(plain.get("code"), str(plain.get("message", plain.get("code", ""))), status=status, extensions=plain)
    data = body.get("data")
    if status >= 400 or not isinstance(data, dict):
        raise error_for(None, f"{endpoint} answered HTTP {status} without data", status=status)
    return data
