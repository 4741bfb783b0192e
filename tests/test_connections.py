"""HighlyAvailableDatabase is an ``ec2.IConnectable``: aws-cdk-lib's own ``Connections`` methods
open its port from either side, as they do for ``rds.DatabaseInstance``."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import Deployment, Engine, HighlyAvailableDatabase


class Wired:
    """A database and three clients, each let in by a different CDK idiom."""

    def __init__(self, **props: Any) -> None:
        app = cdk.App()
        stack = cdk.Stack(app, "Shop", env=TEST_ENV)
        vpc = isolated_vpc(stack)
        self.database = HighlyAvailableDatabase(stack, "Orders", vpc=vpc, **props)

        def client(name: str) -> ec2.SecurityGroup:
            return ec2.SecurityGroup(stack, name, vpc=vpc, allow_all_outbound=False)

        self.to_port, self.from_db, self.wrapped = client("ToPort"), client("FromDb"), client("W")
        # The client's side: "let me reach the database" (ingress on the database, egress on
        # the client, both on the database's port).
        self.to_port.connections.allow_to_default_port(self.database)
        # The database's side: "let this client in".
        self.database.connections.allow_default_port_from(self.from_db, "orders from FromDb")
        # Connections built around security groups, as an app without a construct of its own has.
        ec2.Connections(security_groups=[self.wrapped]).allow_to_default_port(self.database)
        self.template = Template.from_stack(stack)
        self.database_group = stack.resolve(self.database.security_group.security_group_id)

    def group_of(self, group: ec2.SecurityGroup) -> Any:
        return cdk.Stack.of(group).resolve(group.security_group_id)

    def ingress_from(self, client: ec2.SecurityGroup) -> list[tuple[str, int, int]]:
        return [
            (rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
            for rule in self._rules("AWS::EC2::SecurityGroupIngress")
            if rule["GroupId"] == self.database_group
            and rule.get("SourceSecurityGroupId") == self.group_of(client)
        ]

    def egress_of(self, client: ec2.SecurityGroup) -> list[tuple[str, int, int]]:
        return [
            (rule["IpProtocol"], rule["FromPort"], rule["ToPort"])
            for rule in self._rules("AWS::EC2::SecurityGroupEgress")
            if rule["GroupId"] == self.group_of(client)
            and rule.get("DestinationSecurityGroupId") == self.database_group
        ]

    def _rules(self, kind: str) -> list[dict[str, Any]]:
        return [resource["Properties"] for resource in self.template.find_resources(kind).values()]


@pytest.fixture(scope="module")
def postgres() -> Wired:
    return Wired()


@pytest.fixture(scope="module")
def mysql_cluster_on_its_own_port() -> Wired:
    return Wired(engine=Engine.MYSQL, deployment=Deployment.MULTI_AZ_CLUSTER, port=3307)


def test_database_is_connectable_with_its_port_as_the_default_port(postgres: Wired) -> None:
    # jsii interfaces are Protocols, not runtime-checkable: jsii reads the declared interfaces.
    assert ec2.IConnectable in type(postgres.database).__jsii_ifaces__
    port = postgres.database.connections.default_port
    assert port is not None
    assert port.to_string() == "15432"


@pytest.mark.parametrize("client", ["to_port", "from_db", "wrapped"])
def test_each_connections_idiom_opens_the_database_port_to_the_client(
    postgres: Wired, client: str
) -> None:
    assert postgres.ingress_from(getattr(postgres, client)) == [("tcp", 15432, 15432)]


@pytest.mark.parametrize("client", ["to_port", "wrapped"])
def test_a_client_that_reaches_out_gets_egress_to_the_database_port_only(
    postgres: Wired, client: str
) -> None:
    assert postgres.egress_of(getattr(postgres, client)) == [("tcp", 15432, 15432)]


def test_the_description_given_names_the_ingress_rule(postgres: Wired) -> None:
    postgres.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {"Description": "orders from FromDb", "FromPort": 15432, "ToPort": 15432},
    )


@pytest.mark.parametrize("client", ["to_port", "from_db", "wrapped"])
def test_a_cluster_opens_the_port_it_was_given(
    mysql_cluster_on_its_own_port: Wired, client: str
) -> None:
    wired = mysql_cluster_on_its_own_port
    assert wired.ingress_from(getattr(wired, client)) == [("tcp", 3307, 3307)]
