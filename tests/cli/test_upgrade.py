"""`rds-ha upgrade`: a blue/green upgrade against moto, with a Stubber where moto has nothing.
`--probe` runs against a fake driver, and against the local PostgreSQL (127.0.0.1:5432, trust
authentication, database `test`; skipped, saying so, when it is not running) through
tcp_proxy.py.

moto 5.2.5 implements blue/green deployments instantly: create returns PROVISIONING once and
every describe after it says AVAILABLE; the switchover is SWITCHOVER_COMPLETED at once (the old
instance renamed <id>-old1, the green renamed <id>); delete works. It does not implement
describe_db_engine_versions, so that call always goes to a Stubber, and the states moto never
shows (PROVISIONING for a while, INVALID_CONFIGURATION, SWITCHOVER_FAILED, a slow switchover)
are tested on ops_bluegreen with a stubbed client.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli import (
    ops_bluegreen,
    ops_upgrade,
    ops_upgrade_clients,
    probe_connect,
    upgrade_config,
    waiting,
)
from rds_ha.cli.databases import INSTANCE, Database
from rds_ha.cli.errors import CheckFailedError
from rds_ha.cli.ops_upgrade import blue_green_problems, readiness_problems

from .conftest import (
    REGION,
    create_cluster,
    create_instance,
    instance_ids,
    moto_key,
    plain,
    stack_secret,
)
from .tcp_proxy import CuttableProxy
from .test_probe_during import DOWN_SECONDS, OutageDriver
from .test_probe_live import PG_USER, TOLERANCE_SECONDS, _require

ARN = f"arn:aws:rds:{REGION}:123456789012:db:orders-db"


class EngineVersions:
    """The moto client, except describe_db_engine_versions, which a Stubber answers."""

    def __init__(self, moto_client: Any, versions: dict[str, dict[str, Any]]) -> None:
        self._moto = moto_client
        self._stubbed = boto3.client("rds", region_name=REGION)
        self._stubber = Stubber(self._stubbed)
        self._versions = versions

    def describe_db_engine_versions(self, **kwargs: Any) -> dict[str, Any]:
        found = self._versions.get(kwargs["EngineVersion"])
        self._stubber.add_response(
            "describe_db_engine_versions",
            {"DBEngineVersions": [found] if found else []},
            {"Engine": kwargs["Engine"], "EngineVersion": kwargs["EngineVersion"]},
        )
        with self._stubber:
            return self._stubbed.describe_db_engine_versions(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._moto, name)


def version(engine: str, number: str, family: str, targets=()) -> dict[str, Any]:
    return {
        "Engine": engine,
        "EngineVersion": number,
        "DBParameterGroupFamily": family,
        "ValidUpgradeTarget": [
            {
                "Engine": engine,
                "EngineVersion": target,
                "IsMajorVersionUpgrade": major,
                "AutoUpgrade": False,
            }
            for target, major in targets
        ],
    }


POSTGRES = {
    "16.4": version("postgres", "16.4", "postgres16", [("16.8", False), ("17.2", True)]),
    "16.8": version("postgres", "16.8", "postgres16"),
    "17.2": version("postgres", "17.2", "postgres17"),
}


@pytest.fixture
def database(rds: Any) -> dict[str, Any]:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders-pg16", DBParameterGroupFamily="postgres16", Description="x"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders-pg16",
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"},
            {
                "ParameterName": "log_min_duration_statement",
                "ParameterValue": "500",
                "ApplyMethod": "immediate",
            },
        ],
    )
    return create_instance(rds, DBParameterGroupName="orders-pg16")


@pytest.fixture
def versions(rds: Any, use_client: Any) -> EngineVersions:
    client = EngineVersions(rds, POSTGRES)
    use_client("rds", client)
    return client


@pytest.fixture
def ready(rds: Any, cloudwatch: Any, database: Any, versions: Any) -> None:
    """orders-db on postgres 16.4 with 60 of 100 GiB free."""
    free_storage(cloudwatch, 60)


def free_storage(cloudwatch: Any, gib: float, identifier: str = "orders-db") -> None:
    cloudwatch.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "FreeStorageSpace",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": identifier}],
                "Value": gib * 1024**3,
                "Unit": "Bytes",
                # moto drops datapoints of the query's own second (it truncates EndTime).
                "Timestamp": datetime.now(UTC) - timedelta(minutes=5),
            }
        ],
    )


def deployments(rds: Any) -> list[dict[str, Any]]:
    return rds.describe_blue_green_deployments()["BlueGreenDeployments"]


def manual_snapshots(rds: Any) -> list[str]:
    return [
        s["DBSnapshotIdentifier"]
        for s in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    ]


def group_names(rds: Any) -> list[str]:
    return [
        g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
    ]


# --- the flow (moto) ---------------------------------------------------------------------------


def test_major_upgrade_switches_over_and_keeps_the_old_instance(rds, ready, invoke):

    result = invoke("--output", "json", "upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    primary = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    old = rds.describe_db_instances(DBInstanceIdentifier="orders-db-old1")["DBInstances"][0]
    assert (primary["EngineVersion"], old["EngineVersion"]) == ("17.2", "16.4")
    assert primary["DBParameterGroups"][0]["DBParameterGroupName"] == "orders-db-postgres17"
    assert primary["DeletionProtection"] is True
    copied = rds.describe_db_parameters(DBParameterGroupName="orders-db-postgres17")["Parameters"]
    assert {(p["ParameterName"], p["ParameterValue"]) for p in copied} == {
        ("rds.force_ssl", "1"),
        ("log_min_duration_statement", "500"),
    }
    assert [s for s in manual_snapshots(rds) if s.startswith("orders-db-pre-upgrade-17-2-")]
    tags = rds.list_tags_for_resource(ResourceName=old["DBInstanceArn"])["TagList"]
    assert ops_bluegreen.SWITCHED_AT_TAG in {t["Key"] for t in tags}
    assert data["major"] is True and data["old_instance"] == "orders-db-old1"
    assert data["free_storage"]["free_gib"] == 60.0
    assert data["deletion_protection_reasserted"] is True
    assert data["parameters_copied"] == 2
    assert data["switchover_seconds"] == 0.0  # moto switches over at once
    assert data["config_change"]["lines"] == ['engine_version = "17.2"']


def test_text_output_reports_the_figures_and_the_kept_old_instance(rds, ready, invoke):

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 0, result.output
    text = plain(result.stdout)
    assert "typically under a minute" in text
    assert "switchover took 0s" in text
    assert "this command does not delete it" in text
    assert "rds-ha upgrade orders-db --cleanup" in text
    assert 'engine_version = "17.2"' in text


def test_minor_upgrade_keeps_the_parameter_group_and_can_change_the_class(rds, ready, invoke):
    result = invoke(
        "--output", "json", "upgrade", "orders-db", "--to", "16.8",
        "--instance-class", "db.r6g.xlarge", "--yes",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    primary = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert primary["EngineVersion"] == "16.8"
    assert primary["DBInstanceClass"] == "db.r6g.xlarge"
    assert primary["DBParameterGroups"][0]["DBParameterGroupName"] == "orders-pg16"
    assert "orders-db-postgres16" not in group_names(rds)
    data = json.loads(result.stdout)
    assert data["major"] is False
    assert data["config_change"]["lines"] == [
        'engine_version = "16.8"',
        'instance_class = "db.r6g.xlarge"',
    ]


def test_parameter_group_option_names_the_new_group(rds, ready, invoke):

    result = invoke(
        "upgrade", "orders-db", "--to", "17.2", "--parameter-group", "orders-pg17", "-y"
    )

    assert result.exit_code == 0, result.output
    group = rds.describe_db_parameter_groups(DBParameterGroupName="orders-pg17")
    assert group["DBParameterGroups"][0]["DBParameterGroupFamily"] == "postgres17"


def test_dry_run_prints_the_plan_and_creates_nothing(rds, ready, invoke):

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--dry-run")

    assert result.exit_code == 0, result.output
    text = plain(result.stdout)
    assert "major upgrade of orders-db from postgres 16.4 to 17.2" in text
    assert "create parameter group orders-db-postgres17 (postgres17) with the 2 non-default" in text
    assert "writes are blocked" in text and "typically under a minute" in text
    assert (deployments(rds), manual_snapshots(rds)) == ([], [])
    assert "orders-db-postgres17" not in group_names(rds)


def test_green_that_differs_from_the_plan_is_not_switched_over(rds, ready, invoke, monkeypatch):
    # moto copies the blue faithfully, so the difference is injected.
    monkeypatch.setattr(
        ops_bluegreen,
        "green_differences",
        lambda *args: ["DeletionProtection: planned True, green has False"],
    )

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 1
    assert "DeletionProtection: planned True, green has False" in plain(result.stderr)
    assert [d["Status"] for d in deployments(rds)] == ["AVAILABLE"]
    primary = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert primary["EngineVersion"] == "16.4"


# --- refusals: exit 2, nothing created --------------------------------------------------------


def assert_nothing_created(rds: Any, before: list[str]) -> None:
    assert deployments(rds) == []
    assert manual_snapshots(rds) == []
    assert instance_ids(rds) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "15.7"], "not a valid upgrade target of postgres 16.4; RDS offers: 16.8, 17.2"),
        (["--to", "16.4"], "already runs postgres 16.4"),
        (["--to", "17.2", "--switchover-timeout", "29"], "30-3600"),
        (["--to", "17.2", "--switchover-timeout", "3601"], "30-3600"),
        (["--to", "17.2", "--parameter-group", "Bad--name"], "not a valid DB parameter group"),
        (["--to", "17.2", "--instance-class", "db.nope.large"], "--instance-class"),
        ([], "--to VERSION is required"),
    ],
)
def test_bad_input_is_refused(rds, ready, invoke, args, message):

    result = invoke("upgrade", "orders-db", *args, "--yes")

    assert result.exit_code == 2, result.output
    assert message in plain(result.stderr)
    assert_nothing_created(rds, ["orders-db"])


def test_low_free_storage_is_refused(rds, cloudwatch, database, versions, invoke):
    free_storage(cloudwatch, 15)  # 15 of 100 GiB: under 20 %

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 2
    assert "15.0 GiB free of 100 GiB" in plain(result.stderr)
    assert_nothing_created(rds, ["orders-db"])


def test_missing_storage_metric_is_a_warning_in_the_plan(rds, database, versions, invoke):
    result = invoke("upgrade", "orders-db", "--to", "17.2", "--dry-run")

    assert result.exit_code == 0
    assert "no FreeStorageSpace datapoint" in plain(result.stdout)


def test_automated_backups_off_is_refused(rds, versions, invoke):
    create_instance(rds, BackupRetentionPeriod=0)

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 2
    assert "automated backups off" in plain(result.stderr)
    assert_nothing_created(rds, ["orders-db"])


def test_multi_az_db_cluster_is_refused(rds, versions, invoke):
    create_cluster(rds)

    result = invoke("upgrade", "orders", "--to", "17.2", "--yes")

    assert result.exit_code == 2
    assert "orders is a Multi-AZ DB cluster [blue-green.no-multi-az-cluster]" in plain(
        result.stderr
    )
    assert deployments(rds) == []


def test_a_deployment_in_progress_is_refused(rds, ready, database, invoke):
    rds.create_blue_green_deployment(
        BlueGreenDeploymentName="by-hand", Source=database["DBInstanceArn"]
    )
    before = instance_ids(rds)

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 2
    assert "already has a blue/green deployment" in plain(result.stderr)
    assert "by-hand" in plain(result.stderr)
    assert len(deployments(rds)) == 1 and instance_ids(rds) == before


def raw_instance(**overrides: Any) -> Database:
    raw = {
        "DBInstanceIdentifier": "orders-db",
        "DBInstanceArn": ARN,
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "BackupRetentionPeriod": 7,
        "DBInstanceStatus": "available",
        **overrides,
    }
    return Database(INSTANCE, raw)


class NoReplicas:
    meta = type("Meta", (), {"region_name": REGION})()

    def describe_db_instances(self, **kwargs: Any) -> dict[str, Any]:
        return {"DBInstances": [{"DBInstanceIdentifier": kwargs["DBInstanceIdentifier"]}]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Engine": "oracle-ee"}, "support only postgres, mysql, mariadb [blue-green.engines]"),
        (
            {"Engine": "mysql", "EngineVersion": "8.0.13"},
            "needs MySQL 8.0.14 or later [blue-green.mysql-8.0.14]",
        ),
        (
            {"MasterUserSecret": {"SecretArn": "arn:secret"}},
            "managed by RDS in Secrets Manager (credentials = 'rds-managed') "
            "[secrets.managed-password-no-blue-green]",
        ),
        (
            {"ReadReplicaSourceDBInstanceIdentifier": "main-db"},
            "upgrade its source [blue-green.no-cascading-replicas]",
        ),
        (
            {"ReadReplicaDBInstanceIdentifiers": ["arn:aws:rds:eu-central-1:1:db:orders-dr"]},
            "cross-Region read replica (arn:aws:rds:eu-central-1:1:db:orders-dr) "
            "[blue-green.no-cross-region-replica]",
        ),
    ],
)
def test_deployments_rds_does_not_support_are_named(overrides, message):
    problems = blue_green_problems(NoReplicas(), raw_instance(**overrides))

    assert any(message in problem for problem in problems), problems


def test_a_same_region_replica_is_supported():
    problems = blue_green_problems(
        NoReplicas(), raw_instance(ReadReplicaDBInstanceIdentifiers=["orders-db-reader"])
    )

    assert problems == []


# --- a default rds-ha database: its own master secret, RDS Proxy in front ---------------------
# moto 5.2.5 keeps proxies and their targets; a target is REGISTERING in the response of
# RegisterDBProxyTargets and AVAILABLE in every describe after it, so the other states come from
# a Stubber.


PROXY_SECRET = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:orders-master-AbCdEf"


def add_proxy(rds: Any, name: str, target: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)  # moto checks the proxy's subnets exist
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"
        ]["SubnetId"]
        for n, az in ((1, "a"), (2, "b"))
    ]
    rds.create_db_proxy(
        DBProxyName=name,
        EngineFamily="POSTGRESQL",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": PROXY_SECRET, "IAMAuth": "REQUIRED"}],
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=subnets,
    )
    rds.register_db_proxy_targets(DBProxyName=name, DBInstanceIdentifiers=[target])


def test_a_secret_mode_database_behind_a_proxy_upgrades_and_the_plan_names_the_proxy(
    rds, ready, invoke
):
    stack_secret(rds)
    add_proxy(rds, "orders-proxy", "orders-db")

    dry = invoke("upgrade", "orders-db", "--to", "17.2", "--dry-run")
    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert dry.exit_code == 0, dry.output
    shown = plain(dry.stdout)
    assert "RDS Proxy orders-proxy targets orders-db" in shown
    assert "drops its existing client connections" in shown
    assert "Do not add orders-db to a proxy" in shown
    assert result.exit_code == 0, result.output
    primary = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert primary["EngineVersion"] == "17.2"


def unhealthy_proxy_targets(state: str, reason: str) -> Any:
    client = boto3.client("rds", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response(
        "describe_db_proxies",
        {"DBProxies": [{"DBProxyName": "orders-proxy", "EngineFamily": "POSTGRESQL"}]},
        {},
    )
    target = {
        "RdsResourceId": "orders-db",
        "Type": "RDS_INSTANCE",
        "TargetHealth": {"State": state, "Reason": reason},
    }
    stubber.add_response(
        "describe_db_proxy_targets", {"Targets": [target]}, {"DBProxyName": "orders-proxy"}
    )
    stubber.activate()
    return client


def test_a_proxy_target_that_is_not_available_is_refused_before_anything(
    rds, ready, invoke, monkeypatch
):
    stack_secret(rds)
    stubbed, real = (
        unhealthy_proxy_targets("UNAVAILABLE", "CONNECTION_FAILED"),
        ops_upgrade.proxy_targets,
    )
    monkeypatch.setattr(ops_upgrade, "proxy_targets", lambda _rds, db: real(stubbed, db))

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 2
    message = plain(result.stderr)
    assert (
        "proxy orders-proxy's target orders-db is UNAVAILABLE (CONNECTION_FAILED), not AVAILABLE"
        in message
    )
    assert "[blue-green.proxy-target-first]" in message and "rds-proxy-blue-green.html" in message
    assert_nothing_created(rds, ["orders-db"])


def test_only_the_proxies_that_target_the_database_are_named(rds, ready, invoke):
    create_instance(rds, "billing-db")
    add_proxy(rds, "billing-proxy", "billing-db")
    add_proxy(rds, "orders-proxy", "orders-db")

    found = ops_upgrade_clients.proxy_targets(
        rds, Database(INSTANCE, {"DBInstanceIdentifier": "orders-db"})
    )

    assert found == [ops_upgrade_clients.ProxyTarget("orders-proxy", "POSTGRESQL", "AVAILABLE")]


def test_an_rds_managed_master_password_is_refused_with_the_way_out(rds, versions, invoke):
    create_instance(
        rds,
        ManageMasterUserPassword=True,
        MasterUserSecretKmsKeyId=moto_key(),
        MasterUserPassword=None,
    )

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes")

    assert result.exit_code == 2
    message = plain(result.stderr)
    assert "[secrets.managed-password-no-blue-green]" in message
    assert "Blue/green deployments don't support managing master user passwords" in message
    assert "fix: credentials = 'secret'" in message and "Switching credentials modes" in message
    assert_nothing_created(rds, ["orders-db"])


def test_a_rotation_due_within_the_upgrade_is_refused(rds, ready, invoke):
    # moto sets NextRotationDate to now + AutomaticallyAfterDays. It accepts a rotation with no
    # function (AWS requires one: the stack's is the SAR rotation app), and with one it would
    # invoke it, which needs Docker; the code reads only DescribeSecret, so none is given.
    arn = stack_secret(rds, RotationRules={"AutomaticallyAfterDays": 2})

    later = invoke("upgrade", "orders-db", "--to", "17.2", "--dry-run")  # 8 h + a day < 2 days
    result = invoke("upgrade", "orders-db", "--to", "17.2", "--timeout", "43200", "--yes")

    assert later.exit_code == 0, later.output
    assert result.exit_code == 2
    message = plain(result.stderr)
    assert f"the master secret {arn} is due to rotate on or before" in message
    assert f"aws secretsmanager rotate-secret --secret-id {arn}" in message
    assert_nothing_created(rds, ["orders-db"])


V1, V2 = "a" * 32, "b" * 32  # version ids: botocore asks for 32-64 characters


def _secret(**fields: Any) -> Any:
    client = boto3.client("secretsmanager", region_name=REGION)
    stubber = Stubber(client)
    stubber.add_response("describe_secret", fields, {"SecretId": "arn:s"})
    stubber.activate()
    return client


@pytest.mark.parametrize(
    ("fields", "refused"),
    [
        ({"VersionIdsToStages": {V1: ["AWSCURRENT"], V2: ["AWSPENDING"]}}, "in progress"),
        ({"VersionIdsToStages": {V1: ["AWSCURRENT", "AWSPENDING"]}}, None),  # finished
        (
            {"RotationEnabled": True, "NextRotationDate": datetime(2026, 12, 6, 20, tzinfo=UTC)},
            "due",
        ),
        ({"RotationEnabled": True, "NextRotationDate": datetime(2026, 12, 9, tzinfo=UTC)}, None),
        ({"RotationEnabled": False, "NextRotationDate": datetime(2026, 12, 6, tzinfo=UTC)}, None),
    ],
)
def test_rotation_states(fields, refused):
    database = raw_instance(TagList=[{"Key": MASTER_SECRET_TAG, "Value": "arn:s"}])
    now = datetime(2026, 12, 6, tzinfo=UTC)

    problem = ops_upgrade_clients.rotation_problem(
        _secret(**fields), database, now, timedelta(hours=8)
    )

    assert (problem is None) if refused is None else (refused in problem), problem


def test_pending_modifications_are_named():
    database = raw_instance(PendingModifiedValues={"DBInstanceClass": "db.r6g.2xlarge"})

    assert (
        "pending modifications (DBInstanceClass='db.r6g.2xlarge')"
        in readiness_problems(database)[0]
    )


# --- states moto does not model (Stubber) ------------------------------------------------------


def bgd(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "BlueGreenDeployments": [
            {
                "BlueGreenDeploymentIdentifier": "bgd-1",
                "Source": ARN,
                "Target": f"{ARN}-green-abcdef",
                "Status": status,
                **extra,
            }
        ]
    }


@pytest.fixture
def stubbed() -> Any:
    client = boto3.client("rds", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_waits_while_the_green_is_provisioning(stubbed, fake_clock):
    client, stubber = stubbed
    tasks = [{"Name": "CREATING_READ_REPLICA_OF_SOURCE", "Status": "IN_PROGRESS"}]
    for _ in range(3):
        stubber.add_response("describe_blue_green_deployments", bgd("PROVISIONING", Tasks=tasks))
    stubber.add_response("describe_blue_green_deployments", bgd("AVAILABLE"))

    deployment, seconds = ops_bluegreen.wait_for_green(
        client, "bgd-1", "orders-db", timeout_seconds=3600, timer=waiting.DEFAULT_TIMER
    )

    assert deployment["Status"] == "AVAILABLE"
    assert seconds == 45  # three polls of 15 s


def test_invalid_configuration_fails_and_says_the_blue_is_unchanged(stubbed):
    client, stubber = stubbed
    stubber.add_response("describe_blue_green_deployments", bgd("PROVISIONING"))
    stubber.add_response(
        "describe_blue_green_deployments",
        bgd("INVALID_CONFIGURATION", StatusDetails="green promoted by hand"),
    )

    with pytest.raises(CheckFailedError, match="INVALID_CONFIGURATION: green promoted by hand"):
        ops_bluegreen.wait_for_green(
            client, "bgd-1", "orders-db", timeout_seconds=3600, timer=waiting.DEFAULT_TIMER
        )


def test_switchover_time_is_measured_to_the_completed_state(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "switchover_blue_green_deployment",
        {"BlueGreenDeployment": bgd("SWITCHOVER_IN_PROGRESS")["BlueGreenDeployments"][0]},
        {"BlueGreenDeploymentIdentifier": "bgd-1", "SwitchoverTimeout": 120},
    )
    for _ in range(6):
        stubber.add_response("describe_blue_green_deployments", bgd("SWITCHOVER_IN_PROGRESS"))
    stubber.add_response("describe_blue_green_deployments", bgd("SWITCHOVER_COMPLETED"))

    _, seconds = ops_bluegreen.switch_over(
        client, "bgd-1", "orders-db", timeout_seconds=120, timer=waiting.DEFAULT_TIMER
    )

    assert seconds == 30  # six polls of 5 s: the switchover is watched closely


def test_failed_switchover_says_rds_rolled_it_back(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "switchover_blue_green_deployment",
        {"BlueGreenDeployment": bgd("SWITCHOVER_IN_PROGRESS")["BlueGreenDeployments"][0]},
    )
    stubber.add_response(
        "describe_blue_green_deployments",
        bgd("SWITCHOVER_FAILED", StatusDetails="switchover timed out"),
    )

    with pytest.raises(CheckFailedError, match="rolls a failed switchover back"):
        ops_bluegreen.switch_over(
            client, "bgd-1", "orders-db", timeout_seconds=300, timer=waiting.DEFAULT_TIMER
        )


# --- cleanup -----------------------------------------------------------------------------------


def upgraded(invoke: Any) -> None:
    assert invoke("upgrade", "orders-db", "--to", "17.2", "--yes").exit_code == 0


def test_cleanup_is_refused_within_the_keep_period(rds, ready, invoke):
    upgraded(invoke)

    result = invoke("upgrade", "orders-db", "--cleanup", "--yes")

    assert result.exit_code == 2
    assert "it is kept 24 h" in plain(result.stderr)
    assert "orders-db-old1" in instance_ids(rds)


def test_cleanup_deletes_the_deployment_and_the_old_instance_with_a_final_snapshot(
    rds, ready, invoke
):
    upgraded(invoke)

    result = invoke(
        "--output", "json", "upgrade", "orders-db", "--cleanup", "--keep-hours", "0", "-y"
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert deployments(rds) == []
    assert instance_ids(rds) == ["orders-db"]
    assert data["final_snapshot_id"] in manual_snapshots(rds)
    assert data["final_snapshot_id"].startswith("orders-db-old1-final-")


def test_cleanup_of_a_deployment_not_switched_over_deletes_its_green(rds, database, invoke):
    rds.create_blue_green_deployment(
        BlueGreenDeploymentName="by-hand", Source=database["DBInstanceArn"]
    )

    result = invoke("upgrade", "orders-db", "--cleanup", "--yes")

    assert result.exit_code == 0, result.output
    assert deployments(rds) == [] and instance_ids(rds) == ["orders-db"]


def test_keep_period_counts_from_the_switchover_tag():
    class Tags:
        def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
            stamp = datetime(2026, 12, 1, 10, tzinfo=UTC).isoformat()
            return {"TagList": [{"Key": ops_bluegreen.SWITCHED_AT_TAG, "Value": stamp}]}

    cleanup = ops_bluegreen.Cleanup({"Source": f"{ARN}-old1"}, True, "orders-db-old1", "x")
    after_a_day = datetime(2026, 12, 1, 10, tzinfo=UTC) + timedelta(hours=24)

    assert ops_bluegreen.check_keep_period(Tags(), cleanup, 24, after_a_day) is None


# --- environments.toml ------------------------------------------------------------------------

SAMPLE_TOML = """\
# rds-ha environments: a comment that must survive.

