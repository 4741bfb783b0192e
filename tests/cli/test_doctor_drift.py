"""`rds-ha doctor DB_ID --template PATH`: drift from the template, and the engine's lifecycle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from rds_ha.cli import ops_drift
from rds_ha.cli.databases import CLUSTER, INSTANCE, Database

from .conftest import REGION, create_instance, plain

NOW = datetime(2026, 12, 1, tzinfo=UTC)
# moto implements neither describe_pending_maintenance_actions nor describe_db_engine_versions'
# lifecycle data: the CLI runs against moto skip those checks; the lifecycle has Stubber tests.
SKIP = ("--skip", "pending-maintenance", "--skip", "engine-lifecycle")
SKIP += ("--skip", "engine-minor-version")


def template(**properties) -> dict:
    base = {
        "DBInstanceIdentifier": "orders-db",
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "DBInstanceClass": "db.r6g.large",
        "MultiAZ": True,
        "DeletionProtection": True,
        "BackupRetentionPeriod": 7,
        "DBParameterGroupName": {"Ref": "Parameters"},
    }
    base.update(properties)
    base = {k: v for k, v in base.items() if v is not None}
    return {
        "Resources": {
            "Parameters": {
                "Type": "AWS::RDS::DBParameterGroup",
                "Properties": {"Family": "postgres16", "Description": "db"},
            },
            "Database": {"Type": "AWS::RDS::DBInstance", "Properties": base},
        }
    }


def write(tmp_path: Path, body: dict, name: str = "rds-ha-prod.template.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def live(**raw) -> Database:
    base = {
        "DBInstanceIdentifier": "orders-db",
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "DBInstanceClass": "db.r6g.large",
        "MultiAZ": True,
        "DeletionProtection": True,
        "BackupRetentionPeriod": 7,
        "DBParameterGroups": [{"DBParameterGroupName": "rds-ha-prod-parameters-abc123"}],
    }
    base.update(raw)
    return Database(INSTANCE, base)


def drift(tmp_path: Path, db: Database, **properties) -> dict[str, ops_drift.Check]:
    found = ops_drift.find_in_template(write(tmp_path, template(**properties)), db)
    return {c.id: c for c in ops_drift.drift_checks(db, found)}


def test_no_drift_passes_everything_but_a_generated_parameter_group_name(tmp_path):
    checks = drift(tmp_path, live())

    group = checks.pop("drift-parameter-group")
    assert {c.status for c in checks.values()} == {"pass"}
    # The stack's own group has a name CloudFormation generates: not comparable, never a pass.
    assert group.status == "unknown"
    assert "Parameters" in group.detail and "rds-ha-prod-parameters-abc123" in group.detail


@pytest.mark.parametrize(
    ("pinned", "running", "status"),
    [("16", "16.4", "pass"), ("16.4", "16.4", "pass"), ("16", "17.2", "warn"),
     ("16.3", "16.4", "warn"), ("8.0", "8.0.39", "pass"), ("8.0", "8.4.3", "warn")],
)  # fmt: skip
def test_a_major_only_pin_matches_any_minor_of_that_major(tmp_path, pinned, running, status):
    checks = drift(tmp_path, live(EngineVersion=running), EngineVersion=pinned)

    assert checks["drift-engine-version"].status == status
    assert checks["drift-engine-version"].detail == f"template {pinned}, live {running}"


def test_each_difference_names_the_template_and_the_live_value(tmp_path):
    db = live(
        DBInstanceClass="db.r6g.2xlarge",
        MultiAZ=False,
        DeletionProtection=False,
        BackupRetentionPeriod=3,
        DBParameterGroups=[{"DBParameterGroupName": "default.postgres16"}],
    )

    checks = drift(tmp_path, db)

    assert {k: (c.status, c.detail) for k, c in checks.items()} == {
        "drift-engine-version": ("pass", "template 16.4, live 16.4"),
        "drift-instance-class": ("warn", "template db.r6g.large, live db.r6g.2xlarge"),
        "drift-parameter-group": (
            "warn",
            "template: the stack's own group Parameters, live default.postgres16 (a default group)",
        ),
        "drift-multi-az": ("warn", "template on, live off"),
        "drift-deletion-protection": ("fail", "template on, live off"),
        "drift-backup-retention": ("fail", "template 7 days, live 3 days"),
    }


def test_more_protection_than_the_template_is_a_warning_not_a_failure(tmp_path):
    checks = drift(
        tmp_path,
        live(BackupRetentionPeriod=14),
        DeletionProtection="false",
        BackupRetentionPeriod="7",
    )

    assert checks["drift-deletion-protection"].status == "warn"
    assert checks["drift-backup-retention"].status == "warn"
    assert checks["drift-backup-retention"].detail == "template 7 days, live 14 days"


def test_parameter_group_names_are_compared_when_the_template_writes_them(tmp_path):
    db = live()
    body = template()
    body["Resources"]["Parameters"]["Properties"]["DBParameterGroupName"] = "orders-params"
    found = ops_drift.find_in_template(write(tmp_path, body), db)
    assert ops_drift.check_parameter_group(db, found).status == "warn"

    same = live(DBParameterGroups=[{"DBParameterGroupName": "orders-params"}])
    check = ops_drift.check_parameter_group(same, found)
    assert (check.status, check.detail) == (
        "pass",
        "template orders-params (Parameters), live orders-params",
    )


def test_intrinsics_other_than_a_parameter_group_ref_are_unknown(tmp_path):
    checks = drift(
        tmp_path,
        live(),
        DBInstanceClass={"Fn::If": ["Big", "db.r6g.2xlarge", "db.r6g.large"]},
        DBParameterGroupName={"Fn::ImportValue": "shared-params"},
    )

    assert checks["drift-instance-class"].status == "unknown"
    assert "Fn::If" in checks["drift-instance-class"].detail
    assert checks["drift-parameter-group"].status == "unknown"


def test_absent_properties_take_cloudformations_defaults(tmp_path):
    checks = drift(
        tmp_path,
        live(),
        MultiAZ=None,
        DeletionProtection=None,
        BackupRetentionPeriod=None,
        EngineVersion=None,
    )

    assert checks["drift-multi-az"].detail == "template off, live on"
    assert checks["drift-deletion-protection"].status == "warn"
    assert checks["drift-backup-retention"].detail == "template 1 days, live 7 days"
    assert checks["drift-engine-version"].status == "pass"


def test_a_cdk_out_directory_is_searched_and_a_missing_database_is_bad_input(tmp_path):
    out = tmp_path / "cdk.out"
    out.mkdir()
    write(out, template(DBInstanceIdentifier="billing-db"), "rds-ha-dev.template.json")
    write(out, template(), "rds-ha-prod.template.json")

    found = ops_drift.find_in_template(out, live())
    assert (found.stack, found.logical_id) == ("rds-ha-prod", "Database")

    with pytest.raises(ops_drift.UnsafeOperationError, match="found: billing-db, orders-db"):
        ops_drift.find_in_template(out, live(DBInstanceIdentifier="other-db"))
    with pytest.raises(ops_drift.UnsafeOperationError, match="does not exist"):
        ops_drift.find_in_template(tmp_path / "nowhere", live())


def test_a_cluster_is_matched_to_a_db_cluster_resource(tmp_path):
    body = {
        "Resources": {
            "Cluster": {
                "Type": "AWS::RDS::DBCluster",
                "Properties": {
                    "DBClusterIdentifier": "orders",
                    "EngineVersion": "16",
                    "DBClusterInstanceClass": "db.r6gd.large",
                    "DBClusterParameterGroupName": "orders-cluster",
                    "DeletionProtection": True,
                    "BackupRetentionPeriod": 7,
                },
            }
        }
    }
    db = Database(
        CLUSTER,
        {
            "DBClusterIdentifier": "orders",
            "EngineVersion": "16.4",
            "DBClusterInstanceClass": "db.r6gd.large",
            "DBClusterParameterGroup": "orders-cluster",
            "MultiAZ": True,
            "DeletionProtection": True,
            "BackupRetentionPeriod": 7,
        },
    )

    found = ops_drift.find_in_template(write(tmp_path, body), db)
    checks = {c.id: c.status for c in ops_drift.drift_checks(db, found)}

    assert checks.pop("drift-multi-az") == "skipped"
    assert set(checks.values()) == {"pass"}


# --- lifecycle (Stubber: moto has no lifecycle data) ---------------------------------------------


def _versions(*targets: tuple[str, bool], status: str = "available") -> dict:
    return {
        "DBEngineVersions": [
            {
                "Engine": "postgres",
                "EngineVersion": "16.4",
                "MajorEngineVersion": "16",
                "Status": status,
                "ValidUpgradeTarget": [
                    {"Engine": "postgres", "EngineVersion": v, "IsMajorVersionUpgrade": major}
                    for v, major in targets
                ],
            }
        ]
    }


def _majors(standard_end: datetime) -> dict:
    return {
        "DBMajorEngineVersions": [
            {
                "Engine": "postgres",
                "MajorEngineVersion": "16",
                "SupportedEngineLifecycles": [
                    {
                        "LifecycleSupportName": "open-source-rds-standard-support",
                        "LifecycleSupportStartDate": datetime(2023, 11, 1, tzinfo=UTC),
                        "LifecycleSupportEndDate": standard_end,
                    },
                    {
                        "LifecycleSupportName": "open-source-rds-extended-support",
                        "LifecycleSupportStartDate": standard_end,
                        "LifecycleSupportEndDate": datetime(2031, 2, 28, tzinfo=UTC),
                    },
                ],
            }
        ]
    }


def lifecycle(db: Database, versions: dict, majors: dict | None, **kwargs):
    rds = boto3.client("rds", region_name=REGION)
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_db_engine_versions", versions, {"Engine": "postgres", "EngineVersion": "16.4"}
        )
        if majors is not None:
            stub.add_response(
                "describe_db_major_engine_versions",
                majors,
                {"Engine": "postgres", "MajorEngineVersion": "16"},
            )
        checks = ops_drift.lifecycle_checks(rds, db, NOW, **kwargs)
        stub.assert_no_pending_responses()
    return {c.id: c for c in checks}


def test_lifecycle_passes_far_from_the_end_of_standard_support_on_the_newest_minor():
    checks = lifecycle(live(), _versions(("17.2", True)), _majors(NOW + timedelta(days=400)))

    assert checks["engine-lifecycle"].status == "pass"
    assert "until 2028-01-05 (400 days)" in checks["engine-lifecycle"].detail
    assert checks["engine-minor-version"].status == "pass"


def test_lifecycle_warns_within_180_days_and_names_extended_support_exposure():
    db = live(EngineLifecycleSupport="open-source-rds-extended-support")
    versions = _versions(("16.6", False), ("16.8", False), ("16.3", False), ("17.2", True))

    checks = lifecycle(db, versions, _majors(NOW + timedelta(days=90)))

    detail = checks["engine-lifecycle"].detail
    assert checks["engine-lifecycle"].status == "warn"
    assert "ends 2027-03-01, in 90 days (Extended Support until 2031-02-28)" in detail
    assert "billed per vCPU-hour" in detail
    minor = checks["engine-minor-version"]
    assert minor.status == "warn"
    assert "2 newer minor version(s) in the same major, up to 16.8 (16.6, 16.8)" in minor.detail


def test_lifecycle_warns_after_the_end_of_standard_support():
    db = live(EngineLifecycleSupport="open-source-rds-extended-support-disabled")

    checks = lifecycle(db, _versions(), _majors(NOW - timedelta(days=10)))

    assert checks["engine-lifecycle"].status == "warn"
    assert "ended 2026-11-21, 10 days ago" in checks["engine-lifecycle"].detail
    assert "Extended Support is disabled" in checks["engine-lifecycle"].detail


def test_without_the_major_versions_api_the_status_decides_and_never_a_pass():
    available = lifecycle(live(), _versions(), None, major_api=False)
    deprecated = lifecycle(live(), _versions(status="deprecated"), None, major_api=False)

    assert available["engine-lifecycle"].status == "unknown"
    assert deprecated["engine-lifecycle"].status == "warn"


def test_the_installed_botocore_has_the_major_versions_api():
    rds = boto3.client("rds", region_name=REGION)
    assert ops_drift.has_major_engine_versions(rds)


# --- the command, against moto -------------------------------------------------------------------


def test_doctor_with_a_template_reports_drift_and_exits_1_on_a_failure(rds, invoke, tmp_path):
    create_instance(rds, BackupRetentionPeriod=3, DBInstanceClass="db.r6g.xlarge")
    path = write(tmp_path, template())

    result = invoke("--output", "json", "doctor", "orders-db", "--template", str(path), *SKIP)

    report = json.loads(result.stdout)
    checks = {c["check"]: c for c in report["checks"]}
    assert result.exit_code == 1
    assert report["template"] == {
        "path": str(path),
        "template": "rds-ha-prod.template.json",
        "stack": "rds-ha-prod",
        "logical_id": "Database",
    }
    assert checks["drift-backup-retention"]["status"] == "fail"
    assert checks["drift-instance-class"]["detail"] == "template db.r6g.large, live db.r6g.xlarge"
    assert checks["drift-parameter-group"]["status"] == "warn"  # moto gives default.postgres16
    assert checks["engine-lifecycle"]["status"] == "skipped"


def test_doctor_text_report_names_the_template(rds, cloudwatch, invoke, tmp_path):
    create_instance(rds)
    path = write(tmp_path, template())

    result = invoke("doctor", "orders-db", "--template", str(path), *SKIP)

    assert "drift-engine-version" in result.stdout
    assert "Template: Database in rds-ha-prod.template.json (stack rds-ha-prod)" in plain(
        result.stdout
    )


def test_doctor_template_errors_are_bad_input(rds, invoke, tmp_path):
    create_instance(rds)

    missing = invoke("doctor", "orders-db", "--template", str(tmp_path / "cdk.out"))
    with_all = invoke("doctor", "--all", "--template", str(tmp_path))
    drift_skip = invoke("doctor", "orders-db", "--skip", "drift-multi-az")

    assert missing.exit_code == 2 and "does not exist" in plain(missing.stderr)
    assert with_all.exit_code == 2 and "--template goes with one DB_ID" in plain(with_all.stderr)
    assert drift_skip.exit_code == 2  # drift checks only exist with --template
