"""The client against a real server: every call it makes is validated by the server's schema."""

from __future__ import annotations

import pytest
from helpers import command_network

from dagkeeper import (
    AuthenticationError,
    BadUserInputError,
    Client,
    DagkeeperError,
    ForbiddenError,
    NotFoundError,
    StatusNotSettableError,
    UnreachableError,
)


def test_a_network_is_created_once_listed_and_read_back_with_its_transformations(user: Client, scope: str) -> None:
    key = user.create_network(command_network("listed"), scope)
    assert user.create_network(command_network("listed"), scope) == key  # submitting is idempotent
    other = user.create_network(command_network("another"), scope)

    assert set(user.query_networks(scope=scope)) == {key, other}
    assert user.query_networks(name="listed", scope=scope) == [key]
    network = user.get_network(key)
    assert network["name"] == "listed" and network["scope"] == scope
    assert [t["protocol"] for t in network["transformations"]] == ["command"]
    [transformation] = user.get_network_transformations(key)
    assert user.get_transformation(transformation)["stateB"]["name"] == "B"
    assert user.get_network_status(key) == {"waiting": 0, "running": 0, "complete": 0, "error": 0, "invalid": 0, "deleted": 0}


def test_bad_settings_raise_bad_user_input_naming_the_field(user: Client, scope: str) -> None:
    units = [{"key": "a", "name": "A", "dependencies": ["missing"], "command": ["true"]}]
    with pytest.raises(BadUserInputError) as refused:
        user.create_network(command_network("broken", units), scope)
    assert refused.value.code == "BAD_USER_INPUT"
    assert refused.value.extensions["field"] == "settings.units[0].dependencies"
    assert user.query_networks(scope=scope) == []  # nothing was stored


def test_an_unknown_token_raises_unauthenticated_with_the_http_status(server) -> None:
    with pytest.raises(AuthenticationError) as refused:
        Client(server.url, "dkt_not-a-token").query_networks()
    assert (refused.value.code, refused.value.status) == ("UNAUTHENTICATED", 401)


def test_another_scope_is_refused_and_an_unknown_key_is_not_found(server, user: Client, scope: str) -> None:
    key = user.create_network(command_network(), scope)
    stranger = server.user("elsewhere-c1-p1")
    with pytest.raises(DagkeeperError) as refused:
        stranger.create_network(command_network(), scope)
    assert isinstance(refused.value, ForbiddenError)
    with pytest.raises(ForbiddenError):
        stranger.get_network(key)
    unknown = key.replace(key.split("-")[1], "0" * 32)
    with pytest.raises(NotFoundError):
        user.get_network(unknown)


def test_an_unreachable_server_raises_unreachable() -> None:
    with pytest.raises(UnreachableError):
        Client("http://127.0.0.1:9", "dkt_x", timeout=10).query_networks()


def test_tasks_are_paged_through_oldest_first_whatever_the_page_size(user: Client, scope: str) -> None:
    network = user.create_network(command_network(), scope)
    [transformation] = user.get_network_transformations(network)
    created = user.create_tasks(transformation, count=17)
    assert len(created) == 17

    assert [t["id"] for t in user.get_tasks(scope=scope, page_size=5)] == created
    assert user.get_tasks_status(created) == ["waiting"] * 17  # read by id, more than one request's worth
    assert user.get_scope_status(scope)["waiting"] == 17
    assert user.get_transformation_tasks(transformation) == created
    assert user.get_network_tasks(network, status="waiting") == created
    assert user.query_tasks(scope=scope, status="complete") == []
    assert user.get_task(created[0])["transformation"]["scopedKey"] == transformation


def test_a_task_created_with_a_seed_reports_it_and_a_seed_for_several_tasks_is_refused(user: Client, scope: str) -> None:
    network = user.create_network(command_network(), scope)
    [transformation] = user.get_network_transformations(network)
    [reproduced] = user.create_tasks(transformation, seed=2**53 - 1)
    assert user.get_task(reproduced)["seed"] == 2**53 - 1
    first, second = user.create_tasks(transformation, count=2)  # each a random seed of its own
    assert user.get_task(first)["seed"] != user.get_task(second)["seed"]

    with pytest.raises(BadUserInputError) as refused:
        user.create_tasks(transformation, count=2, seed=7)
    assert refused.value.code == "BAD_USER_INPUT" and refused.value.extensions["field"] == "seed"
    assert user.get_transformation_tasks(transformation) == [reproduced, first, second]  # nothing more stored


