"""`rds-ha doctor`: every check passes on a compliant database, fails on a risky one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.cli import ops_doctor
from rds_ha.cli.databases import INSTANCE, Database

from .conftest import REGION, create_cluster, create_instance, plain, stack_secret

TOPIC = "arn:aws:sns:us-east-1:123456789012:db-alarms"


def watch(cloudwatch, rds, db_id: str, metrics=ops_doctor.KEY_METRICS, actions=True) -> None:
    for metric in metrics:
        cloudwatch.put_metric_alarm(
            AlarmName=f"{db_id}-{metric}",
            Namespace="AWS/RDS",
            MetricName=metric,
            Dimensions=[{"Name": "DBInstanceIdentifier", "Value": db_id}],
            Statistic="Average",
            Period=60,
            EvaluationPeriods=5,
            Threshold=80,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[TOPIC] if actions else [],
        )
    rds.create_event_subscription(
        SubscriptionName=f"{db_id}-events",
        SnsTopicArn=TOPIC,
        SourceType="db-instance",
        SourceIds=[db_id],
        Enabled=True,
    )


def statuses(result) -> dict[str, str]:
    return {c["check"]: c["status"] for c in json.loads(result.stdout)["checks"]}


# moto does not implement describe_pending_maintenance_actions: the CLI runs against moto skip
# that check, and its own tests below use a Stubber.
SKIP_PENDING = ("--skip", "pending-maintenance")


ROTATION = {"RotationRules": {"AutomaticallyAfterDays": 30}}


def test_doctor_passes_a_compliant_multi_az_instance(rds, cloudwatch, invoke):
    create_instance(rds)
    stack_secret(rds, "orders-db", **ROTATION)
    watch(cloudwatch, rds, "orders-db")

    result = invoke("--output", "json", "doctor", "orders-db", *SKIP_PENDING)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] is True
    # moto does not report SecondaryAvailabilityZone, so the standby is not confirmed (warn);
    # the pass with a reported standby is tested on the check itself below.
    checks = statuses(result)
    assert checks.pop("multi-az") == "warn"
    assert set(checks.values()) == {"pass", "skipped"}


@pytest.mark.parametrize(
    ("standby", "status", "detail"),
    [
        ("us-east-1b", "pass", "primary in us-east-1a, standby in us-east-1b"),
        (None, "warn", "Multi-AZ on, primary in us-east-1a, but no standby AZ reported"),
    ],
)
def test_multi_az_passes_only_with_a_known_standby(standby, status, detail):
    raw = {"DBInstanceIdentifier": "orders-db", "MultiAZ": True, "AvailabilityZone": "us-east-1a"}
    if standby:
        raw["SecondaryAvailabilityZone"] = standby
    database = Database(INSTANCE, raw)

    check = ops_doctor.check_multi_az(database, None, None, datetime.now(UTC))

    assert check.status == status
    assert check.detail.startswith(detail)
    assert "unknown" not in check.detail


def test_doctor_fails_a_risky_instance_with_exit_code_1(rds, invoke):
    create_instance(
        rds,
        MultiAZ=False,
        BackupRetentionPeriod=1,
        DeletionProtection=False,
        StorageEncrypted=False,
        PubliclyAccessible=True,
        AutoMinorVersionUpgrade=False,
    )

    result = invoke("--output", "json", "doctor", "orders-db", *SKIP_PENDING)

    assert result.exit_code == 1
    assert statuses(result) == {
        "multi-az": "fail",
        "backup-retention": "fail",
        "data-loss-window": "pass",
        "deletion-protection": "fail",
        "encryption": "fail",
        "public-access": "fail",
        "auto-minor-upgrade": "warn",
        "pending-maintenance": "skipped",
        "alarms": "fail",
        "event-subscription": "fail",
        # Neither an RDS-managed secret nor the stack's tag: not a database rds-ha deployed.
        "master-secret": "warn",
    }
    assert "7 check(s) failed" in plain(result.stderr)


def test_doctor_prints_a_table_in_text_mode(rds, cloudwatch, invoke):
    create_instance(rds)
    watch(cloudwatch, rds, "orders-db")

    result = invoke("doctor", "orders-db", *SKIP_PENDING)

    assert result.exit_code == 0
    assert "multi-az" in result.stdout and "PASS" in result.stdout
    assert "11 of 11 checks passed or skipped" in result.stdout


def test_alarm_check_fails_when_a_key_metric_is_unwatched_or_an_alarm_is_silent(
    rds, cloudwatch, invoke
):
    create_instance(rds)
    watch(cloudwatch, rds, "orders-db", metrics=("CPUUtilization",), actions=False)

    result = invoke("--output", "json", "doctor", "orders-db", *SKIP_PENDING)

    alarms = next(c for c in json.loads(result.stdout)["checks"] if c["check"] == "alarms")
    assert result.exit_code == 1
    assert alarms["status"] == "fail"
    assert "no alarm on FreeableMemory, FreeStorageSpace" in alarms["detail"]
    assert "no alarm action on orders-db-CPUUtilization" in alarms["detail"]


def test_doctor_audits_a_multi_az_db_cluster(rds, invoke):
    create_cluster(rds)

    result = invoke("--output", "json", "doctor", "orders", *SKIP_PENDING)

    report = json.loads(result.stdout)
    assert result.exit_code == 1  # no alarms and no event subscription
    assert report["kind"] == "cluster"
    assert statuses(result)["multi-az"] == "pass", result.stdout
    assert statuses(result)["event-subscription"] == "fail"  # none was created


def test_doctor_rejects_an_unknown_database_with_exit_code_2(rds, invoke):
    result = invoke("doctor", "missing-db")

    assert result.exit_code == 2
    assert "'missing-db': no DB instance or DB cluster" in plain(result.stderr)


def test_doctor_rejects_an_unknown_check_name(rds, invoke):
    result = invoke("doctor", "orders-db", "--skip", "backups")

    assert result.exit_code == 2
    assert "--skip backups: unknown check" in plain(result.stderr)


def _database(**raw) -> Database:
    arn = "arn:aws:rds:us-east-1:123456789012:db:orders-db"
    return Database(INSTANCE, {"DBInstanceIdentifier": "orders-db", "DBInstanceArn": arn, **raw})


def test_data_loss_window_fails_when_the_latest_restorable_time_is_stale():
    now = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)
    db = _database(LatestRestorableTime=now - timedelta(minutes=40))

    check = ops_doctor.check_data_loss_window(db, None, ops_doctor.Thresholds(), now)

    assert check.status == "fail"
    assert check.detail.startswith("40m 00s since the latest restorable time")


def test_pending_maintenance_check_lists_actions_and_forced_dates():
    rds = boto3.client("rds", region_name=REGION)
    db = _database()
    # moto does not implement describe_pending_maintenance_actions.
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_pending_maintenance_actions",
            {
                "PendingMaintenanceActions": [
                    {
                        "ResourceIdentifier": db.arn,
                        "PendingMaintenanceActionDetails": [
                            {"Action": "system-update", "ForcedApplyDate": datetime(2026, 12, 1)}
                        ],
                    }
                ]
            },
            {"ResourceIdentifier": db.arn},
        )
        check = ops_doctor.check_pending_maintenance(db, ops_doctor.Clients(rds, None), None, None)

    assert (check.status, check.detail) == ("warn", "system-update (forced on 2026-12-01)")


def test_a_check_that_cannot_run_fails_the_audit_instead_of_passing():
    rds = boto3.client("rds", region_name=REGION)
    db = _database(MultiAZ=True)
    with Stubber(rds) as stub:
        stub.add_client_error(
            "describe_pending_maintenance_actions", "AccessDenied", "not authorized"
        )
        results = ops_doctor.run_checks(
            db,
            ops_doctor.Clients(rds, None),
            skip=frozenset(set(ops_doctor.CHECKS) - {"pending-maintenance"}),
        )

    pending = next(r for r in results if r.id == "pending-maintenance")
    assert pending.status == "error"
    assert "AccessDenied" in pending.detail
    assert ops_doctor.failed(results) == [pending]


def test_doctor_text_output_prints_alarm_names_that_look_like_markup(rds, cloudwatch, invoke):
    create_instance(rds)
    watch(cloudwatch, rds, "orders-db", metrics=("CPUUtilization",), actions=False)
    cloudwatch.put_metric_alarm(
        AlarmName="CPU [/] over",
        Namespace="AWS/RDS",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders-db"}],
        Statistic="Average",
        Period=60,
        EvaluationPeriods=5,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
    )

    result = invoke("doctor", "orders-db", *SKIP_PENDING)

    assert result.exit_code == 1, result.output
    assert "CPU [/] over" in plain(result.stdout)


@pytest.mark.parametrize(
    ("categories", "status"),
    [
        (["availability", "failover", "failure"], "pass"),
        (["availability", "failover", "failure", "maintenance"], "pass"),
        (["backup"], "fail"),
        (["failover", "failure"], "fail"),
    ],
)
def test_event_subscription_must_send_availability_failover_and_failure_events(
    rds, cloudwatch, invoke, categories, status
):
    create_instance(rds)
    rds.create_event_subscription(
        SubscriptionName="orders-events",
        SnsTopicArn=TOPIC,
        SourceType="db-instance",
        EventCategories=categories,
        Enabled=True,
    )

    result = invoke("--output", "json", "doctor", "orders-db", *SKIP_PENDING)

    assert result.exit_code == 1  # other checks fail: no alarms
    assert statuses(result)["event-subscription"] == status
