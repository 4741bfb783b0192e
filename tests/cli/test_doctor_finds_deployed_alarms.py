"""Producer to consumer: `rds-ha doctor` counts exactly the alarms rds-ha's constructs deploy.

The alarms are read from a synthesized template (``deployed_alarms``) and created in moto as
CloudFormation would, rather than written for the test in the shape doctor looks for."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from rds_ha.cli import ops_doctor
from rds_ha.cli.databases import CLUSTER, Database, find_database

from .conftest import create_instance
from .deployed_alarms import (
    CLUSTER_ID,
    INSTANCE_ID,
    create_multi_az_cluster,
    metric_alarms,
    put_deployed_alarms,
    subscribe_to_events,
)
from .test_doctor import SKIP_PENDING, statuses


def alarm_check(result) -> dict[str, str]:
    return next(c for c in json.loads(result.stdout)["checks"] if c["check"] == "alarms")


def test_the_cluster_template_alarms_its_members_and_the_recovery_point_per_cluster() -> None:
    dimensions = set()
    for properties in metric_alarms(CLUSTER_ID):
        dimensions |= {d["Name"] for d in properties.get("Dimensions", [])}
        for query in properties.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            dimensions |= {d["Name"] for d in metric.get("Dimensions", [])}
    recovery_point = [p for p in metric_alarms(CLUSTER_ID) if "Dimensions" in p]

    assert dimensions == {"DBInstanceIdentifier", "DBClusterIdentifier"}
    assert [p["Dimensions"] for p in recovery_point] == [
        [{"Name": "DBClusterIdentifier", "Value": CLUSTER_ID}]
    ]
    assert recovery_point[0]["Namespace"] == "rds-ha"


def test_doctor_counts_every_alarm_the_constructs_deploy_for_a_multi_az_db_cluster(
    rds, cloudwatch, invoke
) -> None:
    members = create_multi_az_cluster(rds)
    deployed = put_deployed_alarms(cloudwatch, CLUSTER_ID, members)
    subscribe_to_events(rds, CLUSTER_ID)

    result = invoke("--output", "json", "doctor", CLUSTER_ID, *SKIP_PENDING)

    assert alarm_check(result) == {
        "check": "alarms",
        "status": "pass",
        "detail": f"{len(deployed)} alarms",
    }
    assert statuses(result)["event-subscription"] == "pass"
    database = find_database(rds, CLUSTER_ID)
    found = ops_doctor.alarms_for(cloudwatch, database)
    assert sorted(a["AlarmName"] for a in found) == sorted(deployed)
    account = ops_doctor.AccountData(rds, cloudwatch)
    assert sorted(a["AlarmName"] for a in account.alarms(database)) == sorted(deployed)


def test_looking_on_the_cluster_dimension_alone_misses_the_member_alarms(rds, cloudwatch) -> None:
    # What doctor did before it read DBClusterMembers: only the recovery point alarm, so the
    # scale-up metrics looked unwatched. The test above fails with that doctor.
    members = create_multi_az_cluster(rds)
    put_deployed_alarms(cloudwatch, CLUSTER_ID, members)
    raw = find_database(rds, CLUSTER_ID).raw
    without_members = Database(CLUSTER, {**raw, "DBClusterMembers": []})

    found = ops_doctor.alarms_for(cloudwatch, without_members)
    check = ops_doctor.check_alarms(
        without_members, ops_doctor.Clients(rds, cloudwatch), None, datetime.now(UTC)
    )

    assert [a["AlarmName"] for a in found] == [f"{CLUSTER_ID}-recovery-point-age"]
    assert check.status == "fail"
    assert "no alarm on CPUUtilization, FreeableMemory, FreeStorageSpace" in check.detail


def test_another_clusters_alarms_are_not_counted(rds, cloudwatch, invoke) -> None:
    members = create_multi_az_cluster(rds)
    put_deployed_alarms(cloudwatch, CLUSTER_ID, members)
    create_multi_az_cluster(rds, "ledger")

    result = invoke("--output", "json", "doctor", "ledger", *SKIP_PENDING)

    assert alarm_check(result)["status"] == "fail"
    assert alarm_check(result)["detail"] == "no CloudWatch alarm watches ledger or its members"


def test_doctor_counts_every_alarm_the_constructs_deploy_for_a_db_instance(
    rds, cloudwatch, invoke
) -> None:
    create_instance(rds, INSTANCE_ID)
    deployed = put_deployed_alarms(cloudwatch, INSTANCE_ID)
    subscribe_to_events(rds, INSTANCE_ID)

    result = invoke("--output", "json", "doctor", INSTANCE_ID, *SKIP_PENDING)

    assert alarm_check(result) == {
        "check": "alarms",
        "status": "pass",
        "detail": f"{len(deployed)} alarms",
    }
    assert statuses(result)["event-subscription"] == "pass"


@pytest.mark.parametrize("watching", [CLUSTER_ID, INSTANCE_ID])
def test_every_deployed_alarm_notifies_the_topic(watching) -> None:
    # doctor fails an alarm without actions; the template's all notify.
    assert all(p.get("AlarmActions") for p in metric_alarms(watching))
