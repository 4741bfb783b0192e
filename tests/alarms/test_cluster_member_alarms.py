"""Multi-AZ DB cluster alarms on the members' metrics: RDS publishes a cluster's metrics per
member DB instance (RDS user guide, "Amazon CloudWatch dimensions for Amazon RDS" and the
Multi-AZ DB cluster replica lag alarm tutorial). One stack: a cluster whose members are given,
and one whose members are learned at deploy time by a custom resource."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import (
    ClusterMemberLookup,
    ConfigurationError,
    DatabaseAlarms,
    Deployment,
    HighlyAvailableDatabase,
)

CLUSTER = {
    "deployment": Deployment.MULTI_AZ_CLUSTER,
    "instance_class": "db.m6gd.large",
    "allocated_storage": cdk.Size.gibibytes(400),
}
MEMBERS = ["ledger-instance-1", "ledger-instance-2", "ledger-instance-3"]


class Built:
    def __init__(self) -> None:
        app = cdk.App()
        self.stack = cdk.Stack(app, "Clusters", env=TEST_ENV)
        vpc = isolated_vpc(self.stack)
        ledger = HighlyAvailableDatabase(
            self.stack, "Ledger", vpc=vpc, identifier="ledger", **CLUSTER
        )
        self.ledger_alarms = DatabaseAlarms(
            self.stack, "LedgerAlarms", database=ledger, cluster_member_identifiers=MEMBERS
        )
        audit = HighlyAvailableDatabase(self.stack, "Audit", vpc=vpc, identifier="audit", **CLUSTER)
        DatabaseAlarms(self.stack, "AuditAlarms", database=audit)
        self.orders = HighlyAvailableDatabase(self.stack, "Orders", vpc=vpc, identifier="orders")
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def alarm(built: Built, name: str) -> dict[str, Any]:
    (found,) = built.template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": name}}
    ).values()
    return found["Properties"]


def member_metrics(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        query["Id"]: query["MetricStat"] for query in properties["Metrics"] if "MetricStat" in query
    }


def test_cluster_replica_lag_alarm_is_the_max_of_the_three_members(built: Built) -> None:
    properties = alarm(built, "ledger-replica-lag-critical")
    assert "Dimensions" not in properties
    (expression,) = [query for query in properties["Metrics"] if "Expression" in query]
    assert expression["Expression"] == "MAX([maximum_0,maximum_1,maximum_2])"
    assert expression["ReturnData"] is True
    stats = member_metrics(properties)
    assert {stat["Metric"]["Dimensions"][0]["Value"] for stat in stats.values()} == set(MEMBERS)
    for stat in stats.values():
        assert stat["Metric"]["MetricName"] == "ReplicaLag"
        assert stat["Metric"]["Dimensions"][0]["Name"] == "DBInstanceIdentifier"
        assert stat["Stat"] == "Maximum"


def test_cluster_minimum_thresholds_watch_the_lowest_member(built: Built) -> None:
    properties = alarm(built, "ledger-free-storage-critical")
    (expression,) = [query for query in properties["Metrics"] if "Expression" in query]
    assert expression["Expression"] == "MIN([minimum_0,minimum_1,minimum_2])"
    assert properties["ComparisonOperator"] == "LessThanThreshold"


def lookup_id(built: Built) -> str:
    (logical_id,) = built.template.find_resources("Custom::RdsClusterMembers").keys()
    return logical_id


def test_cluster_without_members_learns_them_at_deploy_time(built: Built) -> None:
    properties = alarm(built, "audit-replica-lag-critical")
    assert "Dimensions" not in properties
    (expression,) = [query for query in properties["Metrics"] if "Expression" in query]
    assert expression["Expression"] == "MAX([maximum_0,maximum_1,maximum_2])"
    dimensions = [stat["Metric"]["Dimensions"] for stat in member_metrics(properties).values()]
    lookup = lookup_id(built)
    assert sorted(d[0]["Value"]["Fn::GetAtt"][1] for d in dimensions) == [
        "Member0",
        "Member1",
        "Member2",
    ]
    for dimension in dimensions:
        assert dimension[0]["Name"] == "DBInstanceIdentifier"
        assert dimension[0]["Value"]["Fn::GetAtt"][0] == lookup


def test_no_alarm_of_a_cluster_uses_the_cluster_dimension(built: Built) -> None:
    for resource in built.template.find_resources("AWS::CloudWatch::Alarm").values():
        assert "Dimensions" not in resource["Properties"], resource["Properties"]["AlarmName"]
    assert Annotations.from_stack(built.stack).find_warning("*", Match.any_value()) == []


def test_member_lookup_reruns_for_a_new_or_replaced_cluster(built: Built) -> None:
    (resource,) = built.template.find_resources("Custom::RdsClusterMembers").values()
    properties = resource["Properties"]
    assert properties["DBClusterIdentifier"] == "audit"
    assert properties["DBClusterResourceId"]["Fn::GetAtt"][1] == "DBClusterResourceId"
    assert "Fn::GetAtt" in properties["ServiceToken"]


def test_member_lookup_may_only_describe_this_cluster(built: Built) -> None:
    (policy,) = [
        resource["Properties"]
        for resource in built.template.find_resources("AWS::IAM::ManagedPolicy").values()
        if "member" in resource["Properties"].get("Description", "")
        or "DB cluster, write" in resource["Properties"].get("Description", "")
    ]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    describe = statements["DescribeThisCluster"]
    assert describe["Action"] == "rds:DescribeDBClusters"
    assert describe["Resource"]["Fn::GetAtt"][1] == "DBClusterArn"
    assert statements["Logs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "Fn::GetAtt" in statements["Logs"]["Resource"]


def test_member_lookup_runs_python_and_logs_to_an_encrypted_group_with_retention(
    built: Built,
) -> None:
    built.template.resource_count_is("Custom::RdsClusterMembers", 1)
    built.template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": "python3.14", "Handler": "cluster_members.handler"},
    )
    built.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": "/rds-ha/audit/cluster-members",
            "RetentionInDays": 365,
            "KmsKeyId": Match.any_value(),
        },
    )


def test_explicit_members_make_no_lookup(built: Built) -> None:
    assert built.ledger_alarms.member_lookup is None
    assert built.ledger_alarms.cluster_member_identifiers == MEMBERS


def test_member_identifiers_are_refused_for_a_db_instance(built: Built) -> None:
    with pytest.raises(
        ConfigurationError, match=r"cluster_member_identifiers=.*only for a Multi-AZ"
    ):
        DatabaseAlarms(
            built.stack, "OrdersAlarms", database=built.orders, cluster_member_identifiers=MEMBERS
        )


def test_a_cluster_needs_its_three_distinct_members(built: Built) -> None:
    stack = cdk.Stack(cdk.App(), "Other", env=TEST_ENV)
    database = HighlyAvailableDatabase(
        stack, "Ledger", vpc=isolated_vpc(stack), identifier="ledger", **CLUSTER
    )
    with pytest.raises(ConfigurationError, match=r"has 3 member DB instances"):
        DatabaseAlarms(stack, "Alarms", database=database, cluster_member_identifiers=MEMBERS[:2])


def test_member_lookup_is_refused_for_a_db_instance(built: Built) -> None:
    with pytest.raises(ConfigurationError, match=r"deployment='multi-az-instance'.*Multi-AZ DB"):
        ClusterMemberLookup(built.stack, "OrdersMembers", database=built.orders)


def test_member_lookup_runs_outside_the_vpc_so_it_can_answer_cloudformation(built: Built) -> None:
    # A custom resource answers with an HTTPS PUT to the pre-signed Amazon S3 URL in the
    # request's ResponseURL (CloudFormation User Guide, "Custom resources"); the database
    # subnets are isolated (no NAT), so a function in them could neither reach that URL nor the
    # RDS API without endpoints it does not have.
    functions = built.template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "cluster_members.handler"}}
    )

    assert functions
    assert all("VpcConfig" not in f["Properties"] for f in functions.values())
