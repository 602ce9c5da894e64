"""Harmonic wells as Python units: submitted by the Python client, run by dagkeeper workers.

The free energy between two harmonic wells, k0 = 1 → k1 = 4 at kT = 1, is exactly (kT/2)·ln(k1/k0).
Each λ window (k_i on a straight line from k0 to k1) is sampled by Metropolis Monte Carlo in a unit of
its own, which keeps its reduced works w = (k_{i+1} − k_i)·x²/(2kT) in a ResultFile; the analysis unit
reads every window's file, estimates ΔF by exponential averaging (Zwanzig) with its standard error, and
reports it as its outputs' ``estimate`` (docs/estimates.md). The script creates a few repeats of the
transformation: each task has a random seed of its own (``Task.seed``), which its sampling units draw
from (``ctx.seed``), so the repeats are independent. It waits for them, reads the server's combined
estimate and exits non-zero unless it is within 3σ of the exact answer.

    PYTHONPATH=python/src python3 python/examples/harmonic_wells.py --token $ALICE_TOKEN --scope demo-wells-run1
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

from dagkeeper import Client, Context, ProtocolUnit, ProtocolUnitResult, command_settings

WORKS_FILE = "works.json"


class SampleWindow(ProtocolUnit):
    """Metropolis samples of x in the well k, with the reduced work to the next window's well, drawn from
    the task's seed (each window a stream of its own)."""

    def _execute(self, ctx: Context, *, window: int, k: float, k_next: float, kT: float, steps: int, interval: int) -> dict:
        if ctx.seed is None:
            raise ValueError("no task seed: run these units from the transformation's settings, not as a DAG given to create_tasks")
        rng = random.Random(f"{ctx.seed}-{window}")
        step = 2.0 * math.sqrt(kT / k)  # about half the moves accepted
        x, accepted, works = 0.0, 0, []
        burn_in = steps // 10
        for n in range(burn_in + steps):
            trial = x + rng.uniform(-step, step)
            if rng.random() < math.exp(min(0.0, -k * (trial * trial - x * x) / (2 * kT))):
                x, accepted = trial, accepted + 1
            if n >= burn_in and (n - burn_in) % interval == 0:
                works.append((k_next - k) * x * x / (2 * kT))
        (ctx.permanent / WORKS_FILE).write_text(json.dumps(works))
        acceptance = accepted / (burn_in + steps)
        return {"window": window, "k": k, "kNext": k_next, "samples": len(works), "acceptance": acceptance, "seed": ctx.seed}


class ExponentialAveraging(ProtocolUnit):
    """ΔF/kT summed over the windows, each −ln⟨exp(−w)⟩ with its error corrected for correlation."""

    def _execute(self, ctx: Context, *, windows: list[ProtocolUnitResult], k0: float, k1: float, kT: float) -> dict:
        value, variance, per_window = 0.0, 0.0, []
        for result in sorted(windows, key=lambda r: r.outputs["window"]):
            works = json.loads(result.files[WORKS_FILE].read_text())
            delta, error = exponential_average(works)
            value, variance = value + delta, variance + error * error
            per_window.append({"window": result.outputs["window"], "deltaF": delta, "uncertainty": error})
        return {
            "estimate": {"value": value, "uncertainty": math.sqrt(variance), "unit": "kT"},
            "exact": 0.5 * math.log(k1 / k0),
            "windows": per_window,
        }


def exponential_average(works: list[float]) -> tuple[float, float]:
    """−ln⟨exp(−w)⟩ and its standard error (delta method, variance times the statistical inefficiency)."""
    weights = [math.exp(-w) for w in works]
    n = len(weights)
    mean = sum(weights) / n
    variance = sum((f - mean) ** 2 for f in weights) / (n - 1)
    return -math.log(mean), math.sqrt(statistical_inefficiency(weights) * variance / n) / mean


