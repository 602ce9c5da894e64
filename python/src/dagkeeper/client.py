"""The user's client: networks, tasks, results, files and live events, over dagkeeper's GraphQL API.

Method names follow alchemiscale's client where the concept is the same (``create_network``,
``create_tasks``, ``action_tasks``, ``get_network_status``, ``get_transformation_results``,
``get_task_failures``…). Keys are the server's strings (ScopedKeys, task ids); objects come back as the
API's JSON (dicts with camelCase fields, as in schema.graphql).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import queries as q
from .downloads import Progress, absolute_url, destination_for, download_verified, has_content
from .errors import NotFoundError
from .events import task_events
from .inputs import InputObjects, canonical_bytes
from .transport import GraphQLTransport

#: The API's largest page of tasks.
_MAX_PAGE = 1000
#: Tasks read by id in one request, one aliased root field each: within the server's default limits
#: (DAGKEEPER_MAX_QUERY_ROOT_FIELDS 20, DAGKEEPER_MAX_QUERY_ALIASES 30).
_TASKS_PER_REQUEST = 15
#: Download URLs expire (an hour by default): a long batch lists the files again for fresh ones.
_URL_MAX_AGE_SECONDS = 600


class Client:
    """``Client(url, token)``: ``url`` is the server's base (``http://127.0.0.1:4000``), ``token`` a user token."""

    def __init__(self, url: str, token: str, *, timeout: float = 60.0) -> None:
        self._transport = GraphQLTransport(url, token, timeout=timeout)
        self._inputs = InputObjects(self._transport, timeout)
        self.url = self._transport.url
        self._token = token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Runs any GraphQL operation and returns its ``data`` (for what the methods below do not cover)."""
        return self._transport.execute(query, variables)

    # --- networks ---------------------------------------------------------------------------------

    def create_network(self, network: dict[str, Any], scope: str) -> str:
        """Submits a network (``{name, chemicalSystems, transformations}``, as NetworkInput) in ``scope``
        (``org-campaign-project``); returns its ScopedKey. Submitting the same network again is a no-op.
        Components and settings over 64 KiB of JSON are uploaded first as input objects (each stored once
        per scope) and the network refers to them, as ``dagkeeper network create`` does; ``expand`` puts
        them back. Smaller ones follow, largest first, while the request would be over the server's caps
        (``PayloadTooLargeError``, nothing sent, when even that cannot make it fit)."""
        data = self.execute(q.CREATE_NETWORK, {"scope": scope, "input": self._inputs.offload_network(network, scope)})
        return data["createNetwork"]["network"]["scopedKey"]

    # --- input objects ----------------------------------------------------------------------------

    def upload_input(self, scope: str, data: Any, key: str | None = None) -> dict[str, str]:
        """Stores ``data`` as an input object of ``scope`` and returns its reference ``{":input:": sha256}``,
        to put anywhere in components, settings or a DAG unit's inputs. ``bytes`` are stored as they are;
        anything else as its canonical JSON (what the CLI stores, so equal values are stored once). ``key``:
        a key of your own (e.g. a gufe key) that names the object for good, ``{":input-key:": key}``."""
        content = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else canonical_bytes(data)
        return self._inputs.upload(scope, content, key)

    def get_input(self, scope: str, sha256: str | None = None, *, key: str | None = None) -> bytes:
        """An input object's content (decoded, checked against its SHA-256), by hash or by client key."""
        if (sha256 is None) == (key is None):
            raise ValueError("give either sha256 or key")
        return self._inputs.content(self._inputs.find(scope, sha256=sha256, key=key))

    def get_input_object(self, scope: str, sha256: str | None = None, *, key: str | None = None) -> dict[str, Any]:
        """The input object's description: ``sha256``, ``size``, ``encoding``, ``storedSize``, ``keys``."""
        if (sha256 is None) == (key is None):
            raise ValueError("give either sha256 or key")
        return self._inputs.find(scope, sha256=sha256, key=key)

    def expand(self, value: Any, scope: str) -> Any:
        """A copy of ``value`` (a network, components, settings…) with every reference to an input object of
        ``scope`` replaced by its content, parsed as JSON: what was submitted."""
        return self._inputs.expand(value, scope)

    def get_network(self, network: str) -> dict[str, Any]:
        """The network with its chemical systems, transformations (with settings), weight and status counts."""
        found = self.execute(q.GET_NETWORK, {"key": network})["network"]
        if found is None:
            raise NotFoundError(f"no network {network}")
        return found

    def query_networks(self, name: str | None = None, scope: str | None = None, state: str | None = "active") -> list[str]:
        """ScopedKeys of the networks you may read, oldest first, optionally by exact name and scope; in
        ``state`` (``active``, ``inactive``, ``deleted``, case-insensitive; None for every state)."""
        found = self._pages(q.QUERY_NETWORKS, "networks", {"scope": scope, "name": name, "state": _states(state)})
        return [n["scopedKey"] for n in found if name is None or n["name"] == name]

    def query_transformations(self, name: str | None = None, scope: str | None = None) -> list[str]:
        """ScopedKeys of the transformations you may read, oldest first, optionally by exact name and scope."""
        found = self._pages(q.QUERY_TRANSFORMATIONS, "transformations", {"scope": scope, "name": name})
        return [t["scopedKey"] for t in found if name is None or t["name"] == name]

    def query_chemicalsystems(self, name: str | None = None, scope: str | None = None) -> list[str]:
        """ScopedKeys of the chemical systems you may read, oldest first, optionally by exact name and scope."""
        found = self._pages(q.QUERY_CHEMICAL_SYSTEMS, "chemicalSystems", {"scope": scope, "name": name})
        return [c["scopedKey"] for c in found if name is None or c["name"] == name]

    def _pages(self, query: str, field: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of a lookup (names are matched by prefix on the server, so callers narrow to exact)."""
        items: list[dict[str, Any]] = []
        after = None
        while True:
            page = self.execute(query, {**variables, "after": after})[field]
            items.extend(page)
            if len(page) < q.PAGE_SIZE:
                return items
            after = page[-1]["scopedKey"]

    def get_network_transformations(self, network: str) -> list[str]:
        return [t["scopedKey"] for t in self.get_network(network)["transformations"]]

    def get_transformation(self, transformation: str) -> dict[str, Any]:
        found = self.execute(q.GET_TRANSFORMATION, {"key": transformation})["transformation"]
        if found is None:
            raise NotFoundError(f"no transformation {transformation}")
        return found

    def get_chemicalsystem(self, chemicalsystem: str) -> dict[str, Any]:
        """The chemical system with its components and the transformations starting or ending at it."""
        found = self.execute(q.GET_CHEMICAL_SYSTEM, {"key": chemicalsystem})["chemicalSystem"]
        if found is None:
            raise NotFoundError(f"no chemical system {chemicalsystem}")
        return found

    def get_chemicalsystem_transformations(self, chemicalsystem: str) -> list[str]:
        return [t["scopedKey"] for t in self.get_chemicalsystem(chemicalsystem)["transformations"]]

    def get_chemicalsystem_networks(self, chemicalsystem: str, state: str | None = "active") -> list[str]:
        """The networks holding the chemical system, in ``state`` (None for every state)."""
        found = self.execute(q.CHEMICAL_SYSTEM_NETWORKS, {"key": chemicalsystem, "state": _states(state)})["chemicalSystem"]
        return [n["scopedKey"] for n in found["networks"]]

    def get_transformation_networks(self, transformation: str, state: str | None = "active") -> list[str]:
        """The networks holding the transformation, in ``state`` (None for every state)."""
        found = self.execute(q.TRANSFORMATION_NETWORKS, {"key": transformation, "state": _states(state)})["transformation"]
        return [n["scopedKey"] for n in found["networks"]]

    def get_network_state(self, network: str) -> str:
        """``active``, ``inactive`` or ``deleted`` (alchemiscale's spelling)."""
        return self.get_network(network)["state"].lower()

    def set_network_state(self, network: str, state: str) -> str:
        """``active``; ``inactive`` (its hub is not claimed from); ``deleted`` (kept, but its hub is emptied
        and refuses new actions; what other networks share is untouched). Returns the network's key."""
        return self.set_networks_state([network], state)[0]

    def set_networks_state(self, networks: list[str], state: str) -> list[str]:
        """Sets several networks' state at once, all or none."""
        changed = self.execute(q.SET_NETWORK_STATE, {"keys": networks, "state": _network_state(state)})["setNetworkState"]
        return [n["scopedKey"] for n in changed]

    def get_network_weight(self, network: str) -> float:
        return self.get_network(network)["weight"]

    def set_network_weight(self, network: str, weight: float) -> str:
        """Weight of the network's hub in claims: 0 disables it, 1 is the most favoured."""
        return self.execute(q.SET_NETWORK_WEIGHT, {"key": network, "weight": weight})["setNetworkWeight"]["scopedKey"]

    def get_network_status(self, network: str) -> dict[str, int]:
        """Task counts by status (``waiting``, ``running``, ``complete``, ``error``, ``invalid``, ``deleted``)."""
        return self._status_counts({"networkKey": network})

    def get_transformation_status(self, transformation: str) -> dict[str, int]:
        return self._status_counts({"transformationKey": transformation})

    def get_scope_status(self, scope: str | None = None) -> dict[str, int]:
        return self._status_counts({"scope": scope})

    def _status_counts(self, variables: dict[str, Any]) -> dict[str, int]:
        return dict(self.execute(q.STATUS_COUNTS, variables)["statusCounts"])

    # --- tasks ------------------------------------------------------------------------------------

    def create_tasks(
        self,
        transformation: str,
        extends: str | None = None,
        count: int = 1,
        *,
        priority: int | None = None,
        dag: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> list[str]:
        """Creates ``count`` tasks (WAITING) for a transformation; returns their ids. With ``dag`` (see
        dagkeeper.build_dag) each task has that ProtocolDAG at once. Each task gets a random seed of its own
        (``Task.seed``; units built from the transformation's settings see it as ``ctx.seed``), so repeats
        are independent; ``seed`` gives one, to reproduce a run, and only with ``count`` 1 (otherwise
        BadUserInputError, field ``seed``)."""
        variables = {"key": transformation, "count": count, "extends": extends, "priority": priority, "dag": dag, "seed": seed}
        return [task["id"] for task in self.execute(q.CREATE_TASKS, variables)["createTasks"]]

    def action_tasks(self, tasks: Iterable[str], network: str) -> list[str | None]:
        """Puts tasks on the network's hub; returns each id actioned, None in place of one that was not."""
        wanted = list(tasks)
        done = set(self.execute(q.ACTION_TASKS, {"key": network, "ids": wanted})["actionTasks"])
        return [task if task in done else None for task in wanted]

    def cancel_tasks(self, tasks: Iterable[str], network: str) -> list[str | None]:
        """Takes tasks off the network's hub; returns each id cancelled, None in place of one that was not."""
        wanted = list(tasks)
        done = set(self.execute(q.CANCEL_TASKS, {"key": network, "ids": wanted})["cancelTasks"])
        return [task if task in done else None for task in wanted]

    def get_tasks(
        self,
        *,
        scope: str | None = None,
        status: str | None = None,
        network: str | None = None,
        transformation: str | None = None,
        page_size: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """Every matching task you may read, oldest first, fetched a page at a time as you iterate."""
        task_filter = {"scope": scope, "status": _status_name(status), "networkKey": network, "transformationKey": transformation}
        after = None
        while True:
            page = self.execute(q.TASKS_PAGE, {"first": min(page_size, _MAX_PAGE), "after": after, "filter": task_filter})["tasks"]
            for edge in page["edges"]:
                yield edge["node"]
            if not page["pageInfo"]["hasNextPage"] or page["pageInfo"]["endCursor"] is None:
                return
            after = page["pageInfo"]["endCursor"]

    def query_tasks(self, scope: str | None = None, status: str | None = None) -> list[str]:
        return [task["id"] for task in self.get_tasks(scope=scope, status=status)]

    def get_network_tasks(self, network: str, status: str | None = None) -> list[str]:
        return [task["id"] for task in self.get_tasks(network=network, status=status)]

    def get_transformation_tasks(self, transformation: str, status: str | None = None) -> list[str]:
        return [task["id"] for task in self.get_tasks(transformation=transformation, status=status)]

    def get_task(self, task: str) -> dict[str, Any]:
        """One task (its ``seed`` among the fields) with its DAG's units and their states."""
        found = self.execute(q.GET_TASK, {"id": task})["task"]
        if found is None:
            raise NotFoundError(f"no task {task}")
        return found

    def get_tasks_status(self, tasks: Iterable[str]) -> list[str | None]:
        """Each task's status (``"waiting"``, ``"complete"``…), None for one you cannot see."""
        return [None if t is None else t["status"].lower() for t in self._tasks_by_id(list(tasks), "status")]

    def get_tasks_priority(self, tasks: Iterable[str]) -> list[int | None]:
        return [None if t is None else t["priority"] for t in self._tasks_by_id(list(tasks), "priority")]

    def set_tasks_status(self, tasks: Iterable[str], status: str) -> list[str]:
        """Users may set ``waiting``, ``invalid`` or ``deleted``; returns the ids changed."""
        changed = self.execute(q.SET_TASK_STATUS, {"ids": list(tasks), "status": _status_name(status)})["setTaskStatus"]
        return [task["id"] for task in changed]

    def set_tasks_priority(self, tasks: Iterable[str], priority: int) -> list[str]:
        """1 is the most urgent; returns the ids changed."""
        changed = self.execute(q.SET_TASK_PRIORITY, {"ids": list(tasks), "priority": priority})["setTaskPriority"]
        return [task["id"] for task in changed]

    def _tasks_by_id(self, ids: list[str], fields: str) -> list[dict[str, Any] | None]:
        if not ids:
            return []
        found: list[dict[str, Any] | None] = []
        for start in range(0, len(ids), _TASKS_PER_REQUEST):
            chunk = ids[start : start + _TASKS_PER_REQUEST]
            params = ", ".join(f"$t{i}: ID!" for i in range(len(chunk)))
            body = " ".join(f"t{i}: task(id: $t{i}) {{ id {fields} }}" for i in range(len(chunk)))
            data = self.execute(f"query ({params}) {{ {body} }}", {f"t{i}": task for i, task in enumerate(chunk)})
            found.extend(data[f"t{i}"] for i in range(len(chunk)))
        return found

    # --- restart patterns -------------------------------------------------------------------------

    def add_task_restart_patterns(self, network: str, patterns: Iterable[str], num_allowed_restarts: int) -> str:
        """Failed tasks whose exceptions or tracebacks match a pattern (RE2) go back to WAITING, at most
        ``num_allowed_restarts`` times per pattern."""
        for pattern in patterns:
            self.execute(q.ADD_RESTART_PATTERN, {"key": network, "pattern": pattern, "maxRetries": num_allowed_restarts})
        return network

    def get_task_restart_patterns(self, network: str) -> dict[str, int]:
        """Pattern → retries allowed."""
        patterns = self.execute(q.RESTART_PATTERNS, {"key": network})["network"]
        if patterns is None:
            raise NotFoundError(f"no network {network}")
        return {p["pattern"]: p["maxRetries"] for p in patterns["restartPatterns"]}

    def remove_task_restart_patterns(self, network: str, patterns: Iterable[str]) -> None:
        for pattern in patterns:
            self.execute(q.REMOVE_RESTART_PATTERN, {"key": network, "pattern": pattern})

    def clear_task_restart_patterns(self, network: str) -> None:
        self.remove_task_restart_patterns(network, list(self.get_task_restart_patterns(network)))

    # --- results ----------------------------------------------------------------------------------

    def get_transformation_results(self, transformation: str) -> dict[str, Any] | None:
        """The transformation's combined estimate (``value``, ``uncertainty``, ``unit``, ``n``, ``spread``
        and its ``repeats``); None until a task's result carries an estimate."""
        found = self.execute(q.TRANSFORMATION_ESTIMATE, {"key": transformation})["transformation"]
        if found is None:
            raise NotFoundError(f"no transformation {transformation}")
        return found["estimate"]

    def get_network_results(self, network: str, reference: str | None = None) -> dict[str, Any]:
        """The network's chemical systems on one free-energy scale (``chemicalSystems``, ``transformations``
        with measured and fitted values, ``cycles``, ``components``); ``reference`` pins a system at 0."""
        found = self.execute(q.NETWORK_ESTIMATES, {"key": network, "reference": reference})["network"]
        if found is None:
            raise NotFoundError(f"no network {network}")
        return found["estimates"]

    def get_task_results(self, task: str) -> list[dict[str, Any]]:
        """The task's successful ProtocolDAGResults (at most one), each with its ``estimate`` and its
        ``document``: every unit with its outputs, and the ResultFiles."""
        return self._task_field(q.TASK_RESULTS, {"id": task})["dagResults"]

    def get_task_failures(self, task: str) -> list[dict[str, Any]]:
        """Everything that failed, oldest attempt first: failed units (``unitKey``, ``exception``,
        ``traceback`` and the captured ``log``) and DAGs that could not be built (``unitKey`` None)."""
        return self._task_field(q.TASK_FAILURES, {"id": task})["failures"]

    def _task_field(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        found = self.execute(query, variables)["task"]
        if found is None:
            raise NotFoundError(f"no task {variables['id']}")
        return found

    # --- files ------------------------------------------------------------------------------------

    def get_task_files(self, task: str, unit: str | None = None, ok: bool | None = None) -> list[dict[str, Any]]:
        """The task's ResultFiles (``unitKey``, ``path``, ``size``, ``sha256``, ``downloadUrl``…);
        ``ok=True`` only those of the attempts that produced ok results."""
        return self._task_field(q.TASK_FILES, {"id": task, "unit": unit, "ok": ok})["resultFiles"]

    def download_task_files(
        self,
        task: str,
        directory: str | os.PathLike[str],
        *,
        unit: str | None = None,
        ok: bool | None = True,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Downloads the task's files to ``<directory>/<unitKey>/<path>``, each checked against its SHA-256
        (a file already there with the right content is kept); returns the paths. ``progress(file, done,
        total)`` is called as bytes arrive."""
        listed, listed_at = self.get_task_files(task, unit, ok), time.monotonic()
        planned = [(file, destination_for(directory, file["unitKey"], file["path"])) for file in listed]
        paths = []
        for file, destination in planned:
            if time.monotonic() - listed_at > _URL_MAX_AGE_SECONDS:
                fresh = {(f["unitKey"], f["path"]): f for f in self.get_task_files(task, unit, ok)}
                file, listed_at = fresh.get((file["unitKey"], file["path"]), file), time.monotonic()
            if not has_content(destination, int(file["size"]), file["sha256"]):
                download_verified(file, absolute_url(self.url, file["downloadUrl"]), destination, timeout=self.timeout, progress=progress)
            paths.append(destination)
        return paths

    def download_file(
        self, file: dict[str, Any], directory: str | os.PathLike[str], *, progress: Progress | None = None
    ) -> Path:
        """Downloads one ResultFile (as get_task_files lists it) to ``<directory>/<unitKey>/<path>``."""
        destination = destination_for(directory, file["unitKey"], file["path"])
        download_verified(file, absolute_url(self.url, file["downloadUrl"]), destination, timeout=self.timeout, progress=progress)
        return destination

    # --- live events ------------------------------------------------------------------------------

    def get_event_cursor(self) -> str:
        """The newest event cursor: read it before a snapshot, then ``events(since=…)`` misses nothing."""
        return self.execute("{ taskEventCursor }")["taskEventCursor"]

    def events(
        self,
        filter: dict[str, str] | None = None,
        since: str | None = None,
        *,
        idle_timeout: float | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yields task events as they happen (needs websockets). ``filter``: ``{"networkKey": …}``,
        ``{"taskId": …}`` or ``{"scope": …}``; ``since``: a cursor, to get the stored events after it
        first. ``idle_timeout``: raise TimeoutError when nothing arrives for that many seconds. Close the
        generator (or leave the ``for`` loop) to unsubscribe."""
        return task_events(self.url, self._token, filter=filter, since=since, idle_timeout=idle_timeout)


def _status_name(status: str | None) -> str | None:
    return None if status is None else status.upper()


_NETWORK_STATES = ("active", "inactive", "deleted")


def _network_state(state: str) -> str:
    if state.lower() not in _NETWORK_STATES:
        raise ValueError(f"{state!r} is not a network state: {', '.join(_NETWORK_STATES)}")
    return state.upper()


def _states(state: str | None) -> list[str]:
    """One state, or every state for None, as the API's NetworkState values."""
    return [s.upper() for s in _NETWORK_STATES] if state is None else [_network_state(state)]
