"""`rds-ha promote`: refuses what is not an available read replica before changing anything,
shows the replica lag as the data-loss window, and reports success only once RDS shows a
standalone instance.

moto 5.2.5 models cross-region read replicas and CloudWatch datapoints, so the checks, the plan
and the dry run run against it. Its promote_read_replica is partial: it applies
BackupRetentionPeriod but keeps ReadReplicaSourceDBInstanceIdentifier on the promoted instance
(and the replica in the source's list), never reboots and never changes the status. The
promotion as RDS performs it (rebooting, then standalone) is therefore played with a Stubber."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber
from typer.testing import CliRunner

from rds_ha.cli import ops_promote
from rds_ha.cli.app import app
from rds_ha.cli.databases import INSTANCE, Database

from .conftest import REGION, create_cluster, create_instance, plain

DR_REGION = "eu-west-1"
SOURCE_ARN = f"arn:aws:rds:{REGION}:123456789012:db:orders-db"
REPLICA_ARN = f"arn:aws:rds:{DR_REGION}:123456789012:db:orders-dr"


@pytest.fixture
def cross_region_replica(rds):
    """orders-db in us-east-1 (14 days of backups) and its replica orders-dr in eu-west-1."""
    create_instance(rds, BackupRetentionPeriod=14)
    dr = boto3.client("rds", region_name=DR_REGION)
    dr.create_db_instance_read_replica(
        DBInstanceIdentifier="orders-dr",
        SourceDBInstanceIdentifier=SOURCE_ARN,
        DBInstanceClass="db.r6g.large",
    )
    return dr


def put_lag(seconds: float, region: str = DR_REGION, replica: str = "orders-dr") -> None:
    boto3.client("cloudwatch", region_name=region).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": replica}],
                "Timestamp": datetime.now(UTC) - timedelta(minutes=1),
                "Value": seconds,
                "Unit": "Seconds",
            }
        ],
    )


def replica_state(dr) -> dict:
    return dr.describe_db_instances(DBInstanceIdentifier="orders-dr")["DBInstances"][0]


# --- against moto: checks, plan, dry run ---------------------------------------------------------


def test_dry_run_shows_the_lag_as_data_loss_window_and_the_sources_retention(
    cross_region_replica, invoke
):
    put_lag(12)

    result = invoke("--region", DR_REGION, "promote", "orders-dr", "--dry-run")

    assert result.exit_code == 0, result.output
    out = plain(result.stdout)
    assert "promote cross-region read replica orders-dr (eu-west-1)" in out
    assert f"stops replicating from {SOURCE_ARN} (us-east-1), becomes writable and reboots" in out
    assert "backup retention 14 days (the source's, orders-db)" in out
    assert "Data-loss window: up to 12s (ReplicaLag, Maximum of the last 5 minutes)" in out
    assert "the source " in out and "is untouched" in out and "must be repointed" in out
    assert "Warning" not in out
    assert "Dry run: nothing was changed." in out
    assert replica_state(cross_region_replica)["ReadReplicaSourceDBInstanceIdentifier"]


def test_lag_above_the_threshold_is_a_warning_in_the_plan_and_in_json(cross_region_replica, invoke):
    put_lag(30)
    put_lag(240)

    result = invoke("--region", DR_REGION, "--output", "json", "promote", "orders-dr", "--dry-run")

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    assert plan["replica_lag_seconds"] == 240  # the Maximum, not the latest
    assert plan["backup_retention_days"] == 14
    assert plan["source_region"] == "us-east-1"
    assert "replica lag 4m 00s is above 1m 00s (--max-lag-seconds)" in plan["warnings"][0]


@pytest.mark.parametrize(
    ("lag", "warning"),
    [(None, "no ReplicaLag datapoint in the last 5 minutes"), (-1, "replication is not running")],
)
def test_an_unknown_lag_is_a_warning_not_a_zero(cross_region_replica, invoke, lag, warning):
    if lag is not None:
        put_lag(lag)

    result = invoke("--region", DR_REGION, "promote", "orders-dr", "--dry-run")

    assert result.exit_code == 0, result.output
    assert warning in plain(result.stdout)
    assert "Data-loss window: unknown" in plain(result.stdout)


def test_backup_retention_days_option_overrides_the_sources(cross_region_replica, invoke):
    result = invoke(
        "--region", DR_REGION, "promote", "orders-dr", "--backup-retention-days", "21", "--dry-run"
    )

    assert result.exit_code == 0, result.output
    assert "backup retention 21 days (--backup-retention-days)" in plain(result.stdout)


def test_same_region_replica_reads_the_sources_retention_in_its_region(rds, invoke):
    create_instance(rds, BackupRetentionPeriod=10)
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders-db"
    )

    result = invoke("promote", "orders-replica", "--dry-run")

    assert result.exit_code == 0, result.output
    out = plain(result.stdout)
    assert "promote read replica orders-replica (us-east-1)" in out
    assert "stops replicating from orders-db (us-east-1)" in out
    assert "backup retention 10 days (the source's, orders-db)" in out


def test_a_standalone_instance_is_refused_and_left_alone(rds, invoke):
    create_instance(rds)

    result = invoke("promote", "orders-db", "--yes")

    assert result.exit_code == 2
    assert "orders-db is not a read replica" in plain(result.stderr)
    assert "Nothing was changed." in plain(result.stderr)


def test_a_multi_az_cluster_reader_is_refused_with_a_pointer_to_failover(rds, invoke):
    create_cluster(rds)

    result = invoke("promote", "orders-b", "--yes")

    assert result.exit_code == 2
    assert "member instance of DB cluster 'orders', not a read replica" in plain(result.stderr)
    assert "rds-ha failover orders --target-instance orders-b" in plain(result.stderr)


def test_a_cluster_identifier_is_refused(rds, invoke):
    create_cluster(rds)

    result = invoke("promote", "orders", "--yes")

    assert result.exit_code == 2
    assert "'orders' is a DB cluster" in plain(result.stderr)


def test_an_unknown_identifier_is_refused_naming_the_region(cross_region_replica, invoke):
    # The replica lives in eu-west-1; without --region the command looks in us-east-1.
    result = invoke("promote", "orders-dr", "--yes")

    assert result.exit_code == 2
    assert "no DB instance with that identifier in us-east-1" in plain(result.stderr)
    assert "--region is the replica's region" in plain(result.stderr)


def test_moto_promotion_never_looks_standalone_so_the_wait_fails_instead_of_succeeding(
    cross_region_replica, invoke
):
    # moto applies the retention but keeps the replication source: the command must not
    # report a promotion it cannot see.
    result = invoke("--region", DR_REGION, "promote", "orders-dr", "--yes", "--timeout", "60")

    assert result.exit_code == 1
    assert "timed out after 60s waiting for promotion of orders-dr" in plain(result.stderr)
    assert "still a read replica" in plain(result.stderr)
    assert replica_state(cross_region_replica)["BackupRetentionPeriod"] == 14


# --- with a Stubber: what moto does not model ---------------------------------------------------


def _replica(status: str = "available", source: str | None = SOURCE_ARN, **extra) -> dict:
    raw = {
        "DBInstanceIdentifier": "orders-dr",
        "DBInstanceArn": REPLICA_ARN,
        "DBInstanceStatus": status,
        "Engine": "postgres",
        "MultiAZ": True,
        "BackupRetentionPeriod": 0,
        "Endpoint": {"Address": "orders-dr.x.eu-west-1.rds.amazonaws.com", "Port": 5432},
    }
    if source:
        raw["ReadReplicaSourceDBInstanceIdentifier"] = source
    return {"DBInstances": [raw | extra]}


def _stubs(use_client, lag_points: list[float]) -> tuple[Stubber, Stubber]:
    rds = boto3.client("rds", region_name=DR_REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=DR_REGION)
    rds_stub, cw_stub = Stubber(rds), Stubber(cloudwatch)
    ident = {"DBInstanceIdentifier": "orders-dr"}
    rds_stub.add_response("describe_db_instances", _replica(), ident)
    cw_stub.add_response(
        "get_metric_statistics",
        {"Datapoints": [{"Maximum": value} for value in lag_points]},
        {
            "Namespace": "AWS/RDS",
            "MetricName": "ReplicaLag",
            "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "orders-dr"}],
            "StartTime": ANY,
            "EndTime": ANY,
            "Period": 60,
            "Statistics": ["Maximum"],
        },
    )
    use_client("rds", rds)
    use_client("cloudwatch", cloudwatch)
    return rds_stub, cw_stub


def test_promotion_waits_for_a_standalone_instance_and_reports_endpoint_and_duration(
    invoke, use_client
):
    rds_stub, cw_stub = _stubs(use_client, [3.0, 8.0])
    ident = {"DBInstanceIdentifier": "orders-dr"}
    rds_stub.add_response(
        "promote_read_replica", {"DBInstance": {}}, {**ident, "BackupRetentionPeriod": 9}
    )
    # Right after the call RDS may still show an available replica: not done.
    rds_stub.add_response("describe_db_instances", _replica(), ident)
    rds_stub.add_response("describe_db_instances", _replica("rebooting", None), ident)
    rds_stub.add_response(
        "describe_db_instances", _replica("available", None, BackupRetentionPeriod=9), ident
    )

    with rds_stub, cw_stub:
        result = invoke(
            "--region",
            DR_REGION,
            "--output",
            "json",
            "promote",
            "orders-dr",
            "--backup-retention-days",
            "9",
            "--yes",
        )
        rds_stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["endpoint"] == "orders-dr.x.eu-west-1.rds.amazonaws.com:5432"
    assert report["former_source"] == SOURCE_ARN
    assert report["former_source_region"] == "us-east-1"
    assert report["replica_lag_seconds"] == 8.0
    assert report["backup_retention_days"] == 9
    assert report["problems"] == []
    assert report["duration_seconds"] == 30  # two 15 s polls on the fake clock
    assert {"started_at", "finished_at"} <= report.keys()


def test_text_report_names_the_endpoint_the_data_loss_window_and_the_timing(invoke, use_client):
    rds_stub, cw_stub = _stubs(use_client, [2.0])
    rds_stub.add_response("promote_read_replica", {"DBInstance": {}}, None)
    rds_stub.add_response(
        "describe_db_instances", _replica("available", None, BackupRetentionPeriod=7), None
    )

    with rds_stub, cw_stub:
        result = invoke(
            "--region", DR_REGION, "promote", "orders-dr", "--backup-retention-days", "7", "--yes"
        )

    assert result.exit_code == 0, result.output
    out = plain(result.stdout)
    assert "Promoted orders-dr to a standalone DB instance in 0s" in out
    assert "Endpoint: orders-dr.x.eu-west-1.rds.amazonaws.com:5432 (repoint applications" in out
    assert "Data loss window: up to 2s" in out
    assert "Started " in out and "finished " in out


def test_a_promoted_instance_without_the_asked_retention_fails_the_command(invoke, use_client):
    rds_stub, cw_stub = _stubs(use_client, [1.0])
    rds_stub.add_response("promote_read_replica", {"DBInstance": {}}, None)
    rds_stub.add_response(
        "describe_db_instances", _replica("available", None, BackupRetentionPeriod=1), None
    )

    with rds_stub, cw_stub:
        result = invoke(
            "--region", DR_REGION, "promote", "orders-dr", "--backup-retention-days", "7", "--yes"
        )

    assert result.exit_code == 1
    assert "backup retention 1 days, asked for 7" in plain(result.stderr)


@pytest.mark.parametrize("status", ["modifying", "backing-up", "storage-full"])
def test_a_replica_that_is_not_available_is_refused_before_any_call(invoke, use_client, status):
    rds = boto3.client("rds", region_name=DR_REGION)
    stub = Stubber(rds)
    stub.add_response("describe_db_instances", _replica(status), None)
    use_client("rds", rds)

    with stub:
        result = invoke("--region", DR_REGION, "promote", "orders-dr", "--yes")
        stub.assert_no_pending_responses()  # nothing else was queued, so nothing else was called

    assert result.exit_code == 2
    assert f"orders-dr is '{status}'; promotion needs it 'available'" in plain(result.stderr)


def test_an_unreachable_source_region_falls_back_to_seven_days():
    # The primary region is down: the read of the source's retention fails, the plan says so.
    source_rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(source_rds)
    stub.add_client_error("describe_db_instances", "InternalFailure", "unavailable", 500)
    replica = Database(INSTANCE, _replica()["DBInstances"][0])

    with stub:
        retention = ops_promote.backup_retention(None, source_rds, replica)

    assert retention.days == 7
    assert retention.reason == "default; the source could not be read (ClientError)"


def test_help_fits_80_columns_and_lists_the_options():
    result = CliRunner().invoke(app, ["promote", "--help"], env={"COLUMNS": "80"})

    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    for option in ("--backup-retention-days DAYS", "--max-lag-seconds SECONDS", "--dry-run"):
        assert option in result.stdout


def test_the_dr_region_replica_rds_ha_deploys_is_promoted_in_its_own_region(rds, invoke):
    # What rds-ha-prod-dr-replica deploys: rds-ha-prod-dr-reader in the DR region, its source
    # named by the ARN the stack formats (arn:aws:rds:<region>:<account>:db:<identifier>).
    # moto 5.2.5 models the cross-region replica (the source's ARN, the replica in another
    # region's backend) and CloudWatch datapoints; it does not replicate data or report lag
    # itself, so the lag is a datapoint put here.
    primary = boto3.client("rds", region_name="eu-west-1")
    create_instance(primary, "rds-ha-prod", BackupRetentionPeriod=35)
    dr = boto3.client("rds", region_name="eu-central-1")
    dr.create_db_instance_read_replica(
        DBInstanceIdentifier="rds-ha-prod-dr-reader",
        SourceDBInstanceIdentifier="arn:aws:rds:eu-west-1:123456789012:db:rds-ha-prod",
        DBInstanceClass="db.r7g.xlarge",
    )
    put_lag(4, region="eu-central-1", replica="rds-ha-prod-dr-reader")

    result = invoke(
        "--region", "eu-central-1", "--output", "json", "promote", "rds-ha-prod-dr-reader",
        "--dry-run",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)["plan"]
    assert plan["source"] == "arn:aws:rds:eu-west-1:123456789012:db:rds-ha-prod"
    assert plan["source_region"] == "eu-west-1"
    assert plan["replica_lag_seconds"] == 4
    # The source's retention, read in the source's region (not the replica's).
    assert plan["backup_retention_days"] == 35
    state = dr.describe_db_instances(DBInstanceIdentifier="rds-ha-prod-dr-reader")["DBInstances"]
    assert state[0]["ReadReplicaSourceDBInstanceIdentifier"]
