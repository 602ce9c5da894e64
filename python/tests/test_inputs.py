"""Input objects from Python: uploads, lookups, networks with large values, expand (docs/inputs.md)."""

from __future__ import annotations

import hashlib
import random

import pytest
from helpers import command_network

from dagkeeper import Client, DagkeeperError, NotFoundError
from dagkeeper.canonical import canonical_json
from dagkeeper.inputs import canonical_bytes


def protein_like(atoms: int, seed: int) -> dict:
    """Atom records with varied coordinates: compresses as structure text does, not as a run of one byte."""
    rng = random.Random(seed)
    return {
        "name": f"protein-{seed}",
        "atoms": [
            {"serial": i, "name": "CA", "resName": rng.choice(["ALA", "GLY", "LEU"]), "x": round(rng.uniform(-50, 50), 3), "y": round(rng.uniform(-50, 50), 3)}
            for i in range(atoms)
        ],
    }


def test_canonical_json_is_the_text_javascript_writes() -> None:
    # What JSON.stringify and src/domain/contentKey.ts give for these (keys by UTF-16 code unit, JS numbers).
    value = {"b": 1.0, "a": [1e21, 1e-7, 0.1, 123456789.0, 2**60, -0.0], "\uffff": "x\n\u0001", "\U0001f600": None, "é": True}
    assert canonical_json(value) == '{"a":[1e+21,1e-7,0.1,123456789,1152921504606847000,0],"b":1,"é":true,"😀":null,"\uffff":"x\\n\\u0001"}'


def test_an_upload_is_stored_once_found_by_hash_and_key_and_read_back(user: Client, scope: str) -> None:
    data = protein_like(2000, 1)
    reference = user.upload_input(scope, data, key="ProteinComponent-abc123")
    sha256 = hashlib.sha256(canonical_bytes(data)).hexdigest()
    assert reference == {":input:": sha256}
    assert user.upload_input(scope, data) == reference  # the scope holds it: nothing sent

    described = user.get_input_object(scope, key="ProteinComponent-abc123")
    assert (described["sha256"], described["size"], described["keys"]) == (sha256, len(canonical_bytes(data)), ["ProteinComponent-abc123"])
    assert described["encoding"] == "GZIP" and described["storedSize"] < described["size"] * 0.9
    assert user.get_input(scope, sha256) == canonical_bytes(data)
    assert user.get_input(scope, key="ProteinComponent-abc123") == canonical_bytes(data)

    raw = bytes(range(256)) * 10
    assert user.get_input(scope, user.upload_input(scope, raw)[":input:"]) == raw  # bytes are stored as they are
    with pytest.raises(NotFoundError):
        user.get_input(scope, "0" * 64)


def test_create_network_offloads_large_values_and_expand_puts_them_back(user: Client, scope: str) -> None:
    protein = protein_like(3000, 2)  # ~250 KB of JSON, over the 64 KiB threshold
    network = command_network("big inputs")
    for system in network["chemicalSystems"]:
        system["components"]["protein"] = protein
    settings = network["transformations"][0]["settings"]
    network["transformations"][0]["settings"] = {"units": settings["units"]}
    key = user.create_network(network, scope)

    stored = user.get_network(key)
    sha256 = hashlib.sha256(canonical_bytes(protein)).hexdigest()
    assert [s["components"]["protein"] for s in stored["chemicalSystems"]] == [{":input:": sha256}] * 2
    assert stored["chemicalSystems"][0]["components"]["k"] == 1  # small values stay inline
    assert user.expand(stored["chemicalSystems"], scope) == [
        {**s, "components": system["components"]} for s, system in zip(stored["chemicalSystems"], network["chemicalSystems"])
    ]
    assert user.create_network(network, scope) == key  # the same values, the same network


def test_a_reference_the_scope_does_not_hold_is_refused_and_nothing_is_created(user: Client, scope: str) -> None:
    network = command_network("dangling")
    network["chemicalSystems"][0]["components"]["protein"] = {":input:": "e" * 64}
    with pytest.raises(DagkeeperError) as refused:
        user.create_network(network, scope)
    assert refused.value.code == "INPUT_NOT_FOUND"
    assert user.query_networks(scope=scope) == []


def test_create_network_of_many_small_components_over_the_request_cap_offloads_until_it_fits(user: Client, scope: str) -> None:
    # 200 ligands of ~7 KiB: each under the 64 KiB threshold, together ~1.5 MB, over the server's 1 MiB request cap.
    names = [f"lig-{i:04d}" for i in range(200)]
    network = {
        "name": "many ligands",
        "chemicalSystems": [
            {"name": name, "components": {"ligand": protein_like(100, i), "solvent": {"ionicStrengthM": 0.15}}}
            for i, name in enumerate(names)
        ],
        "transformations": [
            {"name": f"{a}->{b}", "stateA": a, "stateB": b, "protocol": "small-molecules", "settings": {"windows": 11}}
            for a, b in zip(names, names[1:])
        ],
    }
    assert len(canonical_json(network)) > 1024 * 1024
    key = user.create_network(network, scope)

    stored = {s["name"]: s for s in user.get_network(key)["chemicalSystems"]}
    offloaded = [name for name in names if ":input:" in stored[name]["components"]["ligand"]]
    assert 0 < len(offloaded) < len(names)  # as many as the cap needs, no more
    assert all(stored[name]["components"]["solvent"] == {"ionicStrengthM": 0.15} for name in names)
    expanded = user.expand(list(stored.values()), scope)
    assert {s["name"]: s["components"] for s in expanded} == {s["name"]: s["components"] for s in network["chemicalSystems"]}
