"""Networks and DAGs the tests submit."""

from __future__ import annotations

import time
from collections.abc import Callable


def command_network(name: str = "two states", units: list[dict] | None = None) -> dict:
    """A network of one `command` transformation (by default a single unit that runs `true`)."""
    settings = {"units": units if units is not None else [{"key": "only", "name": "Only", "dependencies": [], "command": ["true"]}]}
    return {
        "name": name,
        "chemicalSystems": [{"name": "A", "components": {"k": 1}}, {"name": "B", "components": {"k": 2}}],
        "transformations": [{"name": "A->B", "stateA": "A", "stateB": "B", "protocol": "command", "settings": settings}],
    }


def wait_until(condition: Callable[[], bool], what: str, deadline_seconds: float = 300, every: float = 0.5) -> None:
    """Polls ``condition`` until it holds; a deadline, never a fixed sleep, so a busy machine only slows it."""
    deadline = time.monotonic() + deadline_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {deadline_seconds} s")
        time.sleep(every)