[environments.dev]
engine = "postgres"
engine_version = "16.4"   # pinned: see the upgrade runbook
instance_class = "db.t4g.medium"

[environments.dev.backups]
# a sub-table's comment
daily_retention_days = 7

[environments.prod]
database_identifier = "orders-db"
engine = "postgres"
engine_version = "16.4"   # pinned: see the upgrade runbook
instance_class   =   "db.r6g.large"

[environments.prod.backups]
daily_retention_days = 35
"""


def test_write_config_edits_the_right_environment_and_keeps_comments(rds, ready, invoke, tmp_path):
    path = tmp_path / "environments.toml"
    path.write_text(SAMPLE_TOML)

    result = invoke(
        "upgrade", "orders-db", "--to", "17.2", "--instance-class", "db.r6g.xlarge",
        "--write-config", str(path), "--yes",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    expected = SAMPLE_TOML.replace(
        'engine_version = "16.4"   # pinned: see the upgrade runbook\n'
        'instance_class   =   "db.r6g.large"',
        'engine_version = "17.2"   # pinned: see the upgrade runbook\n'
        'instance_class   =   "db.r6g.xlarge"',
    )
    assert path.read_text() == expected  # dev untouched, every comment and the spacing kept
    assert "[environments.prod]" in plain(result.stdout)


def test_write_config_refuses_before_anything_when_no_environment_matches(
    rds, ready, invoke, tmp_path
):
    path = tmp_path / "environments.toml"
    path.write_text(SAMPLE_TOML.replace('database_identifier = "orders-db"', ""))

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--write-config", str(path), "-y")

    assert result.exit_code == 2
    assert "no environment describes database orders-db" in plain(result.stderr)
    assert "dev (rds-ha-dev), prod (rds-ha-prod)" in plain(result.stderr)
    assert_nothing_created(rds, ["orders-db"])


def test_edit_adds_a_missing_key_after_the_tables_last_key():
    text = '[environments.dev]\nengine = "postgres"\n\n[environments.dev.backups]\nx = 1\n'

    edited = upgrade_config.edit_text(text, "dev", {"engine_version": "17.2"})

    assert edited == (
        '[environments.dev]\nengine = "postgres"\nengine_version = "17.2"\n\n'
        "[environments.dev.backups]\nx = 1\n"
    )


def test_default_identifier_is_rds_ha_and_the_environment_name(tmp_path):
    path = tmp_path / "environments.toml"
    path.write_text(SAMPLE_TOML)

    assert upgrade_config.find_environment(path, "rds-ha-dev") == "dev"


MAJOR_ONLY_TOML = SAMPLE_TOML.replace(
    'engine_version = "16.4"   # pinned: see the upgrade runbook\ninstance_class   =',
    'engine_version = "16"   # major only: RDS picks the minor\ninstance_class   =',
)


def test_write_config_keeps_a_major_only_pin_major_only_after_a_major_upgrade(
    rds, ready, invoke, tmp_path
):
    path = tmp_path / "environments.toml"
    path.write_text(MAJOR_ONLY_TOML)

    result = invoke(
        "--output", "json", "upgrade", "orders-db", "--to", "17.2",
        "--write-config", str(path), "--yes",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert path.read_text() == MAJOR_ONLY_TOML.replace(
        'engine_version = "16"   # major only', 'engine_version = "17"   # major only'
    )
    change = json.loads(result.stdout)["config_change"]
    assert change["lines"] == ['engine_version = "17"']
    assert change["pinned_engine_version"] == "16"


def test_write_config_writes_nothing_after_a_minor_upgrade_under_a_major_only_pin(
    rds, ready, invoke, tmp_path
):
    path = tmp_path / "environments.toml"
    path.write_text(MAJOR_ONLY_TOML)

    result = invoke("upgrade", "orders-db", "--to", "16.8", "--write-config", str(path), "--yes")

    assert result.exit_code == 0, result.output
    assert path.read_text() == MAJOR_ONLY_TOML
    said = " ".join(plain(result.stdout).split())
    assert "Nothing to write to [environments.prod]" in said
    assert 'its major-only pin engine_version = "16" already describes 16.8' in said


def test_write_config_still_writes_a_new_class_under_a_major_only_pin(rds, ready, invoke, tmp_path):
    path = tmp_path / "environments.toml"
    path.write_text(MAJOR_ONLY_TOML)

    result = invoke(
        "upgrade", "orders-db", "--to", "16.8", "--instance-class", "db.r6g.xlarge",
        "--write-config", str(path), "--yes",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert path.read_text() == MAJOR_ONLY_TOML.replace(
        'instance_class   =   "db.r6g.large"', 'instance_class   =   "db.r6g.xlarge"'
    )


@pytest.mark.parametrize(
    ("engine", "pinned", "target", "expected"),
    [
        ("postgres", "16.4", "17.2", "17.2"),  # a full pin stays full
        ("postgres", "16.4", "16.8", "16.8"),
        ("postgres", "16", "17.2", "17"),
        ("postgres", "16", "16.8", None),
        ("mysql", "8.0", "8.4.3", "8.4"),  # MySQL's major is X.Y
        ("mysql", "8.4", "8.4.5", None),
        ("mysql", "8.0.39", "8.4.3", "8.4.3"),
        ("mariadb", "10.11", "11.4.4", "11.4"),
        ("postgres", None, "17.2", "17.2"),  # no pin in the file: the full version
    ],
)
def test_the_engine_version_pin_keeps_its_precision(engine, pinned, target, expected):
    assert upgrade_config.engine_version_pin(engine, pinned, target) == expected


# --- --probe: the downtime clients saw during the switchover ----------------------------------
# moto switches over at once (see the top of the file), so the outage is made here: a fake
# driver, or a TCP proxy in front of a real PostgreSQL, goes down when the switchover starts.

PROBE = ("--probe", "--auth", "none", "--no-tls", "--interval-ms", "50")


def _drop_at_switchover(monkeypatch, drop) -> None:
    switch_over = ops_bluegreen.switch_over

    def drop_and_switch(*args: Any, **kwargs: Any) -> Any:
        drop()
        return switch_over(*args, **kwargs)

    monkeypatch.setattr(ops_bluegreen, "switch_over", drop_and_switch)


@pytest.fixture
def outage_driver(monkeypatch):
    fake = OutageDriver()
    monkeypatch.setitem(probe_connect.OPENERS, probe_connect.POSTGRESQL, fake.open)
    return fake


def test_upgrade_probe_reports_the_downtime_beside_the_switchover_time(
    rds, ready, invoke, outage_driver, monkeypatch
):
    _drop_at_switchover(monkeypatch, outage_driver.outage)

    result = invoke("--output", "json", "upgrade", "orders-db", "--to", "17.2", "--yes", *PROBE)

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["engine_version"] == "17.2"
    assert "switchover_seconds" in report
    probe = report["probe"]
    assert probe["target"]["name"] == "orders-db"
    assert len(probe["outages"]) == 1
    assert probe["downtime_seconds"] == pytest.approx(DOWN_SECONDS, abs=0.15)
    assert probe["still_down"] is False
    assert "during the switchover of orders-db" in result.stderr


def test_upgrade_probe_text_has_the_downtime_after_the_switchover_time(
    rds, ready, invoke, outage_driver, monkeypatch
):
    _drop_at_switchover(monkeypatch, outage_driver.outage)

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes", *PROBE)

    assert result.exit_code == 0, result.output
    text = plain(result.stdout)
    assert text.index("switchover took") < text.index("Client-visible downtime: 0.")
    assert "in 1 outage(s)" in text


def test_upgrade_probe_that_cannot_connect_changes_nothing(rds, ready, invoke, outage_driver):
    outage_driver.refuse_all = True

    result = invoke("upgrade", "orders-db", "--to", "17.2", "--yes", *PROBE)

    assert result.exit_code == 1
    assert "cannot connect to postgres at" in plain(result.stderr)
    assert "Nothing was changed." in plain(result.stderr)
    assert deployments(rds) == []
    assert manual_snapshots(rds) == []


def test_upgrade_dry_run_lists_the_probe_before_the_switchover(rds, ready, invoke, outage_driver):
    result = invoke("--output", "json", "upgrade", "orders-db", "--to", "17.2", "--dry-run", *PROBE)

    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["plan"]["steps"]
    probe_step = next(i for i, step in enumerate(steps) if step.startswith("probe SELECT 1"))
    assert steps[probe_step + 1].startswith("switch over")
    assert "during the switchover" in steps[probe_step]
    assert outage_driver.params == []


@pytest.mark.parametrize(
    "args",
    [("--user", "app"), ("--interval-ms", "100"), ("--cleanup", "--probe")],
)
def test_upgrade_probe_options_are_refused_where_they_do_not_apply(rds, ready, invoke, args):
    extra = () if "--cleanup" in args else ("--to", "17.2")
    result = invoke("upgrade", "orders-db", *extra, "--yes", *args)

    assert result.exit_code == 2, result.output
    assert "--probe" in plain(result.stderr)
    assert deployments(rds) == []


def test_upgrade_probe_measures_a_real_postgresql_cut_at_the_switchover(
    rds, ready, invoke, monkeypatch
):
    host, port, _ = _require("postgres")
    cut_seconds = 1.0
    with CuttableProxy(host, port) as proxy:
        local = probe_connect.host_endpoint("127.0.0.1", proxy.port, "postgres")
        monkeypatch.setattr(probe_connect, "database_endpoint", lambda rds, db_id: local)

        def cut() -> None:
            proxy.cut()
            threading.Timer(cut_seconds, proxy.restore).start()
            # moto's switchover is instant: last long enough (real time) for a query to fail.
            time.sleep(0.3)

        _drop_at_switchover(monkeypatch, cut)
        result = invoke(
            "--output", "json", "upgrade", "orders-db", "--to", "17.2", "--yes",
            "--probe", "--auth", "none", "--no-tls", "--user", PG_USER, "--database", "test",
            "--interval-ms", "50",
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    probe = json.loads(result.stdout)["probe"]
    assert len(probe["outages"]) == 1, probe
    assert probe["downtime_seconds"] == pytest.approx(cut_seconds, abs=TOLERANCE_SECONDS)
    assert probe["still_down"] is False
