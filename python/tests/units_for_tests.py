"""ProtocolUnits the tests submit; workers import them from this folder (``path=[tests]``)."""

from __future__ import annotations

from dagkeeper import Context, ProtocolUnit, ProtocolUnitResult


class WriteGreeting(ProtocolUnit):
    def _execute(self, ctx: Context, *, who: str, copies: int) -> dict:
        (ctx.permanent / "data").mkdir()
        (ctx.permanent / "data" / "greeting.txt").write_text(f"hello {who}\n" * copies)
        (ctx.shared / "note.txt").write_text("left in the shared directory")
        return {"who": who, "transformation": ctx.transformation["name"], "unitKey": ctx.unit_key}


class CountGreetings(ProtocolUnit):
    def _execute(self, ctx: Context, *, greetings: list[ProtocolUnitResult], extra: dict) -> dict:
        counts = {g.key: g.files["data/greeting.txt"].read_text().count("hello") for g in greetings}
        return {
            "counts": counts,
            "who": sorted(g.outputs["who"] for g in greetings),
            "shared": (ctx.shared / "note.txt").read_text(),
            "extra": extra,
            "scratchIsPrivate": ctx.scratch != ctx.shared,
        }


class FailLoudly(ProtocolUnit):
    def _execute(self, ctx: Context, *, window: int) -> dict:
        print(f"sampling window {window}")
        return {"never": check_window(window)}


def check_window(window: int) -> int:
    raise ValueError(f"window {window} has no samples")


class ReportSeed(ProtocolUnit):
    """Its own input named ``seed`` stays its own: the task's seed comes as ``ctx.seed``."""

    def _execute(self, ctx: Context, *, seed: str) -> dict:
        return {"taskSeed": ctx.seed, "ownSeed": seed}
