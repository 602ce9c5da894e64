"""Units with gufe's ProtocolUnit contract, run by dagkeeper's ``command`` protocol.

A unit is a class with ``_execute(ctx, **inputs) -> dict``. Its inputs are given when it is made
(``Sample(name="sample-0", k=1.0, ...)``) and may include other units: those are its dependencies, and
when it runs each is replaced by that unit's ProtocolUnitResult (``outputs`` and ``files``). ``ctx`` has
``scratch`` (private to the unit), ``shared`` (the task's units on one worker), ``permanent`` (every
file left there becomes a ResultFile) and ``seed``, the task's seed: units that draw random numbers seed
them from it, so repeats of a transformation are independent and a task made with ``seed=`` reproduces a
run. The returned dict is the unit's outputs; an exception fails the unit with its traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Context:
    """Where a unit works, as gufe's Context, plus what dagkeeper tells it about its task."""

    scratch: Path
    shared: Path
    #: Files left here when the unit ends are uploaded as the unit's ResultFiles (path relative to it).
    permanent: Path
    unit_key: str = ""
    #: The transformation the task runs: scopedKey, name, protocol, settings, stateA, stateB.
    transformation: dict[str, Any] = field(default_factory=dict)
    #: Outputs of the extended task's units, by unit key; None when the task extends nothing.
    parent_outputs: dict[str, Any] | None = None
    #: The task's seed (``Task.seed``: random per task unless given to ``create_tasks(seed=)``), which the
    #: worker adds to the inputs of units it builds from the transformation's ``command`` settings. None
    #: for a DAG handed to ``create_tasks(dag=)``: its units have only the inputs they were built with.
    seed: int | None = None


@dataclass(frozen=True)
class ProtocolUnitResult:
    """A dependency's successful result, as the units after it see it."""

    key: str
    name: str
    outputs: dict[str, Any]
    #: The dependency's ResultFiles, downloaded: path relative to its permanent directory → local path.
    files: dict[str, Path]

    @staticmethod
    def ok() -> bool:
        return True


class ProtocolUnit:
    """Subclass it and implement ``_execute``. ``name`` is shown to users; ``key`` (unique in its DAG:
    letters, digits, ``.``, ``_``, ``-``) defaults to the name made key-safe."""

    def __init__(self, *, name: str | None = None, key: str | None = None, **inputs: Any) -> None:
        self._name = name or type(self).__name__
        self._key = key or _key_from(self._name)
        self._inputs = inputs

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def key(self) -> str:
        return self._key

    @property
    def inputs(self) -> dict[str, Any]:
        """The inputs given, including the units this unit depends on."""
        return dict(self._inputs)

    @property
    def dependencies(self) -> list[ProtocolUnit]:
        """The units among the inputs (directly, or in a list or dict value), in the order given."""
        found: list[ProtocolUnit] = []
        for value in self._inputs.values():
            members = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
            found.extend(member for member in members if isinstance(member, ProtocolUnit) and member not in found)
        return found

    def _execute(self, ctx: Context, **inputs: Any) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement _execute(ctx, **inputs)")


def _key_from(name: str) -> str:
    key = _KEY_CHARACTERS.sub("-", name).strip("-._")
    return key or "unit"
