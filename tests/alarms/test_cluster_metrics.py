"""A Multi-AZ DB cluster's public ``metric_*()`` watch what its alarms watch: the worst member DB
instance by DBInstanceIdentifier (RDS publishes no DBClusterIdentifier metrics for it), built
into alarms of the test's own so the template shows each metric's dimensions."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import ConfigurationError, DatabaseAlarms, Deployment, HighlyAvailableDatabase

CLUSTER = {
    "deployment": Deployment.MULTI_AZ_CLUSTER,
    "instance_class": "db.m6gd.large",
    "allocated_storage": cdk.Size.gibibytes(400),
}
MEMBERS = ["ledger-instance-1", "ledger-instance-2", "ledger-instance-3"]


def watch(stack: cdk.Stack, construct_id: str, metric: cloudwatch.IMetric) -> None:
    cloudwatch.Alarm(
        stack,
        construct_id,
        alarm_name=construct_id,
        metric=metric,
        threshold=1,
        evaluation_periods=1,
    )


class Built:
    def __init__(self) -> None:
        self.stack = cdk.Stack(cdk.App(), "Metrics", env=TEST_ENV)
        vpc = isolated_vpc(self.stack)
        self.ledger = HighlyAvailableDatabase(
            self.stack, "Ledger", vpc=vpc, identifier="ledger", **CLUSTER
        )
        self.ledger.use_cluster_members(MEMBERS)
        self.ledger_alarms = DatabaseAlarms(self.stack, "LedgerAlarms", database=self.ledger)
        self.audit = HighlyAvailableDatabase(
            self.stack, "Audit", vpc=vpc, identifier="audit", **CLUSTER
        )
        self.audit_alarms = DatabaseAlarms(self.stack, "AuditAlarms", database=self.audit)
        self.orders = HighlyAvailableDatabase(self.stack, "Orders", vpc=vpc, identifier="orders")
        watch(self.stack, "ledger-cpu", self.ledger.metric_cpu_utilization())
        watch(self.stack, "ledger-storage", self.ledger.metric_free_storage_space())
        watch(self.stack, "ledger-lag", self.ledger.metric_replica_lag(statistic="Maximum"))
        watch(self.stack, "audit-cpu", self.audit.metric_cpu_utilization())
        watch(self.stack, "orders-cpu", self.orders.metric_cpu_utilization())
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def alarm(built: Built, name: str) -> dict[str, Any]:
    (found,) = built.template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": name}}
    ).values()
    return found["Properties"]


def expression_and_dimensions(properties: dict[str, Any]) -> tuple[str, list[list[dict]]]:
    (expression,) = [q["Expression"] for q in properties["Metrics"] if "Expression" in q]
    dimensions = [
        q["MetricStat"]["Metric"]["Dimensions"] for q in properties["Metrics"] if "MetricStat" in q
    ]
    return expression, dimensions


def test_a_cluster_metric_is_the_highest_member_by_db_instance_identifier(built: Built) -> None:
    properties = alarm(built, "ledger-cpu")
    expression, dimensions = expression_and_dimensions(properties)

    assert "Dimensions" not in properties
    assert expression == "MAX([average_0,average_1,average_2])"
    assert dimensions == [[{"Name": "DBInstanceIdentifier", "Value": m}] for m in MEMBERS]


def test_free_storage_of_a_cluster_is_its_lowest_member(built: Built) -> None:
    expression, _ = expression_and_dimensions(alarm(built, "ledger-storage"))
    assert expression == "MIN([average_0,average_1,average_2])"


def test_replica_lag_of_a_cluster_is_its_most_lagging_member(built: Built) -> None:
    expression, _ = expression_and_dimensions(alarm(built, "ledger-lag"))
    assert expression == "MAX([maximum_0,maximum_1,maximum_2])"


def test_the_database_alarms_and_the_metrics_watch_the_same_members(built: Built) -> None:
    _, metric_dimensions = expression_and_dimensions(alarm(built, "ledger-cpu"))
    _, alarm_dimensions = expression_and_dimensions(alarm(built, "ledger-cpu-warning"))
    assert built.ledger_alarms.member_lookup is None
    assert metric_dimensions == alarm_dimensions


def test_a_cluster_without_given_members_watches_the_looked_up_ones(built: Built) -> None:
    _, dimensions = expression_and_dimensions(alarm(built, "audit-cpu"))
    lookup_resource = built.audit_alarms.member_lookup.resource.node.default_child
    lookup = built.stack.get_logical_id(lookup_resource)

    assert [d[0]["Value"]["Fn::GetAtt"] for d in dimensions] == [
        [lookup, f"Member{index}"] for index in range(3)
    ]
    assert dimensions == expression_and_dimensions(alarm(built, "audit-cpu-warning"))[1]


def test_no_metric_uses_the_cluster_dimension(built: Built) -> None:
    assert "DBClusterIdentifier" not in str(built.template.find_resources("AWS::CloudWatch::Alarm"))


def test_an_instance_metric_is_its_own_db_instance_identifier(built: Built) -> None:
    properties = alarm(built, "orders-cpu")
    assert properties["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "orders"}]
    assert properties["Namespace"] == "AWS/RDS"


def test_a_cluster_metric_before_its_members_are_known_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Early", env=TEST_ENV)
    database = HighlyAvailableDatabase(
        stack, "Ledger", vpc=isolated_vpc(stack), identifier="ledger", **CLUSTER
    )
    with pytest.raises(ConfigurationError, match=r"per member DB instance.*not known yet"):
        database.metric_cpu_utilization()


def test_other_members_than_the_databases_are_refused(built: Built) -> None:
    with pytest.raises(ConfigurationError, match=r"the members are already"):
        DatabaseAlarms(
            built.stack,
            "LedgerAgain",
            database=built.ledger,
            cluster_member_identifiers=["a", "b", "c"],
        )
    with pytest.raises(ConfigurationError, match=r"has 3 member DB instances"):
        built.audit.use_cluster_members(MEMBERS[:2])
