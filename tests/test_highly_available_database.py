"""Synth-level tests of HighlyAvailableDatabase: defaults, every engine and deployment, props,
validation and warnings. Each stack is synthesized once per module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Annotations, Match, Template
from synth_helpers import (
    TEST_ENV,
    ComplianceSynth,
    cfn_lint,
    compliance_app,
    isolated_vpc,
    nag_violations,
)

from rds_ha import ConfigurationError, Deployment, Engine, HighlyAvailableDatabase

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"


class Built:
    def __init__(self, *, grant_to_app: str | None = None, **props: object) -> None:
        self.app = cdk.App()
        self.stack = cdk.Stack(self.app, "Shop", env=TEST_ENV)
        self.app_role = iam.Role(
            self.stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")
        )
        self.database = HighlyAvailableDatabase(
            self.stack, "Orders", vpc=isolated_vpc(self.stack), **props
        )
        if grant_to_app:
            self.database.grant_connect(self.app_role, grant_to_app)
        self.template = Template.from_stack(self.stack)


@pytest.fixture(scope="module")
def default() -> Built:
    return Built(grant_to_app="orders_app")


@pytest.fixture(scope="module")
def mysql_cluster() -> Built:
    return Built(engine=Engine.MYSQL, deployment=Deployment.MULTI_AZ_CLUSTER, grant_to_app="app")


@pytest.fixture(scope="module")
def mariadb_single_az() -> Built:
    return Built(
        engine=Engine.MARIADB,
        deployment=Deployment.SINGLE_AZ,
        deletion_protection=False,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        instance_class="db.t4g.medium",
        parameters={"long_query_time": 2},
    )


# --- defaults: the highly available configuration -------------------------------------------


def test_default_database_is_multi_az_postgres_on_gp3_with_autoscaling(default: Built) -> None:
    default.template.has_resource_properties(
        DB_INSTANCE,
        {
            "Engine": "postgres",
            # The major alone: RDS's auto minor version upgrades never leave the template behind.
            "EngineVersion": "17",
            "MultiAZ": True,
            "DBInstanceClass": "db.m7g.large",
            "StorageType": "gp3",
            "AllocatedStorage": "100",
            "MaxAllocatedStorage": 500,
        },
    )


def test_default_database_is_encrypted_with_its_own_rotating_key(default: Built) -> None:
    key_ref = {"Fn::GetAtt": [Match.string_like_regexp("^OrdersKey"), "Arn"]}
    default.template.has_resource_properties(
        DB_INSTANCE,
        {
            "StorageEncrypted": True,
            "KmsKeyId": key_ref,
            "PerformanceInsightsKMSKeyId": key_ref,
        },
    )
    # The master secret (credentials="secret", the default) is under the same key.
    default.template.has_resource_properties("AWS::SecretsManager::Secret", {"KmsKeyId": key_ref})
    default.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    keys = default.template.find_resources("AWS::KMS::Key")
    assert [key["DeletionPolicy"] for key in keys.values()] == ["Retain"]


def test_master_password_is_in_a_rotated_secret_with_iam_auth_on(default: Built) -> None:
    default.template.has_resource_properties(
        DB_INSTANCE,
        {
            "ManageMasterUserPassword": Match.absent(),
            "MasterUserPassword": Match.any_value(),
            "MasterUsername": "rdsha_admin",
            "EnableIAMDatabaseAuthentication": True,
        },
    )
    # tests/test_credentials.py covers both credentials modes in detail.
    default.template.resource_count_is("AWS::SecretsManager::RotationSchedule", 1)


def test_database_is_private_on_a_non_default_port_with_no_ingress(default: Built) -> None:
    default.template.has_resource_properties(
        DB_INSTANCE, {"PubliclyAccessible": False, "Port": "15432"}
    )
    default.template.has_resource_properties(
        "AWS::EC2::SecurityGroup", {"SecurityGroupIngress": Match.absent()}
    )
    # The only way in: the password rotation function, on the database port.
    database_group = default.template.find_resources(
        "AWS::EC2::SecurityGroup",
        {"Properties": {"GroupDescription": Match.string_like_regexp("database access")}},
    )
    ingress = [
        rule["Properties"]
        for rule in default.template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == {"Fn::GetAtt": [next(iter(database_group)), "GroupId"]}
    ]
    assert [(rule["FromPort"], rule["ToPort"]) for rule in ingress] == [(15432, 15432)]
    assert "RotationSecurityGroup" in json.dumps(ingress[0]["SourceSecurityGroupId"])


def test_backups_are_kept_seven_days_outside_the_maintenance_window(default: Built) -> None:
    default.template.has_resource_properties(
        DB_INSTANCE,
        {
            "BackupRetentionPeriod": 7,
            "PreferredBackupWindow": "02:00-02:30",
            "PreferredMaintenanceWindow": "sun:03:00-sun:03:30",
            "CopyTagsToSnapshot": True,
            "DeleteAutomatedBackups": False,
            "AutoMinorVersionUpgrade": True,
            "AllowMajorVersionUpgrade": False,
            "DeletionProtection": True,
        },
    )


def test_default_removal_policy_keeps_a_final_snapshot(default: Built) -> None:
    instance = next(iter(default.template.find_resources(DB_INSTANCE).values()))
    assert instance["DeletionPolicy"] == "Snapshot"
    assert instance["UpdateReplacePolicy"] == "Snapshot"


def test_identifier_is_fixed_so_a_replacement_fails_instead_of_creating_an_empty_database(
    default: Built,
) -> None:
    default.template.has_resource_properties(DB_INSTANCE, {"DBInstanceIdentifier": "shop-orders"})


def test_parameter_group_enforces_tls_and_logs_slow_queries_and_connections(
    default: Built,
) -> None:
    default.template.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        {
            "Family": "postgres17",
            "Parameters": Match.object_like(
                {
                    "rds.force_ssl": "1",
                    "log_min_duration_statement": "1000",
                    "log_connections": "1",
                    "log_disconnections": "1",
                }
            ),
        },
    )


def test_every_postgres_log_type_is_exported_to_an_encrypted_log_group_with_retention(
    default: Built,
) -> None:
    log_types = ["postgresql", "upgrade", "iam-db-auth-error"]
    default.template.has_resource_properties(
        DB_INSTANCE, {"EnableCloudwatchLogsExports": log_types}
    )
    for log_type in log_types:
        default.template.has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": f"/aws/rds/instance/shop-orders/{log_type}",
                "RetentionInDays": 365,
                "KmsKeyId": Match.any_value(),
            },
        )
    instance = next(iter(default.template.find_resources(DB_INSTANCE).values()))
    log_groups = default.template.find_resources("AWS::Logs::LogGroup")
    assert len(log_groups) == 3
    # RDS would otherwise create them first, unencrypted and never expiring.
    assert set(log_groups) <= set(instance["DependsOn"])


def test_key_policy_lets_cloudwatch_logs_use_the_key_for_this_databases_log_groups(
    default: Built,
) -> None:
    key = next(iter(default.template.find_resources("AWS::KMS::Key").values()))
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    logs_statements = [
        s for s in statements if s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    ]
    assert len(logs_statements) == 1
    condition = json.dumps(logs_statements[0]["Condition"]["ArnLike"])
    assert "kms:EncryptionContext:aws:logs:arn" in condition
    assert ":logs:eu-west-1:111111111111:log-group:/aws/rds/instance/shop-orders/*" in condition


def test_enhanced_monitoring_and_performance_insights_are_on(default: Built) -> None:
    default.template.has_resource_properties(
        DB_INSTANCE,
        {
            "MonitoringInterval": 60,
            "MonitoringRoleArn": Match.any_value(),
            "EnablePerformanceInsights": True,
            "PerformanceInsightsRetentionPeriod": 7,
        },
    )


def test_monitoring_role_holds_its_permissions_before_the_database_is_created(
    default: Built,
) -> None:
    # RDS refuses to create a database whose monitoring role lacks the enhanced monitoring
    # permissions, so the policy must not wait for the instance (e.g. for its DbiResourceId).
    (policy_id,) = default.template.find_resources("AWS::IAM::ManagedPolicy")
    policy = default.template.find_resources("AWS::IAM::ManagedPolicy")[policy_id]
    instance = next(iter(default.template.find_resources(DB_INSTANCE).values()))
    assert policy_id in instance["DependsOn"]
    assert "DbiResourceId" not in json.dumps(policy)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    resources = json.dumps([statement["Resource"] for statement in statements])
    assert ':logs:eu-west-1:111111111111:log-group:RDSOSMetrics"' in resources
    assert ":logs:eu-west-1:111111111111:log-group:RDSOSMetrics:log-stream:*" in resources
    assert resources.count("*") == 1


def test_monitoring_role_is_only_for_rds_acting_for_this_account(default: Built) -> None:
    (role,) = [
        role
        for name, role in default.template.find_resources("AWS::IAM::Role").items()
        if name.startswith("OrdersMonitoringRole")
    ]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]


def test_endpoint_port_and_secret_are_published_as_outputs_and_ssm_parameters(
    default: Built,
) -> None:
    for leaf in ("endpoint", "port", "secret-arn"):
        default.template.has_resource_properties(
            "AWS::SSM::Parameter", {"Name": f"/rds-ha/shop-orders/{leaf}"}
        )
    outputs = default.template.find_outputs("*")
    assert {name.rstrip("0123456789ABCDEF") for name in outputs} == {
        "OrdersEndpoint",
        "OrdersPort",
        "OrdersSecretArn",
    }


def test_grant_connect_allows_rds_db_connect_for_one_user(default: Built) -> None:
    default.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": "rds-db:connect",
                            "Resource": {
                                "Fn::Join": [
                                    "",
                                    Match.array_with(
                                        [
                                            Match.string_like_regexp(":dbuser:$"),
                                            {
                                                "Fn::GetAtt": [
                                                    Match.string_like_regexp("^Orders"),
                                                    "DbiResourceId",
                                                ]
                                            },
                                            "/orders_app",
                                        ]
                                    ),
                                ]
                            },
                        }
                    )
                ]
            }
        },
    )


def test_metrics_are_keyed_by_the_instance_identifier(default: Built) -> None:
    metric = default.database.metric_freeable_memory()
    assert metric.namespace == "AWS/RDS"
    assert metric.metric_name == "FreeableMemory"
    assert metric.dimensions == {"DBInstanceIdentifier": "shop-orders"}


def test_default_database_has_no_cdk_nag_findings_in_any_pack(default: Built) -> None:
    findings = [
        finding
        for finding in nag_violations(default.app, default.stack)
        # The test's bare VPC and application role are scaffolding, not part of the construct.
        if "/Vpc/" not in finding
        and "/AppRole/" not in finding
        and "RDSInBackupPlan" not in finding
    ]
    # The packs run directly here, without acknowledgments: the construct's single one is the
    # enhanced monitoring stream wildcard (see the four-packs test below).
    assert findings == [
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:eu-west-1:111111111111:"
        "log-group:RDSOSMetrics:log-stream:*] at Shop/Orders/MonitoringPolicy/Resource"
    ]


def test_the_only_finding_on_the_database_is_the_missing_backup_plan(default: Built) -> None:
    findings = {
        finding.split(" at ")[0]
        for finding in nag_violations(default.app, default.stack)
        if "/Orders/" in finding
    }
    assert findings <= {
        "HIPAA.Security-RDSInBackupPlan",
        "NIST.800.53.R5-RDSInBackupPlan",
        # Acknowledged by the construct (the monitoring stream wildcard).
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:eu-west-1:111111111111:"
        "log-group:RDSOSMetrics:log-stream:*]",
    }


# --- other engines and deployments -----------------------------------------------------------


def test_multi_az_cluster_has_a_writer_and_readable_standbys_on_nvme_classes(
    mysql_cluster: Built,
) -> None:
    mysql_cluster.template.resource_count_is(DB_INSTANCE, 0)
    mysql_cluster.template.has_resource_properties(
        DB_CLUSTER,
        {
            "Engine": "mysql",
            "DBClusterInstanceClass": "db.m6gd.large",
            "StorageType": "gp3",
            "AllocatedStorage": 400,
            "Iops": 12000,
            "StorageEncrypted": True,
            "MasterUserPassword": Match.any_value(),
            "PubliclyAccessible": False,
            "DeletionProtection": True,
            "CopyTagsToSnapshot": True,
            "Port": 13306,
            "EnableCloudwatchLogsExports": ["error", "general", "slowquery"],
            "PerformanceInsightsEnabled": True,
            "MonitoringInterval": 60,
            # CreateDBCluster documents it for Multi-AZ DB clusters too.
            "EnableIAMDatabaseAuthentication": True,
        },
    )
    mysql_cluster.template.has_resource_properties(
        "AWS::RDS::DBClusterParameterGroup",
        {"Family": "mysql8.4", "Parameters": Match.object_like({"require_secure_transport": "1"})},
    )
    cluster = next(iter(mysql_cluster.template.find_resources(DB_CLUSTER).values()))
    assert cluster["DeletionPolicy"] == "Snapshot"


def test_cluster_waits_for_its_enhanced_monitoring_permissions(mysql_cluster: Built) -> None:
    # As for an instance: RDS checks the monitoring role's permissions when it creates the
    # cluster, so the policy is created first.
    (policy_id,) = mysql_cluster.template.find_resources("AWS::IAM::ManagedPolicy")
    cluster = next(iter(mysql_cluster.template.find_resources(DB_CLUSTER).values()))
    assert policy_id in cluster["DependsOn"]


def test_cluster_metrics_are_not_on_the_cluster_identifier(mysql_cluster: Built) -> None:
    # RDS publishes a Multi-AZ DB cluster's metrics per member DB instance: with no members
    # known yet there is nothing to watch (tests/alarms/test_cluster_metrics.py: the members').
    with pytest.raises(ConfigurationError, match=r"per member DB instance.*'shop-orders'"):
        mysql_cluster.database.metric_cpu_utilization()


def test_grant_connect_on_a_cluster_names_the_cluster_resource_id(mysql_cluster: Built) -> None:
    (policy,) = mysql_cluster.template.find_resources("AWS::IAM::Policy").values()
    (statement,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "rds-db:connect"
    ]
    parts = statement["Resource"]["Fn::Join"][1]
    (cluster_id,) = mysql_cluster.template.find_resources(DB_CLUSTER)
    assert parts[-3].endswith(":dbuser:")
    assert parts[-2:] == [{"Fn::GetAtt": [cluster_id, "DBClusterResourceId"]}, "/app"]


def test_mariadb_logs_connections_through_the_audit_plugin(mariadb_single_az: Built) -> None:
    mariadb_single_az.template.has_resource_properties(
        "AWS::RDS::OptionGroup",
        {
            "EngineName": "mariadb",
            "OptionConfigurations": [
                Match.object_like(
                    {
                        "OptionName": "MARIADB_AUDIT_PLUGIN",
                        "OptionSettings": [
                            {"Name": "SERVER_AUDIT_EVENTS", "Value": "CONNECT,QUERY_DDL"}
                        ],
                    }
                )
            ],
        },
    )
    mariadb_single_az.template.has_resource_properties(
        DB_INSTANCE,
        {
            "MultiAZ": False,
            "EnableCloudwatchLogsExports": [
                "audit",
                "error",
                "general",
                "slowquery",
                "iam-db-auth-error",
            ],
        },
    )


def test_user_parameters_are_merged_over_the_defaults(mariadb_single_az: Built) -> None:
    mariadb_single_az.template.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        {
            "Parameters": Match.object_like(
                {"long_query_time": "2", "require_secure_transport": "1", "log_output": "FILE"}
            )
        },
    )


@pytest.mark.parametrize(
    ("warning_id", "text"),
    [
        ("rds-ha:single-az", "single-AZ: no standby"),
        ("rds-ha:no-deletion-protection", "deletion protection off"),
        ("rds-ha:destroy", "removal policy DESTROY"),
    ],
)
def test_risky_choices_carry_warnings_with_stable_ids(
    mariadb_single_az: Built, warning_id: str, text: str
) -> None:
    Annotations.from_stack(mariadb_single_az.stack).has_warning(
        "/Shop/Orders", Match.string_like_regexp(f"{text}.*\\[ack: {warning_id}\\]")
    )


def test_safe_defaults_carry_no_warnings(default: Built) -> None:
    warnings = Annotations.from_stack(default.stack).find_warning("*", Match.any_value())
    assert [w for w in warnings if "rds-ha:" in str(w.entry.data)] == []


def test_destroy_removal_policy_is_rendered(mariadb_single_az: Built) -> None:
    instance = next(iter(mariadb_single_az.template.find_resources(DB_INSTANCE).values()))
    assert instance["DeletionPolicy"] == "Delete"


def test_an_existing_key_and_custom_settings_are_used_as_given() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Custom", env=TEST_ENV)
    key = kms.Key(stack, "SharedKey", enable_key_rotation=True)
    HighlyAvailableDatabase(
        stack,
        "Db",
        vpc=isolated_vpc(stack),
        encryption_key=key,
        identifier="payments-db",
        backup_retention=cdk.Duration.days(35),
        backup_window="22:00-22:30",
        maintenance_window="sat:23:00-sun:00:00",
        allocated_storage=cdk.Size.gibibytes(50),
        max_allocated_storage=cdk.Size.gibibytes(60),
        port=6000,
        database_name="payments",
        log_retention=logs.RetentionDays.TWO_YEARS,
        monitoring_interval=cdk.Duration.seconds(15),
        removal_policy=cdk.RemovalPolicy.RETAIN,
        parameter_path="/apps/payments/db",
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties(
        DB_INSTANCE,
        {
            "DBInstanceIdentifier": "payments-db",
            "BackupRetentionPeriod": 35,
            "PreferredBackupWindow": "22:00-22:30",
            "PreferredMaintenanceWindow": "sat:23:00-sun:00:00",
            "AllocatedStorage": "50",
            "MaxAllocatedStorage": 60,
            "Port": "6000",
            "DBName": "payments",
            "MonitoringInterval": 15,
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^SharedKey"), "Arn"]},
        },
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 731})
    template.has_resource_properties("AWS::SSM::Parameter", {"Name": "/apps/payments/db/endpoint"})
    instance = next(iter(template.find_resources(DB_INSTANCE).values()))
    assert instance["DeletionPolicy"] == "Retain"


# --- validation: every problem at once, each naming field, value and what is allowed ---------


def _build(**props: object) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Bad", env=TEST_ENV)
    HighlyAvailableDatabase(stack, "Db", vpc=isolated_vpc(stack), **props)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        _build(
            backup_retention=cdk.Duration.days(0),
            backup_window="03:00-03:10",
            maintenance_window="sunday 4am",
            allocated_storage=cdk.Size.gibibytes(10),
            engine_version="16.3",
            port=80,
            monitoring_interval=cdk.Duration.seconds(7),
        )
    message = str(error.value)
    assert error.value.where == "Bad/Db"
    assert "7 problem(s)" in message
    for expected in (
        "backup_retention=Duration.days(0): must be 1-35",
        "backup_window: '03:00-03:10' lasts 10 minutes; it must last at least 30 minutes",
        "maintenance_window: 'sunday 4am' is not ddd:hh:mm-ddd:hh:mm",
        "allocated_storage=Size.gibibytes(10): gp3 storage must be 20-65536 GiB",
        "engine_version='16.3': '16.3' is not a PostgreSQL version that RDS offers",
        "port=80: must be 1150-65535",
        "monitoring_interval=Duration.seconds(7): must be one of 1, 5, 10, 15, 30, 60",
    ):
        assert expected in message


def test_fails_when_backup_window_overlaps_maintenance_window() -> None:
    with pytest.raises(ConfigurationError, match="backup_window='03:00-04:00' overlaps"):
        _build(backup_window="03:00-04:00", maintenance_window="sun:03:30-sun:04:30")


def test_fails_when_max_allocated_storage_is_not_above_allocated() -> None:
    with pytest.raises(
        ConfigurationError, match=r"max_allocated_storage=Size.gibibytes\(100\): must be above"
    ):
        _build(
            allocated_storage=cdk.Size.gibibytes(100),
            max_allocated_storage=cdk.Size.gibibytes(100),
        )


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"backup_retention": cdk.Duration.hours(36)},
            "backup_retention=1 day 12 hours: must be whole days",
        ),
        ({"backup_retention": 7}, "backup_retention=7: must be a Duration, e.g. Duration.days(7)"),
        (
            {"allocated_storage": cdk.Size.mebibytes(100)},
            "allocated_storage=100 MiB: must be whole GiB",
        ),
        (
            {"monitoring_interval": cdk.Duration.millis(1500)},
            "monitoring_interval=1 second 500 millis: must be whole seconds",
        ),
    ],
)
def test_a_time_or_size_that_is_not_whole_units_is_refused_naming_the_prop(
    props: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigurationError) as error:
        _build(**props)
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("engine", "parameters", "expected"),
    [
        (
            Engine.POSTGRES,
            {"rds.force_ssl": 0},
            "parameters.rds.force_ssl='0': rds-ha enforces TLS",
        ),
        (
            Engine.MYSQL,
            {"require_secure_transport": "OFF"},
            "parameters.require_secure_transport='OFF': rds-ha enforces TLS",
        ),
        (Engine.MYSQL, {"log_output": "TABLE"}, "parameters.log_output='TABLE': the slow query"),
        (
            Engine.POSTGRES,
            {"slow_query_log": 1},
            "parameters.slow_query_log: not a PostgreSQL parameter",
        ),
        (Engine.MARIADB, {"rds.force_ssl": 1}, "parameters.rds.force_ssl: not a MariaDB parameter"),
    ],
)
def test_rejects_parameters_that_weaken_tls_or_logging_or_belong_to_another_engine(
    engine: Engine, parameters: dict[str, object], expected: str
) -> None:
    with pytest.raises(ConfigurationError) as error:
        _build(engine=engine, parameters=parameters)
    assert expected in str(error.value)


def test_rejects_mariadb_as_a_multi_az_cluster() -> None:
    with pytest.raises(ConfigurationError, match="Multi-AZ DB clusters for PostgreSQL and MySQL"):
        _build(engine=Engine.MARIADB, deployment=Deployment.MULTI_AZ_CLUSTER)


def test_rejects_an_instance_class_the_cluster_deployment_does_not_offer() -> None:
    with pytest.raises(
        ConfigurationError, match=r"instance_class='db.m7g.large': 'db.m7g.large' is not offered"
    ):
        _build(deployment=Deployment.MULTI_AZ_CLUSTER, instance_class="db.m7g.large")


def test_rejects_an_invalid_identifier_and_master_username() -> None:
    with pytest.raises(ConfigurationError) as error:
        _build(identifier="Orders--DB", master_username="1admin")
    assert "identifier='Orders--DB': must be 1-63 lower-case" in str(error.value)
    assert "master_username='1admin'" in str(error.value)


@pytest.mark.parametrize(
    ("engine", "deployment"),
    [
        (Engine.MYSQL, Deployment.MULTI_AZ_INSTANCE),
        (Engine.MARIADB, Deployment.MULTI_AZ_INSTANCE),
        (Engine.POSTGRES, Deployment.MULTI_AZ_CLUSTER),
    ],
)
def test_every_engine_and_deployment_passes_the_four_packs(
    engine: Engine, deployment: Deployment
) -> None:
    app = compliance_app()
    stack = cdk.Stack(app, "Packs", env=TEST_ENV)
    HighlyAvailableDatabase(
        stack, "Db", vpc=isolated_vpc(stack), engine=engine, deployment=deployment
    )
    synth = ComplianceSynth(app)
    # The test's bare VPC is scaffolding; the environments' network is checked elsewhere.
    assert [v for v in synth.violations if "/Vpc/" not in v and "RDSInBackupPlan" not in v] == []
    acknowledged = [line.split(" at ")[0] for line in synth.acknowledged]
    # The one acknowledgment the construct makes itself, on the monitoring policy only.
    assert acknowledged == [
        "AwsSolutions-IAM5[Resource::arn:aws:logs:eu-west-1:111111111111:"
        "log-group:RDSOSMetrics:log-stream:*]"
    ]
    assert synth.acknowledged[0].split(" at ")[1].startswith("Packs/Db/MonitoringPolicy:")


# --- engine versions: the major alone with auto minor upgrades, the full version without ------


def test_a_major_only_mysql_version_is_rendered_with_cfn_lint_told_why() -> None:
    built = Built(engine=Engine.MYSQL, engine_version="8.4")

    [instance] = built.template.find_resources(DB_INSTANCE).values()
    assert instance["Properties"]["EngineVersion"] == "8.4"
    assert instance["Properties"]["AutoMinorVersionUpgrade"] is True
    # cfn-lint's list has full versions only; CloudFormation and RDS accept the major alone.
    assert instance["Metadata"]["cfn-lint"] == {"config": {"ignore_checks": ["E3691", "W3691"]}}
    built.template.has_resource_properties("AWS::RDS::DBParameterGroup", {"Family": "mysql8.4"})


def test_without_auto_minor_upgrades_the_default_version_is_pinned_in_full() -> None:
    built = Built(auto_minor_version_upgrade=False)

    [instance] = built.template.find_resources(DB_INSTANCE).values()
    assert instance["Properties"]["EngineVersion"] == "17.9"
    assert instance["Properties"]["AutoMinorVersionUpgrade"] is False
    assert "Metadata" not in instance or "cfn-lint" not in instance["Metadata"]


def test_a_cluster_passes_cfn_lint_e3692_but_for_iam_authentication(
    mysql_cluster: Built, tmp_path: Path
) -> None:
    """The cluster tells cfn-lint to skip E3692, whose list of what a Multi-AZ DB cluster may not
    set still has EnableIAMDatabaseAuthentication (the RDS API allows it): the rest of E3692 is
    checked here, and the day cfn-lint accepts the property this test says so."""
    (cluster_id,) = mysql_cluster.template.find_resources(DB_CLUSTER)
    resource = mysql_cluster.template.to_json()["Resources"][cluster_id]
    assert resource["Metadata"]["cfn-lint"] == {"config": {"ignore_checks": ["E3692"]}}

    def e3692(properties: dict[str, Any]) -> list[str]:
        template = mysql_cluster.template.to_json()
        template["Resources"][cluster_id]["Metadata"].pop("cfn-lint")
        template["Resources"][cluster_id]["Properties"] = properties
        path = tmp_path / f"cluster-{len(list(tmp_path.iterdir()))}.json"
        path.write_text(json.dumps(template))
        matches = cfn_lint(path, region="eu-west-1")
        return [str(match) for match in matches if match.rule.id == "E3692"]

    properties = dict(resource["Properties"])
    with_iam = e3692(properties)
    del properties["EnableIAMDatabaseAuthentication"]

    assert len(with_iam) == 1 and "EnableIAMDatabaseAuthentication" in with_iam[0]
    assert e3692(properties) == []
    # E3692 still guards the rest, e.g. a storage type a Multi-AZ DB cluster cannot have.
    assert e3692({**properties, "StorageType": "aurora"})
