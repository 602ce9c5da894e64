"""python/examples/harmonic_wells.py end to end: the Python client submits, TypeScript workers run the
Python units, and the server's combined estimate agrees with the exact answer."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from processes import PYTHON_SOURCES

from dagkeeper import Client

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "harmonic_wells.py"
EXACT = 0.5 * math.log(4.0)


def test_the_harmonic_wells_example_gets_the_exact_free_energy_within_three_sigma(
    server, user: Client, user_token: str, scope: str, workers
) -> None:
    environment = {**os.environ, "PYTHONPATH": str(PYTHON_SOURCES), "DAGKEEPER_TOKEN": user_token}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--url", server.url, "--scope", scope, "--repeats", "3", "--python", sys.executable],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert "within 3σ" in run.stdout

    [network] = user.query_networks(name="harmonic wells (Python units)", scope=scope)
    [transformation] = user.get_network_transformations(network)
    estimate = user.get_transformation_results(transformation)
    assert estimate is not None and estimate["unit"] == "kT" and estimate["n"] == 3
    assert len(estimate["repeats"]) == 3 and len({r["taskId"] for r in estimate["repeats"]}) == 3
    assert abs(estimate["value"] - EXACT) <= 3 * estimate["uncertainty"]
    # Independent repeats: each sampled from its own task's seed.
    assert len({r["seed"] for r in estimate["repeats"]}) == 3
    for repeat in estimate["repeats"]:
        [result] = user.get_task_results(repeat["taskId"])
        samplers = [u for u in result["document"]["units"] if u["key"].startswith("sample-")]
        assert len(samplers) == 5 and {u["result"]["outputs"]["seed"] for u in samplers} == {repeat["seed"]}

    fitted = user.get_network_results(network)
    by_name = {s["chemicalSystem"]["name"]: s for s in fitted["chemicalSystems"]}
    assert by_name["well-k1"]["value"] == 0
    assert math.isclose(by_name["well-k4"]["value"], estimate["value"], rel_tol=1e-9)
