"""Which values of a network travel as input objects (docs/inputs.md), decided before anything is sent.

The same rule as the CLI's (src/client/offloadPlan.ts): every component (each value of a components object,
or the whole components when they are not an object) and every settings over 64 KiB of canonical JSON;
then, in any components object whose JSON is still over the server's cap on one value, its values largest
first until it fits; then values anywhere, largest first, until the createNetwork request fits the server's
request cap less REQUEST_MARGIN_BYTES. A network too big even with every value offloaded is refused before a
byte is uploaded.

Sizes are exact without writing the network out once per choice: a place holds either its value or a
reference, whose length is fixed, so the request is its skeleton (every place a reference) plus what each
value kept inline adds. The request is measured as the transport writes it (``json.dumps``); a components
object as the server measures it (canonical JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .canonical import canonical_json_pieces
from .errors import PayloadTooLargeError

SHA256_FIELD = ":input:"
KEY_FIELD = ":input-key:"
#: Room left in a request for its query text, the other variables and the JSON around them.
REQUEST_MARGIN_BYTES = 8 * 1024
#: The server's defaults, assumed of a server too old to say (Query.requestSizeLimits).
DEFAULT_REQUEST_SIZE_LIMITS = {"maxRequestBytes": 1024 * 1024, "maxJsonValueBytes": 1024 * 1024}

_PLACEHOLDER = {SHA256_FIELD: "0" * 64}


def canonical_size(value: Any) -> int:
    """Bytes of the value's canonical JSON (UTF-8)."""
    return sum(len(piece.encode("utf-8")) for piece in canonical_json_pieces(value))


def _sent_size(value: Any) -> int:
    return len(json.dumps(value).encode("utf-8"))


_REFERENCE_CANONICAL = canonical_size(_PLACEHOLDER)
_REFERENCE_SENT = _sent_size(_PLACEHOLDER)


def as_reference(value: Any) -> dict[str, str] | None:
    """``value`` when it is a reference (exactly one of the two fields), else None."""
    if isinstance(value, dict) and len(value) == 1 and (SHA256_FIELD in value or KEY_FIELD in value):
        return value
    return None


def _holds_reference(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if SHA256_FIELD in item or KEY_FIELD in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


@dataclass
class Place:
    """One place a value may leave for a reference: ``container[key]``, in components object ``group`` if any."""

    container: dict[str, Any]
    key: str
    value: Any
    group: int | None = None


@dataclass
class Planned:
    value: Any
    size: int
    sent_size: int
    places: list[Place] = field(default_factory=list)


def places_of(network: dict[str, Any]) -> tuple[dict[str, Any], list[Place], list[dict[str, Any]]]:
    """A copy of the network whose places may be replaced, the places, and its components objects."""
    copy = dict(network)
    places: list[Place] = []
    groups: list[dict[str, Any]] = []

    def offer(container: dict[str, Any], key: str, group: int | None = None) -> None:
        value = container[key]
        # A value holding references stays inline: the server checks references only where the network holds them.
        if value is not None and as_reference(value) is None and not _holds_reference(value):
            places.append(Place(container, key, value, group))

    copy["chemicalSystems"] = []
    for system in network["chemicalSystems"]:
        if isinstance(system, dict):
            system = dict(system)
            components = system.get("components")
            if isinstance(components, dict) and as_reference(components) is None:
                components = system["components"] = dict(components)
                groups.append(components)
                for name in components:
                    offer(components, name, len(groups) - 1)
            elif "components" in system:
                offer(system, "components")
        copy["chemicalSystems"].append(system)
    copy["transformations"] = []
    for transformation in network["transformations"]:
        if isinstance(transformation, dict) and "settings" in transformation:
            transformation = dict(transformation)
            offer(transformation, "settings")
        copy["transformations"].append(transformation)
    return copy, places, groups


def plan_offload(
    copy: dict[str, Any], places: list[Place], groups: list[dict[str, Any]], threshold: int, limits: dict[str, int]
) -> list[Planned]:
    """The values to offload (each object once, however many places share it), in the order chosen."""
    values: dict[int, Planned] = {}  # by id(): a value shared by many systems is measured once
    for place in places:
        planned = values.get(id(place.value))
        if planned is None:
            planned = values[id(place.value)] = Planned(place.value, canonical_size(place.value), _sent_size(place.value))
        planned.places.append(place)

    for place in places:
        place.container[place.key] = _PLACEHOLDER
    request_bytes = _sent_size(copy)
    group_bytes = [canonical_size(group) for group in groups]
    for place in places:
        place.container[place.key] = place.value
        planned = values[id(place.value)]
        request_bytes += planned.sent_size - _REFERENCE_SENT
        if place.group is not None:
            group_bytes[place.group] += planned.size - _REFERENCE_CANONICAL

    chosen: dict[int, Planned] = {}

    def choose(planned: Planned) -> None:
        nonlocal request_bytes
        chosen[id(planned.value)] = planned
        for place in planned.places:
            request_bytes -= planned.sent_size - _REFERENCE_SENT
            if place.group is not None:
                group_bytes[place.group] -= planned.size - _REFERENCE_CANONICAL

    for planned in values.values():
        if planned.size > threshold:
            choose(planned)
    # Largest first; a value no longer than a reference saves nothing.
    by_size = sorted((p for p in values.values() if p.size > _REFERENCE_CANONICAL), key=lambda p: p.size, reverse=True)
    for group in range(len(groups)):
        for planned in by_size:
            if group_bytes[group] <= limits["maxJsonValueBytes"]:
                break
            if id(planned.value) not in chosen and any(place.group == group for place in planned.places):
                choose(planned)
    budget = limits["maxRequestBytes"] - REQUEST_MARGIN_BYTES
    for planned in by_size:
        if request_bytes <= budget:
            break
        if id(planned.value) not in chosen:
            choose(planned)
    if request_bytes > budget:
        raise PayloadTooLargeError(
            f'network "{copy.get("name")}" ({len(copy["chemicalSystems"])} chemical systems, {len(copy["transformations"])} '
            f"transformations) takes {request_bytes} bytes of JSON even with every component and settings stored as an input "
            f"object, over the server's request cap of {limits['maxRequestBytes']} bytes (less {REQUEST_MARGIN_BYTES} for the "
            "rest of the request): split it into several networks, or raise DAGKEEPER_MAX_REQUEST_BYTES on the server "
            "(nothing was sent or created)",
            extensions={"requestBytes": request_bytes, "maxRequestBytes": limits["maxRequestBytes"]},
        )
    return list(chosen.values())
