"""Real dagkeeper processes for the tests: the server on its embedded default and workers.

Each is started with ``node --import test/support/exitWithParent.mjs`` and a pipe on its stdin, so it
ends when the test process ends however it ends (the same care the TypeScript tests take), and is
stopped by the fixture that started it: SIGTERM, then SIGKILL if it has not exited within its grace.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The compiled CLI (`npm run build`); DAGKEEPER_CLI names another build of it.
CLI = Path(os.environ.get("DAGKEEPER_CLI", REPO / "bin" / "dagkeeper.js"))
EXIT_WITH_PARENT = REPO / "test" / "support" / "exitWithParent.mjs"
PYTHON_SOURCES = REPO / "python" / "src"
#: A start (PGlite migrations, a cold module cache) takes seconds on a quiet machine, far longer on a loaded one.
START_DEADLINE_SECONDS = 180
STOP_GRACE_SECONDS = 30


class NodeProcess:
    """A dagkeeper CLI process whose JSON log lines are collected as they come."""

    def __init__(self, args: list[str], *, cwd: Path, env: dict[str, str], label: str) -> None:
        node = shutil.which("node") or "node"
        self.label = label
        self.lines: queue.Queue[dict] = queue.Queue()
        self.logs: list[dict] = []
        self.stderr: list[str] = []
        self.process = subprocess.Popen(
            [node, "--import", EXIT_WITH_PARENT.as_uri(), str(CLI), *args],
            cwd=cwd,
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                self.logs.append(entry)
                self.lines.put(entry)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def wait_for_log(self, message: str, deadline_seconds: float) -> dict:
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            try:
                entry = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.label} exited ({self.process.returncode}): {''.join(self.stderr)[-2000:]}") from None
                continue
            if entry.get("msg") == message:
                return entry
        raise TimeoutError(f"{self.label} did not log {message!r} within {deadline_seconds} s: {''.join(self.stderr)[-2000:]}")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        return self.process.returncode


def start_server(data_dir: Path) -> tuple[NodeProcess, str, str]:
    """``dagkeeper server`` on a free port with its data in ``data_dir``: (process, url, admin token)."""
    server = NodeProcess(
        ["server"],
        cwd=data_dir,
        env={"PORT": "0", "HOST": "127.0.0.1", "DAGKEEPER_DATA": str(data_dir / ".dagkeeper"), "LOG_LEVEL": "info"},
        label="dagkeeper server",
    )
    try:
        listening = server.wait_for_log("dagkeeper listening", START_DEADLINE_SECONDS)
        token = (data_dir / ".dagkeeper" / "admin-token").read_text().strip()
    except BaseException:
        server.stop()
        raise
    return server, listening["url"], token


def start_worker(url: str, token: str, scratch: Path, *extra: str) -> NodeProcess:
    """``dagkeeper worker`` for the command protocol, able to import dagkeeper's Python package."""
    path = os.pathsep.join(filter(None, [str(PYTHON_SOURCES), os.environ.get("PYTHONPATH")]))
    return NodeProcess(
        ["worker", "--url", url, "--token", token, "--protocols", "command", "--scratch", str(scratch), *extra],
        cwd=scratch,
        env={"PYTHONPATH": path, "LOG_LEVEL": "info"},
        label="dagkeeper worker",
    )