def statistical_inefficiency(series: list[float]) -> float:
    """g = 1 + 2·Σ C(t), summed until the autocorrelation C first drops to zero (at least 1)."""
    n = len(series)
    mean = sum(series) / n
    centred = [v - mean for v in series]
    c0 = sum(v * v for v in centred) / n
    if c0 == 0:
        return 1.0
    g = 1.0
    for t in range(1, n // 2):
        c = sum(centred[i] * centred[i + t] for i in range(n - t)) / ((n - t) * c0)
        if c <= 0:
            break
        g += 2 * c * (1 - t / n)
    return max(g, 1.0)


def wells_units(*, k0: float = 1.0, k1: float = 4.0, kT: float = 1.0, windows: int = 6, steps: int = 20_000) -> ExponentialAveraging:
    """The analysis unit, which depends on one sampling unit per window but the last."""
    ks = [k0 + (k1 - k0) * i / (windows - 1) for i in range(windows)]
    samplers = [
        SampleWindow(name=f"sample-{i}", window=i, k=ks[i], k_next=ks[i + 1], kT=kT, steps=steps, interval=10)
        for i in range(windows - 1)
    ]
    return ExponentialAveraging(name="analysis", windows=samplers, k0=k0, k1=k1, kT=kT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("DAGKEEPER_URL", "http://127.0.0.1:4000"))
    parser.add_argument("--token", default=os.environ.get("DAGKEEPER_TOKEN"), help="a user token (default $DAGKEEPER_TOKEN)")
    parser.add_argument("--scope", default="demo-wells-run1")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", default="python3", help="the interpreter the workers run units with")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the tasks")
    args = parser.parse_args()
    if not args.token:
        parser.error("a token is needed: --token or $DAGKEEPER_TOKEN")

    client = Client(args.url, args.token)
    # Workers import this file's units by module name, from this folder.
    here = [Path(__file__).resolve().parent]
    network = client.create_network(
        {
            "name": "harmonic wells (Python units)",
            "chemicalSystems": [{"name": "well-k1", "components": {"k": 1}}, {"name": "well-k4", "components": {"k": 4}}],
            "transformations": [
                {
                    "name": "well-k1->well-k4",
                    "stateA": "well-k1",
                    "stateB": "well-k4",
                    "protocol": "command",
                    # The worker that claims a task builds its DAG from these, giving every unit the task's seed.
                    "settings": command_settings([wells_units()], python=args.python, path=here),
                }
            ],
        },
        scope=args.scope,
    )
    [transformation] = client.get_network_transformations(network)
    print(f"network {network}\ntransformation {transformation}")

    tasks = client.create_tasks(transformation, count=args.repeats)  # each with a random seed of its own
    client.action_tasks(tasks, network)
    print(f"created and actioned {len(tasks)} tasks; waiting for workers")

    if not wait_for(client, tasks, args.timeout):
        return 1
    for task in tasks:
        [result] = client.get_task_results(task)
        reported = next(u for u in result["document"]["units"] if u["key"] == "analysis")["result"]["outputs"]["estimate"]
        seed = client.get_task(task)["seed"]
        print(f"task {task} (seed {seed}): ΔF = {reported['value']:.6f} ± {reported['uncertainty']:.6f} {reported['unit']}")

    estimate = client.get_transformation_results(transformation)
    if estimate is None:
        print("the server reports no estimate for the transformation (Transformation.estimate)", file=sys.stderr)
        return 1
    exact = 0.5 * math.log(4.0)
    within = abs(estimate["value"] - exact) <= 3 * estimate["uncertainty"]
    print(
        f"ΔF = {estimate['value']:.6f} ± {estimate['uncertainty']:.6f} {estimate['unit']} "
        f"over {estimate['n']} repeats (exact = {exact:.6f}): {'within' if within else 'NOT within'} 3σ"
    )
    return 0 if within else 1


def wait_for(client: Client, tasks: list[str], timeout: float) -> bool:
    """Polls the tasks' status until all are complete; prints the failures of any that ends in error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = client.get_tasks_status(tasks)
        failed = [task for task, status in zip(tasks, statuses) if status == "error"]
        for task in failed:
            for failure in client.get_task_failures(task):
                print(f"task {task} unit {failure['unitKey']} failed:\n{failure['exception']}", file=sys.stderr)
        if failed:
            return False
        if all(status == "complete" for status in statuses):
            return True
        time.sleep(1)
    print(f"the tasks did not complete within {timeout} s: {dict(zip(tasks, client.get_tasks_status(tasks)))}", file=sys.stderr)
    return False


if __name__ == "__main__":
    sys.exit(main())
