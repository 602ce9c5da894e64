"""``python3 -m dagkeeper.unit module:Class --inputs JSON [--path DIR]...``: runs one ProtocolUnit for the
``command`` protocol.

The worker writes everything about the unit to the JSON file ``$DAGKEEPER_INPUTS`` (the unit, the
transformation, the dependencies' outputs and downloaded files, the scratch, shared and output
directories, and in the unit's own inputs the task's seed). This runs the class's ``_execute`` with its
inputs (those in ``--inputs``), each dependency given as its ProtocolUnitResult and the task's seed as
``ctx.seed`` (not as an input), and writes the returned dict as JSON to ``$DAGKEEPER_OUTPUTS``. An
exception prints its traceback to stderr and exits with status 1: the worker records a failed unit
whose exception ends with that traceback, and keeps the whole of stderr in the unit's log.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from .dag import UNIT_REFERENCE
from .protocolunit import Context, ProtocolUnit, ProtocolUnitResult


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m dagkeeper.unit", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="the unit class, as module:Class")
    parser.add_argument("--inputs", default="{}", help="the unit's inputs as JSON; dependencies as {\"$unit\": key}")
    parser.add_argument("--path", action="append", default=[], help="a directory to import the module from")
    args = parser.parse_args(argv)
    try:
        environment = {name: os.environ[name] for name in ("DAGKEEPER_INPUTS", "DAGKEEPER_OUTPUTS", "DAGKEEPER_OUTPUT_DIR")}
    except KeyError as missing:
        parser.error(f"${missing.args[0]} is not set: units run under a dagkeeper worker's command protocol")
    try:
        outputs = run_unit(args.target, json.loads(args.inputs), args.path, environment)
        text = json.dumps(outputs, default=_json_value)
    except Exception:  # every failure of the unit's own code is a failed unit, with its traceback
        traceback.print_exc()
        return 1
    destination = Path(environment["DAGKEEPER_OUTPUTS"])
    partial = destination.with_name(destination.name + ".part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(destination)
    return 0


def run_unit(target: str, inputs: dict[str, Any], path: list[str], environment: dict[str, str]) -> dict[str, Any]:
    """Imports the unit class, runs it in the worker's context and returns its outputs."""
    unit_context = json.loads(Path(environment["DAGKEEPER_INPUTS"]).read_text(encoding="utf-8"))
    cls = _load_class(target, path)
    results = _dependency_results(unit_context)
    resolved = _resolve(inputs, results)
    unit_info = unit_context.get("unit") or {}
    ctx = Context(
        scratch=Path(unit_context["scratchDir"]),
        shared=Path(unit_context["sharedDir"]),
        permanent=Path(environment["DAGKEEPER_OUTPUT_DIR"]),
        unit_key=str(unit_info.get("key", "")),
        transformation=unit_context.get("transformation") or {},
        parent_outputs=unit_context.get("parentOutputs"),
        seed=_task_seed(unit_info),
    )
    unit = cls(name=unit_info.get("name"), key=unit_info.get("key"), **resolved)
    outputs = unit._execute(ctx, **resolved)
    if not isinstance(outputs, dict):
        raise TypeError(f"{target}._execute returned {type(outputs).__name__}; it must return a dict of outputs")
    return outputs


def _task_seed(unit_info: dict[str, Any]) -> int | None:
    """The seed the command protocol put in the unit's inputs, beside its command; None when it built no
    DAG (a DAG given to create_tasks runs as given)."""
    inputs = unit_info.get("inputs")
    seed = inputs.get("seed") if isinstance(inputs, dict) else None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _load_class(target: str, path: list[str]) -> type[ProtocolUnit]:
    module_name, _, qualname = target.partition(":")
    if not module_name or not qualname:
        raise ValueError(f"{target!r} is not module:Class")
    sys.path[:0] = [str(Path(directory)) for directory in path]
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not (isinstance(found, type) and issubclass(found, ProtocolUnit)):
        raise TypeError(f"{target} is not a dagkeeper ProtocolUnit class")
    return found


def _dependency_results(unit_context: dict[str, Any]) -> dict[str, ProtocolUnitResult]:
    results = {}
    for key, view in (unit_context.get("dependencies") or {}).items():
        outputs = view.get("outputs")
        results[key] = ProtocolUnitResult(
            key=key,
            name=key,
            outputs=outputs if isinstance(outputs, dict) else {},
            files={relative: Path(local) for relative, local in (view.get("files") or {}).items()},
        )
    return results


def _resolve(value: Any, results: dict[str, ProtocolUnitResult]) -> Any:
    if isinstance(value, dict):
        if set(value) == {UNIT_REFERENCE}:
            key = value[UNIT_REFERENCE]
            if key not in results:
                raise KeyError(f"input names unit {key!r}, which is not among this unit's dependencies {sorted(results)}")
            return results[key]
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value


def _json_value(value: Any) -> Any:
    """Outputs may hold paths and numpy values; anything else that is not JSON fails the unit."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"an output of type {type(value).__name__} is not JSON")


if __name__ == "__main__":
    sys.exit(main())
