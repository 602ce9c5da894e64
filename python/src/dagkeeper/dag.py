"""ProtocolDAGs for the ``command`` protocol, from ProtocolUnits.

Each unit becomes one external program, ``python3 -m dagkeeper.unit module:Class --inputs '<json>'``:
the class is imported on the worker, so its module must be importable there (installed, or on
``--path``). The inputs travel in the command itself, so the same units serve both ways of giving a
task its DAG: as a transformation's ``command`` settings (``command_settings``), from which the worker
builds the DAG, or as the DAG handed to ``Client.create_tasks(dag=...)`` (``build_dag``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .protocolunit import ProtocolUnit

#: How a dependency is named inside a unit's inputs: {"$unit": "<key>"}.
UNIT_REFERENCE = "$unit"


def build_dag(
    units: Iterable[ProtocolUnit],
    *,
    name: str | None = None,
    python: str = "python3",
    path: Sequence[str | os.PathLike[str]] = (),
) -> dict[str, Any]:
    """A ProtocolDAG (``{name, units: [{key, name, dependencies, inputs: {command}}]}``) running these
    units and every unit they depend on. ``python`` is the interpreter on the worker; ``path`` lists
    directories to import the units' modules from there."""
    dag: dict[str, Any] = {"units": [{**spec, "inputs": {"command": command}} for spec, command in _unit_specs(units, python, path)]}
    return {"name": name, **dag} if name is not None else dag


def command_settings(
    units: Iterable[ProtocolUnit], *, python: str = "python3", path: Sequence[str | os.PathLike[str]] = ()
) -> dict[str, Any]:
    """A ``command`` transformation's settings (``{units: [{key, name, dependencies, command}]}``)."""
    return {"units": [{**spec, "command": command} for spec, command in _unit_specs(units, python, path)]}


def _unit_specs(units: Iterable[ProtocolUnit], python: str, path: Sequence[str | os.PathLike[str]]):
    ordered = _with_dependencies(list(units))
    by_key: dict[str, ProtocolUnit] = {}
    for unit in ordered:
        if unit.key in by_key:
            raise ValueError(f"two units have the key {unit.key!r} ({by_key[unit.key]!r} and {unit!r}): give them distinct names or keys")
        by_key[unit.key] = unit
    for unit in ordered:
        inputs = json.dumps(_encode(unit.inputs, unit), sort_keys=True, separators=(",", ":"))
        command = [python, "-m", "dagkeeper.unit", _import_name(type(unit)), "--inputs", inputs]
        for directory in path:
            command += ["--path", str(Path(directory).resolve())]
        yield {"key": unit.key, "name": unit.name, "dependencies": [d.key for d in unit.dependencies]}, command


def _with_dependencies(roots: list[ProtocolUnit]) -> list[ProtocolUnit]:
    """Every unit reachable from ``roots``, each after its dependencies (depth first, in the order given)."""
    ordered: list[ProtocolUnit] = []
    placed: set[int] = set()
    visiting: set[int] = set()

    def place(unit: ProtocolUnit) -> None:
        if id(unit) in placed:
            return
        if id(unit) in visiting:
            raise ValueError(f"{unit!r} depends on itself through its inputs")
        visiting.add(id(unit))
        for dependency in unit.dependencies:
            place(dependency)
        visiting.discard(id(unit))
        placed.add(id(unit))
        ordered.append(unit)

    for root in roots:
        place(root)
    return ordered


def _encode(value: Any, unit: ProtocolUnit) -> Any:
    if isinstance(value, ProtocolUnit):
        return {UNIT_REFERENCE: value.key}
    if isinstance(value, dict):
        return {str(k): _encode(v, unit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, unit) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"{unit!r} has an input of type {type(value).__name__}: inputs must be JSON values or units")


def _import_name(cls: type) -> str:
    module = cls.__module__
    if module == "__main__":
        # A script defining its units: the worker imports it by its file name (put its folder on `path`).
        main = sys.modules["__main__"]
        spec = getattr(main, "__spec__", None)
        module = spec.name if spec is not None else Path(getattr(main, "__file__", "main")).stem
    return f"{module}:{cls.__qualname__}"
