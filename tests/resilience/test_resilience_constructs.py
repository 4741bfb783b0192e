"""DatabaseProxy, RecoveryPointWatch and FailoverGameDay as library constructs, synthesized
once (a Multi-AZ DB instance with a proxy and a Multi-AZ DB cluster, both watched and both with
a game day), with the four cdk-nag packs; and what each construct refuses."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match
from synth_helpers import TEST_ENV, ComplianceSynth, compliance_app, isolated_vpc

from rds_ha import (
    ConfigurationError,
    DatabaseAlarms,
    DatabaseProxy,
    Deployment,
    Engine,
    FailoverGameDay,
    HighlyAvailableDatabase,
    RecoveryPointWatch,
)

CLUSTER = {
    "deployment": Deployment.MULTI_AZ_CLUSTER,
    "instance_class": "db.m6gd.large",
    "allocated_storage": cdk.Size.gibibytes(400),
}


class Built:
    def __init__(self) -> None:
        self.app = compliance_app()
        stack = cdk.Stack(self.app, "Resilience", env=TEST_ENV)
        vpc = isolated_vpc(stack)
        self.orders = HighlyAvailableDatabase(stack, "Orders", vpc=vpc, identifier="orders")
        self.ledger = HighlyAvailableDatabase(
            stack, "Ledger", vpc=vpc, identifier="ledger", **CLUSTER
        )
        alarms = DatabaseAlarms(stack, "Alarms", database=self.orders)
        ledger_alarms = DatabaseAlarms(stack, "LedgerAlarms", database=self.ledger)
        self.proxy = DatabaseProxy(
            stack,
            "Proxy",
            database=self.orders,
            vpc=vpc,
            alarm_topic=alarms.topic,
            max_connections_percent=80,
            max_idle_connections_percent=20,
            idle_client_timeout=Duration.minutes(10),
            connection_borrow_timeout=Duration.seconds(30),
        )
        app_role = iam.Role(
            stack, "App", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")
        )
        # A managed policy (inline ones fail the HIPAA, NIST and PCI packs) holds the grant.
        app_policy = iam.ManagedPolicy(stack, "AppPolicy", roles=[app_role])
        self.proxy.grant_connect(app_policy, "rdsha_admin")
        self.app_security_group = cdk.aws_ec2.SecurityGroup(
            stack, "AppSecurityGroup", vpc=vpc, allow_all_outbound=False
        )
        self.proxy.allow_connections_from(self.app_security_group)
        RecoveryPointWatch(
            stack,
            "RecoveryPointWatch",
            databases=[self.orders, self.ledger],
            alarm_topic=alarms.topic,
            encryption_key=self.orders.encryption_key,
            max_recovery_point_age=Duration.minutes(20),
        )
        FailoverGameDay(
            stack,
            "OrdersGameDay",
            database=self.orders,
            stop_condition_alarm=alarms.at_risk,
            encryption_key=self.orders.encryption_key,
        )
        FailoverGameDay(
            stack,
            "LedgerGameDay",
            database=self.ledger,
            stop_condition_alarm=ledger_alarms.at_risk,
            encryption_key=self.ledger.encryption_key,
        )
        self.stack = stack
        self.synth = ComplianceSynth(self.app)
        self.template = self.synth.template(stack)


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def resolve(built: Built, value: Any) -> Any:
    return built.stack.resolve(value)


# --- RDS Proxy ------------------------------------------------------------------------------


def test_proxy_requires_tls_and_iam_and_logs_in_with_the_master_secret(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::RDS::DBProxy",
        {
            "DBProxyName": "orders-proxy",
            "EngineFamily": "POSTGRESQL",
            "RequireTLS": True,
            "DebugLogging": False,
            "IdleClientTimeout": 600,
            "Auth": [
                {
                    "AuthScheme": "SECRETS",
                    "IAMAuth": "REQUIRED",
                    "SecretArn": resolve(built, built.orders.secret.secret_arn),
                    "Description": Match.any_value(),
                }
            ],
        },
    )


def test_proxy_pool_settings_come_from_the_props(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::RDS::DBProxyTargetGroup",
        {
            "TargetGroupName": "default",
            "DBInstanceIdentifiers": ["orders"],
            "ConnectionPoolConfigurationInfo": {
                "MaxConnectionsPercent": 80,
                "MaxIdleConnectionsPercent": 20,
                "ConnectionBorrowTimeout": 30,
            },
            "Tags": Match.absent(),
        },
    )
    (group,) = built.template.find_resources("AWS::RDS::DBProxyTargetGroup").values()
    instance_id = resolve(built, built.orders.resource.node.default_child.logical_id)
    assert instance_id in group["DependsOn"]


def test_proxy_role_reads_only_the_secret_and_decrypts_only_through_secrets_manager(
    built: Built,
) -> None:
    built.template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "rds.amazonaws.com"},
                    }
                ]
            }
        },
    )
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Sid": "ReadMasterUserSecret",
                        "Action": "secretsmanager:GetSecretValue",
                        "Effect": "Allow",
                        "Resource": resolve(built, built.orders.secret.secret_arn),
                    },
                    {
                        "Sid": "DecryptThroughSecretsManager",
                        "Action": "kms:Decrypt",
                        "Effect": "Allow",
                        "Resource": resolve(built, built.orders.encryption_key.key_arn),
                        "Condition": {
                            "StringEquals": {
                                "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"
                            }
                        },
                    },
                ],
                "Version": "2012-10-17",
            }
        },
    )


def test_proxy_endpoint_is_published_like_the_databases(built: Built) -> None:
    endpoint = resolve(built, built.proxy.endpoint)
    built.template.has_resource_properties(
        "AWS::SSM::Parameter", {"Name": "/rds-ha/orders/proxy-endpoint", "Value": endpoint}
    )
    outputs = built.template.find_outputs("*", {"Value": endpoint})
    assert len(outputs) == 1


def test_the_database_lets_the_proxy_in_and_applications_reach_the_proxy_port(
    built: Built,
) -> None:
    proxy_group = resolve(built, built.proxy.security_group.security_group_id)
    database_group = resolve(built, built.orders.security_group.security_group_id)
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": database_group,
            "SourceSecurityGroupId": proxy_group,
            "FromPort": 15432,
            "ToPort": 15432,
        },
    )
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {"GroupId": proxy_group, "DestinationSecurityGroupId": database_group, "FromPort": 15432},
    )
    # The proxy listens on 5432 for PostgreSQL whatever the database's port.
    built.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": proxy_group,
            "SourceSecurityGroupId": resolve(built, built.app_security_group.security_group_id),
            "FromPort": 5432,
            "ToPort": 5432,
        },
    )


def test_grant_connect_names_the_proxy_resource_id_and_the_user(built: Built) -> None:
    policy = next(
        p
        for p in built.template.find_resources("AWS::IAM::ManagedPolicy").values()
        if "rds-db:connect" in str(p)
    )
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    resource = str(statement["Resource"])
    assert "dbuser:" in resource and "/rdsha_admin" in resource
    # The prx-... id is the last field of the proxy's ARN.
    assert "Fn::Split" in resource and "DBProxyArn" in resource


@pytest.mark.parametrize(
    ("name", "metric", "threshold", "operator"),
    [
        ("client-connections", "ClientConnections", 1000, "GreaterThanThreshold"),
        ("borrow-latency", "DatabaseConnectionsBorrowLatency", 100_000, "GreaterThanThreshold"),
        ("availability", "AvailabilityPercentage", 100, "LessThanThreshold"),
        ("pinning", "DatabaseConnectionsCurrentlySessionPinned", 10, "GreaterThanThreshold"),
    ],
)
def test_proxy_alarms_watch_the_proxy_and_notify_the_topic(
    built: Built, name: str, metric: str, threshold: float, operator: str
) -> None:
    built.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"orders-proxy-{name}",
            "Namespace": "AWS/RDS",
            "MetricName": metric,
            "Threshold": threshold,
            "ComparisonOperator": operator,
            "Dimensions": Match.array_with([{"Name": "ProxyName", "Value": "orders-proxy"}]),
            "AlarmActions": [Match.any_value()],
            "OKActions": [Match.any_value()],
        },
    )


def test_availability_is_read_for_the_writer_of_the_default_target_group(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "orders-proxy-availability",
            "Dimensions": Match.array_with(
                [
                    {"Name": "TargetGroup", "Value": "default"},
                    {"Name": "TargetRole", "Value": "READ_WRITE"},
                ]
            ),
        },
    )


# --- recovery point watch -------------------------------------------------------------------


def test_recovery_point_alarm_per_database_with_missing_data_breaching(built: Built) -> None:
    for identifier, dimension in (
        ("orders", "DBInstanceIdentifier"),
        ("ledger", "DBClusterIdentifier"),
    ):
        built.template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmName": f"{identifier}-recovery-point-age",
                "Namespace": "rds-ha",
                "MetricName": "RecoveryPointAgeSeconds",
                "Dimensions": [{"Name": dimension, "Value": identifier}],
                "Threshold": 1200,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "breaching",
                "AlarmActions": [Match.any_value()],
            },
        )


def test_recovery_point_function_runs_outside_the_vpc_every_five_minutes(built: Built) -> None:
    functions = [
        f
        for f in built.template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "recovery_point.handler"
    ]
    (function,) = functions
    assert "VpcConfig" not in function["Properties"]
    assert function["Properties"]["KmsKeyArn"]
    built.template.has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "rate(5 minutes)"}
    )
    built.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/rds-ha/Resilience-recovery-point-watch", "KmsKeyId": Match.any_value()},
    )


def test_recovery_point_policy_is_least_privilege(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "DescribeWatchedInstances",
                            "Action": "rds:DescribeDBInstances",
                            "Effect": "Allow",
                            "Resource": resolve(built, built.orders.arn),
                        },
                        {
                            "Sid": "DescribeWatchedClusters",
                            "Action": "rds:DescribeDBClusters",
                            "Effect": "Allow",
                            "Resource": resolve(built, built.ledger.arn),
                        },
                        {
                            "Sid": "PublishRecoveryPointAge",
                            "Action": "cloudwatch:PutMetricData",
                            "Effect": "Allow",
                            "Resource": "*",
                            "Condition": {"StringEquals": {"cloudwatch:namespace": "rds-ha"}},
                        },
                    ]
                )
            }
        },
    )


# --- failover game day ----------------------------------------------------------------------


def test_instance_game_day_reboots_with_forced_failover(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::FIS::ExperimentTemplate",
        {
            "Actions": {
                "Failover": Match.object_like(
                    {
                        "ActionId": "aws:rds:reboot-db-instances",
                        "Parameters": {"forceFailover": "true"},
                        "Targets": {"DBInstances": "Database"},
                    }
                )
            },
            "Targets": {
                "Database": {
                    "ResourceType": "aws:rds:db",
                    "ResourceArns": [resolve(built, built.orders.arn)],
                    "SelectionMode": "ALL",
                }
            },
            "StopConditions": [{"Source": "aws:cloudwatch:alarm", "Value": Match.any_value()}],
            "LogConfiguration": {
                "LogSchemaVersion": 2,
                "CloudWatchLogsConfiguration": {"LogGroupArn": Match.any_value()},
            },
        },
    )


def test_cluster_game_day_fails_the_cluster_over(built: Built) -> None:
    built.template.has_resource_properties(
        "AWS::FIS::ExperimentTemplate",
        {
            "Actions": {
                "Failover": Match.object_like(
                    {
                        "ActionId": "aws:rds:failover-db-cluster",
                        "Targets": {"Clusters": "Database"},
                        "Parameters": Match.absent(),
                    }
                )
            },
            "Targets": {"Database": Match.object_like({"ResourceType": "aws:rds:cluster"})},
        },
    )


def test_game_day_stops_on_the_at_risk_alarm_and_its_role_acts_on_one_database(
    built: Built,
) -> None:
    (template,) = [
        t
        for t in built.template.find_resources("AWS::FIS::ExperimentTemplate").values()
        if t["Properties"]["Targets"]["Database"]["ResourceType"] == "aws:rds:db"
    ]
    assert "AlarmsAtRisk" in str(template["Properties"]["StopConditions"])
    built.template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "fis.amazonaws.com"},
                            "Condition": Match.object_like(
                                {"StringEquals": {"aws:SourceAccount": "111111111111"}}
                            ),
                        }
                    )
                ]
            }
        },
    )
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "FailOverThisDatabase",
                            "Action": ["rds:DescribeDBInstances", "rds:RebootDBInstance"],
                            "Effect": "Allow",
                            "Resource": resolve(built, built.orders.arn),
                        }
                    ]
                )
            }
        },
    )


def test_cluster_game_day_role_may_fail_over_and_describe_this_cluster_only(built: Built) -> None:
    # AWSFaultInjectionSimulatorRDSAccess: rds:FailoverDBCluster on cluster ARNs and
    # rds:DescribeDBClusters; here narrowed to the one cluster the template targets.
    built.template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "FailOverThisDatabase",
                            "Action": ["rds:DescribeDBClusters", "rds:FailoverDBCluster"],
                            "Effect": "Allow",
                            "Resource": resolve(built, built.ledger.arn),
                        }
                    ]
                )
            }
        },
    )


def test_every_pack_is_clean_and_acknowledgments_sit_on_the_watch_and_game_day_policies(
    built: Built,
) -> None:
    # The test VPC (no flow logs) is not the constructs' to fix; the app's stacks are checked
    # whole in test_environment_stacks.
    ours = ("/Proxy/", "/RecoveryPointWatch/", "GameDay/")
    assert [v for v in built.synth.violations if any(part in v for part in ours)] == []
    places = {
        line.split(" at ")[1].split(":")[0].split("/", 1)[1]
        for line in built.synth.acknowledged
        if "Proxy" in line or "RecoveryPoint" in line or "GameDay" in line
    }
    assert places == {
        "RecoveryPointWatch/Policy",
        "RecoveryPointWatch/Function",
        "OrdersGameDay/Policy",
        "LedgerGameDay/Policy",
    }


# --- what the constructs refuse (no synth) --------------------------------------------------


def _stack(**database: Any) -> tuple[cdk.Stack, Any, HighlyAvailableDatabase, sns.Topic]:
    app = cdk.App()
    stack = cdk.Stack(app, "Refusals", env=TEST_ENV)
    vpc = isolated_vpc(stack)
    db = HighlyAvailableDatabase(stack, "Db", vpc=vpc, identifier="refused", **database)
    return stack, vpc, db, sns.Topic(stack, "Topic")


def test_proxy_refuses_a_multi_az_db_cluster() -> None:
    stack, vpc, db, topic = _stack(**CLUSTER)
    with pytest.raises(ConfigurationError, match=r"deployment='multi-az-cluster'.*DB instances"):
        DatabaseProxy(stack, "Proxy", database=db, vpc=vpc, alarm_topic=topic)


def test_proxy_refuses_mariadb_that_accepts_tls_1_3_only_and_read_only_mysql_family() -> None:
    stack, vpc, db, topic = _stack(
        engine=Engine.MARIADB, parameters={"tls_version": "TLSv1.3", "read_only": "1"}
    )
    with pytest.raises(ConfigurationError) as error:
        DatabaseProxy(stack, "Proxy", database=db, vpc=vpc, alarm_topic=topic)
    assert any("TLS 1.3" in p for p in error.value.problems)
    assert any(p.startswith("parameters.read_only='1'") for p in error.value.problems)


def test_proxy_reports_every_pool_problem_at_once() -> None:
    stack, vpc, db, topic = _stack()
    with pytest.raises(ConfigurationError) as error:
        DatabaseProxy(
            stack,
            "Proxy",
            database=db,
            vpc=vpc,
            alarm_topic=topic,
            max_connections_percent=40,
            max_idle_connections_percent=60,
            idle_client_timeout=Duration.hours(9),
            connection_borrow_timeout=Duration.hours(2),
            proxy_name="bad--name",
        )
    assert len(error.value.problems) == 4
    assert "max_idle_connections_percent=60: must not exceed max_connections_percent (40)" in (
        error.value.problems
    )


def test_game_day_refuses_a_single_az_instance() -> None:
    stack, _, db, _topic = _stack(deployment=Deployment.SINGLE_AZ)
    alarm = cdk.aws_cloudwatch.Alarm(
        stack, "A", metric=db.metric_cpu_utilization(), threshold=1, evaluation_periods=1
    )
    with pytest.raises(ConfigurationError, match="needs a standby"):
        FailoverGameDay(
            stack,
            "GameDay",
            database=db,
            stop_condition_alarm=alarm,
            encryption_key=db.encryption_key,
        )


def test_recovery_point_watch_refuses_a_threshold_below_two_runs() -> None:
    stack, _, db, topic = _stack()
    with pytest.raises(ConfigurationError, match=r"max_recovery_point_age=300 s"):
        RecoveryPointWatch(
            stack,
            "Watch",
            databases=[db],
            alarm_topic=topic,
            max_recovery_point_age=Duration.minutes(5),
        )
