"""Fixtures: one real server per test session (the embedded default), identities, and workers."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import PYTHON_SOURCES, NodeProcess, start_server, start_worker  # noqa: E402

sys.path.insert(0, str(PYTHON_SOURCES))
from dagkeeper import Client  # noqa: E402

CREATE_IDENTITY = """
mutation ($input: CreateIdentityInput!) { createIdentity(input: $input) { token } }"""


@dataclass
class Server:
    url: str
    admin: Client

    def identity(self, kind: str, scopes: list[str]) -> str:
        """A new identity's token."""
        created = self.admin.execute(
            CREATE_IDENTITY, {"input": {"kind": kind, "name": f"{kind.lower()}-{uuid.uuid4().hex[:8]}", "scopes": scopes}}
        )
        return created["createIdentity"]["token"]

    def user(self, scope: str) -> Client:
        return Client(self.url, self.identity("USER", [scope]))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    process, url, admin_token = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield Server(url, Client(url, admin_token))
    finally:
        process.stop()


@pytest.fixture
def scope() -> str:
    """A scope of the test's own, so tests never see each other's networks and tasks."""
    return f"pytest-{uuid.uuid4().hex[:10]}-p1"


@pytest.fixture
def user_token(server: Server, scope: str) -> str:
    return server.identity("USER", [scope])


@pytest.fixture
def user(server: Server, user_token: str) -> Client:
    return Client(server.url, user_token)


@pytest.fixture
def workers(server: Server, scope: str, tmp_path: Path) -> Iterator[list[NodeProcess]]:
    """Two workers for the test's scope, stopped (SIGTERM, then SIGKILL) when the test ends."""
    token = server.identity("COMPUTE", [scope])
    started = []
    try:
        for n in range(2):
            scratch = tmp_path / f"worker-{n}"
            scratch.mkdir()
            started.append(start_worker(server.url, token, scratch))
        yield started
    finally:
        for worker in started:
            worker.stop()
