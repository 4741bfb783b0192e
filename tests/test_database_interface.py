"""IHighlyAvailableDatabase: what the other constructs take. A deployed and an imported
database each have every member of it, with the interface's arguments."""

from __future__ import annotations

import inspect
from typing import Protocol

import aws_cdk as cdk
import pytest
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import (
    Deployment,
    Engine,
    HighlyAvailableDatabase,
    IHighlyAvailableDatabase,
    ImportedDatabase,
)


def protocol_members(protocol: type) -> set[str]:
    """The names a Protocol declares (``typing.get_protocol_members`` is Python 3.13's)."""
    declared = set(vars(protocol)) - set(vars(Protocol)) - {"__protocol_attrs__"}
    return {name for name in declared if not name.startswith("_")}


MEMBERS = protocol_members(IHighlyAvailableDatabase)


@pytest.fixture(scope="module", params=[Deployment.MULTI_AZ_INSTANCE, Deployment.MULTI_AZ_CLUSTER])
def deployed(request: pytest.FixtureRequest) -> HighlyAvailableDatabase:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    return HighlyAvailableDatabase(
        stack, "Orders", vpc=isolated_vpc(stack), deployment=request.param
    )


@pytest.fixture(scope="module")
def imported() -> ImportedDatabase:
    stack = cdk.Stack(cdk.App(), "Shop", env=TEST_ENV)
    return HighlyAvailableDatabase.from_database_attributes(
        stack,
        "Orders",
        instance_identifier="orders",
        endpoint_address="orders.x.eu-west-1.rds.amazonaws.com",
        port=5432,
        engine=Engine.POSTGRES,
        security_groups=[],
    )


def test_the_interface_names_what_the_constructs_read() -> None:
    assert {
        "identifier",
        "engine",
        "deployment",
        "port",
        "endpoint_address",
        "arn",
        "arn_for",
        "encryption_key",
        "secret",
        "connections",
        "security_groups",
        "metric",
        "metric_cpu_utilization",
        "grant_connect",
        "use_cluster_members",
    } <= MEMBERS


def test_a_deployed_database_has_every_member_of_the_interface(
    deployed: HighlyAvailableDatabase,
) -> None:
    missing = sorted(name for name in MEMBERS if not hasattr(deployed, name))
    assert missing == []


def test_a_deployed_databases_methods_take_the_interfaces_arguments(
    deployed: HighlyAvailableDatabase,
) -> None:
    for name in MEMBERS:
        declared = getattr(IHighlyAvailableDatabase, name)
        if not inspect.isfunction(declared):
            continue
        wanted = list(inspect.signature(declared).parameters)[1:]
        given = inspect.signature(getattr(deployed, name)).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in given.values())
        assert takes_any or set(wanted) <= set(given), name


def test_a_deployed_database_lists_its_one_security_group(
    deployed: HighlyAvailableDatabase,
) -> None:
    assert deployed.security_groups == [deployed.security_group]
    assert deployed.resource is not None


def test_an_imported_database_has_every_member_of_the_interface(
    imported: ImportedDatabase,
) -> None:
    assert sorted(name for name in MEMBERS if not hasattr(imported, name)) == []
    assert imported.resource is None


def test_an_imported_databases_methods_take_the_interfaces_arguments(
    imported: ImportedDatabase,
) -> None:
    for name in MEMBERS:
        declared = getattr(IHighlyAvailableDatabase, name)
        if inspect.isfunction(declared):
            wanted = list(inspect.signature(declared).parameters)[1:]
            given = inspect.signature(getattr(imported, name)).parameters
            assert set(wanted) <= set(given), name
