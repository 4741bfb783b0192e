"""`rds-ha maintenance` (stubbed: moto does not implement pending maintenance actions) and
`rds-ha advise` (moto CloudWatch metric data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.catalog import instance_classes as ic
from rds_ha.cli import ops_advise
from rds_ha.cli.databases import INSTANCE, Database

from .conftest import REGION, create_instance, plain

ARN = "arn:aws:rds:us-east-1:123456789012:db:orders-db"
FORCED = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def _instance(status: str = "available") -> dict:
    return {
        "DBInstances": [
            {
                "DBInstanceIdentifier": "orders-db",
                "DBInstanceArn": ARN,
                "DBInstanceStatus": status,
                "MultiAZ": True,
                "Engine": "postgres",
                "PreferredMaintenanceWindow": "sun:05:00-sun:05:30",
            }
        ]
    }


def _pending(*actions: str) -> dict:
    details = [
        {"Action": a, "Description": f"{a} available", "ForcedApplyDate": FORCED} for a in actions
    ]
    return {
        "PendingMaintenanceActions": [
            {"ResourceIdentifier": ARN, "PendingMaintenanceActionDetails": details}
        ]
        if actions
        else []
    }


@pytest.fixture
def stub(use_client):
    rds = boto3.client("rds", region_name=REGION)
    stubber = Stubber(rds)
    stubber.add_response(
        "describe_db_instances", _instance(), {"DBInstanceIdentifier": "orders-db"}
    )
    use_client("rds", rds)
    return stubber


def _queue_pending(stub: Stubber, *actions: str) -> None:
    stub.add_response(
        "describe_pending_maintenance_actions", _pending(*actions), {"ResourceIdentifier": ARN}
    )


def test_maintenance_lists_pending_actions(stub, invoke):
    _queue_pending(stub, "system-update")
    with stub:
        result = invoke("--output", "json", "maintenance", "orders-db")
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    [action] = json.loads(result.stdout)["pending"]
    assert (action["action"], action["forced_apply_date"]) == (
        "system-update",
        "2026-12-01T05:00:00Z",
    )


def test_maintenance_apply_immediate_applies_each_action_and_waits(stub, invoke):
    _queue_pending(stub, "system-update")
    stub.add_response(
        "apply_pending_maintenance_action",
        {"ResourcePendingMaintenanceActions": {}},
        {"ResourceIdentifier": ARN, "ApplyAction": "system-update", "OptInType": "immediate"},
    )
    _queue_pending(stub, "system-update")
    stub.add_response("describe_db_instances", _instance("upgrading"), None)
    _queue_pending(stub)
    stub.add_response("describe_db_instances", _instance(), None)

    with stub:
        result = invoke("maintenance", "orders-db", "--apply", "immediate", "--yes")
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    assert "system-update: standby first, then a failover" in plain(result.stdout)
    assert "Applied (immediate)" in plain(result.stdout)


def test_maintenance_apply_next_window_opts_in_without_waiting(stub, invoke):
    _queue_pending(stub, "db-upgrade")
    stub.add_response(
        "apply_pending_maintenance_action",
        {"ResourcePendingMaintenanceActions": {}},
        {"ResourceIdentifier": ARN, "ApplyAction": "db-upgrade", "OptInType": "next-maintenance"},
    )
    with stub:
        result = invoke("maintenance", "orders-db", "--apply", "next-maintenance", "--yes")
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    assert "db-upgrade: an outage while the engine is upgraded, Multi-AZ or not" in plain(
        result.stdout
    )


def test_maintenance_dry_run_applies_nothing(stub, invoke):
    _queue_pending(stub, "system-update")
    with stub:
        result = invoke("maintenance", "orders-db", "--apply", "immediate", "--dry-run")
        stub.assert_no_pending_responses()  # no apply call was queued

    assert result.exit_code == 0
    assert "Dry run: nothing was changed." in result.stdout


def test_maintenance_rejects_an_unknown_apply_value(invoke):
    result = invoke("maintenance", "orders-db", "--apply", "tonight")

    assert result.exit_code == 2


def put_history(cloudwatch, db_id: str, *, cpu: float, freeable_gib: float, days: int = 3):
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    dims = [{"Name": "DBInstanceIdentifier", "Value": db_id}]
    for hour in range(days * 24):
        stamp = end - timedelta(hours=hour)
        cloudwatch.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Value": cpu,
                    "Unit": "Percent",
                },
                {
                    "MetricName": "FreeableMemory",
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Value": freeable_gib * 1024**3,
                    "Unit": "Bytes",
                },
                {
                    "MetricName": "DatabaseConnections",
                    "Dimensions": dims,
                    "Timestamp": stamp,
                    "Value": 120,
                    "Unit": "Count",
                },
            ],
        )


def test_advise_recommends_the_next_size_when_cpu_p95_is_over_the_warning(rds, cloudwatch, invoke):
    create_instance(rds)  # db.r6g.large: 2 vCPU, 16 GiB
    put_history(cloudwatch, "orders-db", cpu=90, freeable_gib=10)

    result = invoke("--output", "json", "advise", "orders-db", "--days", "4")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["metrics"]["CPUUtilization"]["p95"] == 90
    assert report["metrics"]["FreeableMemory"]["p95"] == 6  # used GiB = 16 - 10
    # The alarms' CPU warning level (80 %) is the ceiling the recommendation keeps under.
    assert report["needed"]["vcpus"] == pytest.approx(2 * 90 / 80, abs=0.01)
    assert (report["verdict"], report["recommended_class"]) == ("scale-up", "db.r6g.xlarge")


def test_advise_says_the_class_fits_a_light_workload(rds, cloudwatch, invoke):
    create_instance(rds)
    put_history(cloudwatch, "orders-db", cpu=20, freeable_gib=12)

    result = invoke("advise", "orders-db", "--days", "4")

    assert result.exit_code == 0, result.output
    assert "db.r6g.large fits the workload; no change." in plain(result.stdout)


def test_advise_without_metric_data_exits_1(rds, invoke):
    create_instance(rds)

    result = invoke("advise", "orders-db")

    assert result.exit_code == 1
    assert "no CloudWatch data for orders-db" in plain(result.stderr)


def test_percentile_uses_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert ops_advise.percentile(values, 95) == 95
    assert ops_advise.percentile([5.0], 95) == 5


def test_trend_is_the_least_squares_slope_per_day():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    series = ops_advise.Series(
        [start + timedelta(days=d) for d in range(5)], [10.0, 12.0, 14.0, 16.0, 18.0], []
    )
    assert ops_advise.slope_per_day(series) == pytest.approx(2.0)


def test_sparkline_spans_lowest_to_highest():
    assert ops_advise.sparkline([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], width=8) == "▁▂▃▄▅▆▇█"


def test_maintenance_plan_of_a_multi_az_db_cluster_is_rolling(invoke, use_client):
    rds = boto3.client("rds", region_name=REGION)
    stub = Stubber(rds)
    cluster_arn = "arn:aws:rds:us-east-1:123456789012:cluster:orders"
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "none")
    cluster = {
        "DBClusterIdentifier": "orders",
        "DBClusterArn": cluster_arn,
        "Status": "available",
        "MultiAZ": True,
        "Engine": "postgres",
    }
    stub.add_response("describe_db_clusters", {"DBClusters": [cluster]}, None)
    stub.add_response(
        "describe_pending_maintenance_actions",
        {
            "PendingMaintenanceActions": [
                {
                    "ResourceIdentifier": cluster_arn,
                    "PendingMaintenanceActionDetails": [{"Action": "system-update"}],
                }
            ]
        },
        None,
    )
    use_client("rds", rds)

    with stub:
        result = invoke("maintenance", "orders", "--apply", "immediate", "--dry-run")
        stub.assert_no_pending_responses()

    assert result.exit_code == 0, result.output
    assert (
        "system-update: rolling, the readers first, then a short failover to an updated reader"
        in plain(result.stdout)
    )


def _usage(metric: str, p95: float) -> ops_advise.Usage:
    return ops_advise.Usage(metric, "", p95, p95, 0.0, "", 100)


def test_advise_does_not_propose_shrinking_on_memory_alone():
    database = Database(INSTANCE, {"DBInstanceIdentifier": "orders-db", "Engine": "postgres"})
    # 4 GiB used of 64 GiB would fit a much smaller class, but there is no CPU figure.
    usage = {"CPUUtilization": None, "FreeableMemory": _usage("FreeableMemory", 4.0)}

    advice = ops_advise.recommend(database, ic.get("db.r6g.2xlarge"), usage)

    assert advice.verdict == "fits"
    assert any("memory alone is no reason to shrink" in note for note in advice.notes)


def test_advise_proposes_a_smaller_class_when_cpu_is_low_too():
    database = Database(INSTANCE, {"DBInstanceIdentifier": "orders-db", "Engine": "postgres"})
    usage = {
        "CPUUtilization": _usage("CPUUtilization", 10.0),
        "FreeableMemory": _usage("FreeableMemory", 4.0),
    }

    advice = ops_advise.recommend(database, ic.get("db.r6g.2xlarge"), usage)

    assert (advice.verdict, advice.recommended.name) == ("can-shrink", "db.r6g.large")
