"""The alarms rds-ha's constructs deploy, as CloudFormation would create them, put into moto.

One app is synthesized per test session: a Multi-AZ DB cluster (``payments``) and a Multi-AZ DB
instance (``orders-db``), each with its ``DatabaseAlarms`` (the cluster's members learned by
``ClusterMemberLookup``) and both under a ``RecoveryPointWatch``. Each
``AWS::CloudWatch::Alarm`` of the template is then created with ``put_metric_alarm``, its
references resolved to what CloudFormation would give: the topic's ARN, and the lookup's
``Member0..2`` (the handler returns the members sorted by name) to the cluster members created
in moto.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from synth_helpers import TEST_ENV, isolated_vpc

from rds_ha import DatabaseAlarms, Deployment, HighlyAvailableDatabase, RecoveryPointWatch

CLUSTER_ID = "payments"
INSTANCE_ID = "orders-db"
TOPIC = "arn:aws:sns:us-east-1:123456789012:rds-ha-alarms"
MEMBER_ATTRIBUTE = re.compile(r"^Member(\d)$")

# The alarm properties that are PutMetricAlarm parameters of the same name and shape.
PARAMETERS = (
    "AlarmName",
    "AlarmDescription",
    "AlarmActions",
    "OKActions",
    "ComparisonOperator",
    "DatapointsToAlarm",
    "EvaluationPeriods",
    "Threshold",
    "TreatMissingData",
    "Metrics",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "Dimensions",
    "Unit",
)


@cache
def template() -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Deployed", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    cluster = HighlyAvailableDatabase(
        stack,
        "Payments",
        vpc=vpc,
        identifier=CLUSTER_ID,
        deployment=Deployment.MULTI_AZ_CLUSTER,
        instance_class="db.m6gd.large",
        allocated_storage=cdk.Size.gibibytes(400),
    )
    instance = HighlyAvailableDatabase(stack, "Orders", vpc=vpc, identifier=INSTANCE_ID)
    cluster_alarms = DatabaseAlarms(stack, "PaymentsAlarms", database=cluster)
    DatabaseAlarms(stack, "OrdersAlarms", database=instance, topic=cluster_alarms.topic)
    RecoveryPointWatch(
        stack, "RecoveryPoints", databases=[cluster, instance], alarm_topic=cluster_alarms.topic
    )
    return Template.from_stack(stack).to_json()


def metric_alarms(watching: str) -> list[dict[str, Any]]:
    """The template's metric alarms of one database (their names start with its identifier)."""
    return [
        resource["Properties"]
        for resource in template()["Resources"].values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        and resource["Properties"]["AlarmName"].startswith(f"{watching}-")
    ]


def _resolve(value: Any, members: list[str]) -> Any:
    resources = template()["Resources"]
    if isinstance(value, list):
        return [_resolve(item, members) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and resources[value["Ref"]]["Type"] == "AWS::SNS::Topic":
        return TOPIC
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        match = MEMBER_ATTRIBUTE.match(attribute)
        if resources[logical_id]["Type"] == "Custom::RdsClusterMembers" and match:
            return sorted(members)[int(match.group(1))]
    if any(key.startswith("Fn::") or key == "Ref" for key in value):
        raise AssertionError(f"an alarm property CloudFormation resolves is not mapped: {value}")
    return {key: _resolve(item, members) for key, item in value.items()}


def put_deployed_alarms(cloudwatch: Any, watching: str, members: list[str] = ()) -> list[str]:
    """Create the template's metric alarms of ``watching`` (``CLUSTER_ID`` with the ``members``
    created in moto, or ``INSTANCE_ID``); their names."""
    names = []
    for properties in metric_alarms(watching):
        parameters = {
            key: _resolve(properties[key], list(members)) for key in PARAMETERS if key in properties
        }
        cloudwatch.put_metric_alarm(**parameters)
        names.append(parameters["AlarmName"])
    return names


def subscribe_to_events(rds: Any, watching: str) -> None:
    """The event subscription ``DatabaseAlarms`` makes, from the template."""
    for resource in template()["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::RDS::EventSubscription" and properties["SourceIds"] == [
            watching
        ]:
            rds.create_event_subscription(
                SubscriptionName=properties["SubscriptionName"],
                SnsTopicArn=TOPIC,
                SourceType=properties["SourceType"],
                SourceIds=properties["SourceIds"],
                EventCategories=properties["EventCategories"],
                Enabled=properties["Enabled"],
            )


def create_multi_az_cluster(rds: Any, identifier: str = CLUSTER_ID) -> list[str]:
    """A Multi-AZ DB cluster with its writer and two readers; their identifiers.

    moto's CreateDBCluster with DBClusterInstanceClass creates no member DB instances (RDS
    creates a writer and two readers) and leaves DBClusterMembers empty; moto adds a member for
    each CreateDBInstance naming the cluster, as for Aurora, so the three are created that way.
    """
    rds.create_db_cluster(
        DBClusterIdentifier=identifier,
        Engine="postgres",
        EngineVersion="16.4",
        DBClusterInstanceClass="db.m6gd.large",
        AllocatedStorage=400,
        StorageType="io1",
        Iops=3000,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        BackupRetentionPeriod=7,
        DeletionProtection=True,
        StorageEncrypted=True,
    )
    members = [f"{identifier}-instance-{index}" for index in (1, 2, 3)]
    for member, az in zip(members, ("us-east-1a", "us-east-1b", "us-east-1c"), strict=True):
        rds.create_db_instance(
            DBInstanceIdentifier=member,
            DBClusterIdentifier=identifier,
            Engine="postgres",
            DBInstanceClass="db.m6gd.large",
            AvailabilityZone=az,
        )
    return members
