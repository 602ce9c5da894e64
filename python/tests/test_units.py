"""Python units, submitted by the client and run by real TypeScript workers through the command protocol."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from helpers import command_network, wait_until
from units_for_tests import CountGreetings, FailLoudly, ReportSeed, WriteGreeting

from dagkeeper import ChecksumMismatchError, Client, build_dag, command_settings

TESTS = Path(__file__).resolve().parent


def greeting_units() -> CountGreetings:
    writers = [WriteGreeting(name=f"write {who}", who=who, copies=n) for n, who in ((2, "ada"), (3, "bo"))]
    return CountGreetings(name="count", greetings=writers, extra={"nested": [1, "two"]})


def test_a_dag_lists_every_unit_after_its_dependencies_with_the_command_that_runs_it() -> None:
    dag = build_dag([greeting_units()], name="greetings", python="/opt/py/bin/python3", path=[TESTS])
    assert dag["name"] == "greetings"
    assert [(u["key"], u["dependencies"]) for u in dag["units"]] == [
        ("write-ada", []),
        ("write-bo", []),
        ("count", ["write-ada", "write-bo"]),
    ]
    command = dag["units"][2]["inputs"]["command"]
    assert command[:4] == ["/opt/py/bin/python3", "-m", "dagkeeper.unit", "units_for_tests:CountGreetings"]
    assert command[command.index("--path") + 1] == str(TESTS)
    assert '{"$unit":"write-ada"}' in command[command.index("--inputs") + 1]


def test_units_sharing_a_key_or_holding_inputs_that_are_not_json_are_refused() -> None:
    twins = [WriteGreeting(name="same", who="a", copies=1), WriteGreeting(name="same", who="b", copies=1)]
    with pytest.raises(ValueError, match="key 'same'"):
        build_dag(twins)
    with pytest.raises(TypeError, match="set"):
        build_dag([WriteGreeting(name="odd", who={"a"}, copies=1)])


def test_workers_run_python_units_from_the_transformation_settings_passing_outputs_and_files(
    user: Client, scope: str, workers, tmp_path: Path
) -> None:
    units = command_settings([greeting_units()], python=sys.executable, path=[TESTS])["units"]
    network = user.create_network(command_network("greetings", units), scope)
    [transformation] = user.get_network_transformations(network)
    cursor = user.get_event_cursor()
    [task] = user.create_tasks(transformation)
    user.action_tasks([task], network)
    wait_until(lambda: user.get_tasks_status([task]) == ["complete"], f"task {task} complete", deadline_seconds=600)

    [result] = user.get_task_results(task)
    outputs = {u["key"]: u["result"]["outputs"] for u in result["document"]["units"]}
    assert outputs["count"] == {
        "counts": {"write-ada": 2, "write-bo": 3},
        "who": ["ada", "bo"],
        "shared": "left in the shared directory",
        "extra": {"nested": [1, "two"]},
        "scratchIsPrivate": True,
    }
    assert outputs["write-ada"] == {"who": "ada", "transformation": "A->B", "unitKey": "write-ada"}

    seen: list[tuple[str, int, int]] = []
    out = tmp_path / "out"
    paths = user.download_task_files(task, out, progress=lambda f, done, total: seen.append((f["unitKey"], done, total)))
    assert sorted(p.relative_to(out).as_posix() for p in paths) == ["write-ada/data/greeting.txt", "write-bo/data/greeting.txt"]
    assert (out / "write-bo" / "data" / "greeting.txt").read_text() == "hello bo\n" * 3
    assert ("write-bo", 27, 27) in seen

    [listed] = user.get_task_files(task, unit="write-ada")
    assert listed["sha256"] == hashlib.sha256(b"hello ada\n" * 2).hexdigest()
    tampered = {**listed, "sha256": "0" * 64}
    with pytest.raises(ChecksumMismatchError):
        user.download_file(tampered, tmp_path / "tampered")
    assert not list((tmp_path / "tampered").rglob("*.txt*"))  # nothing kept, not even a .part file

    kinds = []
    for event in user.events({"taskId": task}, since=cursor, idle_timeout=120):
        kinds.append((event["__typename"], event.get("unitKey") or event.get("to") or event.get("file", {}).get("path")))
        if event["__typename"] == "TaskStatusChanged" and event["to"] == "COMPLETE":
            break
    assert ("UnitResultRecorded", "count") in kinds
    assert ("ResultFileAvailable", "data/greeting.txt") in kinds
    assert kinds[0] == ("TaskStatusChanged", "WAITING")


def test_a_unit_that_raises_fails_its_task_with_the_python_traceback_and_log(user: Client, scope: str, workers) -> None:
    network = user.create_network(command_network("fails"), scope)
    [transformation] = user.get_network_transformations(network)
    dag = build_dag([FailLoudly(name="sample 3", window=3)], python=sys.executable, path=[TESTS])
    [task] = user.create_tasks(transformation, dag=dag)
    user.action_tasks([task], network)
    wait_until(lambda: user.get_tasks_status([task]) == ["error"], f"task {task} in error", deadline_seconds=600)

    [failure] = user.get_task_failures(task)
    assert failure["__typename"] == "UnitResult" and failure["unitKey"] == "sample-3"
    assert "ValueError: window 3 has no samples" in failure["exception"]
    assert 'in check_window\n    raise ValueError(f"window {window} has no samples")' in failure["traceback"]
    assert "sampling window 3" in failure["log"] and "Traceback (most recent call last)" in failure["log"]


def test_units_built_from_the_settings_see_their_task_s_seed_as_ctx_seed_and_a_given_dag_s_units_none(
    user: Client, scope: str, workers
) -> None:
    unit = ReportSeed(name="report", seed="the unit's own")
    units = command_settings([unit], python=sys.executable, path=[TESTS])["units"]
    network = user.create_network(command_network("seeds", units), scope)
    [transformation] = user.get_network_transformations(network)
    [given] = user.create_tasks(transformation, seed=424242)
    [random_seed] = user.create_tasks(transformation)
    [as_built] = user.create_tasks(transformation, dag=build_dag([unit], python=sys.executable, path=[TESTS]))
    tasks = [given, random_seed, as_built]
    user.action_tasks(tasks, network)
    wait_until(lambda: user.get_tasks_status(tasks) == ["complete"] * 3, f"tasks {tasks} complete", deadline_seconds=600)

    def reported(task: str) -> dict:
        [result] = user.get_task_results(task)
        [report] = result["document"]["units"]
        return report["result"]["outputs"]

    assert reported(given) == {"taskSeed": 424242, "ownSeed": "the unit's own"}
    assert reported(random_seed) == {"taskSeed": user.get_task(random_seed)["seed"], "ownSeed": "the unit's own"}
    assert reported(as_built) == {"taskSeed": None, "ownSeed": "the unit's own"}