def test_tasks_are_actioned_cancelled_reprioritised_and_set_invalid(user: Client, scope: str) -> None:
    network = user.create_network(command_network(), scope)
    [transformation] = user.get_network_transformations(network)
    first, second = user.create_tasks(transformation, count=2)

    assert user.action_tasks([first, second], network) == [first, second]
    assert user.get_task(first)["actionedOn"] == [network]
    assert user.cancel_tasks([first], network) == [first]
    assert user.get_task(first)["actionedOn"] == []

    assert user.set_tasks_priority([first], 3) == [first]
    assert user.get_tasks_priority([first]) == [3]

    assert user.set_tasks_status([second], "invalid") == [second]
    assert user.get_tasks_status([first, second]) == ["waiting", "invalid"]
    assert user.get_network_status(network)["invalid"] == 1
    with pytest.raises(StatusNotSettableError):
        user.set_tasks_status([first], "complete")


def test_network_weight_and_restart_patterns_round_trip(user: Client, scope: str) -> None:
    network = user.create_network(command_network(), scope)
    assert user.set_network_weight(network, 0.25) == network
    assert user.get_network_weight(network) == 0.25

    user.add_task_restart_patterns(network, ["Connection reset", "CUDA error: out of memory"], 3)
    assert user.get_task_restart_patterns(network) == {"Connection reset": 3, "CUDA error: out of memory": 3}
    user.remove_task_restart_patterns(network, ["Connection reset"])
    assert user.get_task_restart_patterns(network) == {"CUDA error: out of memory": 3}
    user.clear_task_restart_patterns(network)
    assert user.get_task_restart_patterns(network) == {}

    with pytest.raises(BadUserInputError):  # RE2 has no backreferences
        user.add_task_restart_patterns(network, [r"(a)\1"], 1)


def test_network_state_hides_a_network_from_listings_and_reverse_lookups_and_keeps_what_it_shares(user: Client, scope: str) -> None:
    kept = user.create_network(command_network("kept"), scope)
    retired = user.create_network(command_network("retired"), scope)
    [transformation] = user.get_network_transformations(kept)
    assert user.get_network_transformations(retired) == [transformation]  # the same content: shared
    system = user.get_transformation(transformation)["stateA"]["scopedKey"]
    assert user.get_network_state(retired) == "active"

    assert user.set_network_state(retired, "deleted") == retired
    assert user.get_network_state(retired) == "deleted"
    assert user.query_networks(scope=scope) == [kept]
    assert user.query_networks(scope=scope, state="deleted") == [retired]
    assert user.query_networks(scope=scope, state=None) == [kept, retired]
    assert user.get_transformation_networks(transformation) == [kept]
    assert user.get_transformation_networks(transformation, state=None) == [kept, retired]
    assert user.get_chemicalsystem_networks(system) == [kept]
    assert user.get_chemicalsystem_transformations(system) == [transformation]
    assert user.query_transformations(name="A->B", scope=scope) == [transformation]
    assert user.query_chemicalsystems(name="A", scope=scope) == [system]

    assert user.set_networks_state([kept, retired], "Inactive") == [kept, retired]
    assert user.query_networks(scope=scope) == []
    with pytest.raises(ValueError):
        user.set_network_state(kept, "archived")
    with pytest.raises(NotFoundError):
        user.get_chemicalsystem(system.replace(system.split("-")[1], "0" * 32))


def test_events_outside_the_token_s_scopes_are_refused_when_the_subscription_starts(user: Client) -> None:
    events = user.events({"scope": "elsewhere-*-*"}, idle_timeout=120)
    with pytest.raises(ForbiddenError):
        next(events)
