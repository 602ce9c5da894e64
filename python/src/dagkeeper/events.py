"""Live task events: the ``taskEvents`` subscription over graphql-ws ("graphql-transport-ws") on /graphql.

Debian's python3-websockets (10.4) has only an asyncio client, so the generator drives a private event
loop one message at a time: callers iterate synchronously, and nothing runs between two ``next()`` calls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

from .errors import AuthenticationError, DagkeeperError, ServiceUnavailableError, UnreachableError, error_for

TASK_EVENTS = """
subscription ($filter: TaskEventFilter, $since: ID) {
  taskEvents(filter: $filter, since: $since) {
    __typename cursor occurredAt taskId scope transformationKey
    ... on TaskStatusChanged { from to reason }
    ... on UnitResultRecorded { unitResultId unitKey ok attempt }
    ... on ResultFileAvailable { file { id unitKey path size sha256 downloadUrl } }
    ... on ProtocolDAGResultRecorded { dagResultId ok }
    ... on EstimateChanged { networkKeys value uncertainty unit n }
    ... on ComputeServiceExpired { computeServiceId computeServiceName }
  }
}
"""

#: graphql-ws close codes that say why the server ended the connection.
_CLOSE_CODES = {4403: AuthenticationError, 1013: ServiceUnavailableError}


def websocket_url(url: str) -> str:
    base = url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/graphql"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/graphql"
    return base + "/graphql"


def task_events(
    url: str,
    token: str,
    *,
    filter: dict[str, str] | None,
    since: str | None,
    idle_timeout: float | None,
) -> Iterator[dict[str, Any]]:
    """Yields each event (a dict with ``__typename`` and ``cursor``) as it arrives; see Client.events."""
    try:
        import websockets  # noqa: PLC0415 - optional: only live events need it
    except ImportError as error:
        raise DagkeeperError(
            "live events need the websockets package (Debian: apt-get install python3-websockets)", code="MISSING_DEPENDENCY"
        ) from error

    loop = asyncio.new_event_loop()
    socket = None
    try:
        try:
            socket = loop.run_until_complete(_connect(websockets, websocket_url(url)))
        except (OSError, websockets.exceptions.InvalidHandshake, asyncio.TimeoutError) as error:
            raise UnreachableError(f"cannot open {websocket_url(url)}: {error}") from error
        receive = _receiver(loop, socket, websockets, idle_timeout)
        loop.run_until_complete(socket.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})))
        while (message := receive())["type"] != "connection_ack":
            _answer_ping(loop, socket, message)
        variables = {"filter": filter, "since": since}
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": TASK_EVENTS, "variables": variables}}
        loop.run_until_complete(socket.send(json.dumps(subscribe)))
        while True:
            message = receive()
            kind = message["type"]
            if kind == "next":
                payload = message.get("payload") or {}
                if payload.get("errors"):
                    raise _graphql_error(payload["errors"])
                yield payload["data"]["taskEvents"]
            elif kind == "error":
                raise _graphql_error(message.get("payload") or [])
            elif kind == "complete":
                return
            else:
                _answer_ping(loop, socket, message)
    finally:
        if socket is not None:
            loop.run_until_complete(socket.close())
        loop.close()


async def _connect(websockets: Any, url: str) -> Any:
    # Made inside the running loop: websockets 10 binds a connection to the loop current when it is made.
    return await websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=30)


def _receiver(loop: asyncio.AbstractEventLoop, socket: Any, websockets: Any, idle_timeout: float | None):
    def receive() -> dict[str, Any]:
        try:
            text = loop.run_until_complete(asyncio.wait_for(socket.recv(), idle_timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(f"no event within {idle_timeout} s") from None
        except websockets.exceptions.ConnectionClosed as closed:
            code, reason = closed.code, closed.reason or "connection closed"
            cls = _CLOSE_CODES.get(code)
            if cls is not None:
                raise cls(f"the server closed the event stream ({code}): {reason}") from None
            raise UnreachableError(f"the event stream closed ({code}): {reason}") from None
        return json.loads(text)

    return receive


def _answer_ping(loop: asyncio.AbstractEventLoop, socket: Any, message: dict[str, Any]) -> None:
    if message.get("type") == "ping":
        loop.run_until_complete(socket.send(json.dumps({"type": "pong"})))


def _graphql_error(errors: list[Any]) -> DagkeeperError:
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    extensions = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
    return error_for(extensions.get("code"), str(first.get("message", "subscription refused")), extensions=extensions)
