"""A fleet database's ``resilience`` and ``replicas`` tables: each key the environment's where
left out, the merged values checked by the environment's rules, every problem at once."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from synth_helpers import VALID_ENVIRONMENT

from rds_ha.errors import ConfigurationError
from stacks.config import parse_config

CLUSTER: dict[str, Any] = {
    "deployment": "multi-az-cluster",
    "instance_class": "db.m6gd.large",
    "allocated_storage_gib": 400,
    "max_allocated_storage_gib": 2000,
}


def environment(**databases: dict[str, Any]) -> dict[str, Any]:
    table = copy.deepcopy(VALID_ENVIRONMENT)
    table["databases"] = databases
    return table


def fleet(table: dict[str, Any], name: str = "dev") -> dict[str, Any]:
    config = parse_config({"environments": {name: table}}).environments[name]
    return {database.name: database for database in config.fleet}


def problems(**environments: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigurationError) as error:
        parse_config({"environments": environments})
    return error.value.problems


def test_a_database_inherits_the_environment_resilience_keys_and_its_own_win() -> None:
    table = environment(
        orders={"resilience": {"proxy": True, "proxy_max_idle_connections_percent": 10}},
        plain={},
    )
    table["resilience"] = {"proxy_max_connections_percent": 70, "game_day": True}
    table["replicas"] = {"count": 1}
    databases = fleet(table)
    orders = databases["orders"].settings
    assert orders.resilience.proxy is True
    assert orders.resilience.proxy_max_connections_percent == 70  # the environment's
    assert orders.resilience.proxy_max_idle_connections_percent == 10  # its own
    assert orders.resilience.game_day is True
    assert orders.replicas.count == 1
    plain = databases["plain"].settings
    assert plain.resilience.proxy is None
    assert plain.resilience.proxy_max_idle_connections_percent == 50  # the default
    assert not databases["plain"].wants_proxy  # not production


def test_replicas_merge_by_key() -> None:
    table = environment(
        orders={"replicas": {"instance_class": "db.r7g.large"}},
        reports={"replicas": {"count": 0}},
    )
    table["replicas"] = {"count": 2, "instance_class": "db.m7g.large"}
    databases = fleet(table)
    assert databases["orders"].settings.replicas.count == 2
    assert databases["orders"].settings.replicas.instance_class == "db.r7g.large"
    assert databases["reports"].settings.replicas.count == 0
    assert databases["reports"].settings.replicas.instance_class == "db.m7g.large"


def test_production_fleet_databases_get_a_proxy_by_default_but_clusters_do_not() -> None:
    databases = fleet(
        environment(orders={}, events=CLUSTER, lean={"resilience": {"proxy": False}}),
        name="prod",
    )
    assert databases["orders"].wants_proxy
    assert not databases["events"].wants_proxy
    assert not databases["lean"].wants_proxy


def test_a_fleet_database_is_watched_only_when_asked() -> None:
    table = environment(plain={}, watched={"resilience": {"recovery_point_watch": True}})
    databases = fleet(table)
    assert not databases["plain"].watches_recovery_point
    assert databases["watched"].watches_recovery_point
    # The environment's own database is watched unless it says otherwise.
    assert (
        parse_config({"environments": {"dev": table}})
        .environments["dev"]
        .resilience.watches_recovery_point(fleet=False)
    )
    table["resilience"] = {"recovery_point_watch": True}
    assert fleet(table)["plain"].watches_recovery_point


def test_every_resilience_and_replica_problem_of_every_database_is_listed_at_once() -> None:
    dev = environment(
        orders={"replicas": {"count": 16}, "resilience": {"recovery_point_alarm_minutes": 5}},
        billing={
            "replicas": {"count": "two", "instance_class": "db.m7g.huge"},
            "resilience": {"proxy_max_idle_connections_percent": 90, "failover": True},
        },
        events={
            **CLUSTER,
            "replicas": {"count": 1},
            "resilience": {"proxy": True},
        },
        single={"deployment": "single-az", "resilience": {"game_day": True}},
    )
    dev["resilience"] = {"proxy_max_connections_percent": 80}
    found = problems(
        dev=dev,
        staging=environment(reports={"resilience": {"proxy_max_connections_percent": 0}}),
    )
    joined = "\n".join(found)
    assert "[dev.databases.orders] replicas.count=16: must be 0-15" in joined
    assert "[dev.databases.orders] resilience.recovery_point_alarm_minutes=5:" in joined
    assert "[dev.databases.billing] replicas.count='two': Input should be a valid integer" in joined
    assert "[dev.databases.billing] resilience.failover=True: unknown key" in joined
    assert "[dev.databases.events] replicas.count=1:" in joined
    assert "[dev.databases.events] resilience.proxy: deployment='multi-az-cluster'" in joined
    assert (
        "[dev.databases.single] resilience.game_day=true: a forced failover needs a standby"
        in joined
    )
    assert (
        "[staging.databases.reports] resilience.proxy_max_connections_percent=0: must be 1-100"
        in joined
    )
    # The other keys of a table with a bad key are still checked, against the merged values.
    assert "[dev.databases.billing] replicas.instance_class='db.m7g.huge'" in joined
    assert (
        "[dev.databases.billing] resilience.proxy_max_idle_connections_percent=90: must not "
        "exceed max_connections_percent (80)" in joined
    )


def test_an_inherited_resilience_problem_is_reported_once_on_the_environment() -> None:
    table = environment(orders={}, billing={})
    table["resilience"] = {"proxy": True, "proxy_max_idle_connections_percent": 90}
    table["resilience"]["proxy_max_connections_percent"] = 80
    found = problems(dev=table)
    assert [p for p in found if p.startswith("[dev] resilience=")], found
    assert not [p for p in found if "databases" in p], found


def test_the_docs_fleet_resilience_example_parses_as_documented() -> None:
    fleets = (Path(__file__).resolve().parents[2] / "docs" / "fleets.md").read_text()
    (block,) = [
        block
        for block in re.findall(r"```toml\n(.*?)```", fleets, re.S)
        if "databases.orders.resilience" in block
    ]
    example = tomllib.loads(block)["environments"]["shop"]
    table = copy.deepcopy(VALID_ENVIRONMENT)
    table["resilience"] = example["resilience"]
    table["databases"] = example["databases"]
    databases = fleet(table, name="shop")
    orders = databases["orders"]
    assert orders.wants_proxy and orders.watches_recovery_point
    assert orders.settings.resilience.proxy_max_connections_percent == 80
    assert orders.settings.resilience.recovery_point_alarm_minutes == 15
    assert orders.settings.resilience.game_day
    assert orders.settings.replicas.count == 2
    billing = databases["billing"]
    assert not billing.settings.resilience.game_day
    assert not billing.wants_proxy and not billing.watches_recovery_point
