"""The documentation's construct examples work when pasted into a new CDK app: `cdk synth` with
the pinned CDK CLI, in an empty directory, with no AWS credentials or configuration. The blocks
are found by their `<!-- example: NAME -->` marker in README.md or any page under docs/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import all_blocks
from synth_helpers import offline_cli_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def _example(name: str) -> str:
    found = [
        block
        for block in all_blocks("python")
        if re.match(rf"<!-- example: {name}\b", block.marker)
    ]
    assert len(found) == 1, f"the docs hold {len(found)} {name} examples, not one"
    return found[0].text


def synthesize(tmp_path_factory: pytest.TempPathFactory, example: str) -> Path:
    """``cdk synth`` of the documented example in a new app directory; returns its cdk.out."""
    if not CDK.exists():
        pytest.fail(f"{CDK} is missing: run `make setup`")
    app = tmp_path_factory.mktemp("orders-app")
    home = tmp_path_factory.mktemp("home")
    (app / "app.py").write_text(_example(example))
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    env = offline_cli_env(home)  # no credentials anywhere
    synth = subprocess.run(
        [str(CDK), "synth", "--quiet"],
        cwd=app,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert synth.returncode == 0, synth.stderr
    # Nothing was looked up (a lookup would have needed credentials and written the cache).
    assert not (app / "cdk.context.json").exists() or not json.loads(
        (app / "cdk.context.json").read_text()
    )
    return app / "cdk.out"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = synthesize(tmp_path_factory, "construct-usage")
    return json.loads((out / "Orders.template.json").read_text())


@pytest.fixture(scope="module")
def backups_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = synthesize(tmp_path_factory, "backups-usage")
    return {
        name: json.loads((out / f"{name}.template.json").read_text())
        for name in ("Orders", "OrdersDr")
    }


def test_readme_construct_example_synthesizes_with_the_cdk_cli_offline(template) -> None:
    resources = template["Resources"].values()
    types = [resource["Type"] for resource in resources]
    assert types.count("AWS::RDS::DBInstance") == 1
    (instance,) = [r for r in resources if r["Type"] == "AWS::RDS::DBInstance"]
    assert instance["Properties"]["DBInstanceClass"] == "db.r7g.large"
    assert instance["Properties"]["BackupRetentionPeriod"] == 14
    ingress = [r for r in resources if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    # The app's rule, beside the master password rotation function's into the database and
    # into the Secrets Manager endpoint.
    rotation = "Master password rotation of "
    assert [
        rule["Properties"]["FromPort"]
        for rule in ingress
        if not rule["Properties"]["Description"].startswith(rotation)
    ] == [15432]
    assert sorted(
        rule["Properties"]["FromPort"]
        for rule in ingress
        if rule["Properties"]["Description"].startswith(rotation)
    ) == [443, 15432]
    assert "rds-db:connect" in json.dumps(template)


def test_readme_construct_example_places_its_subnets_in_the_named_zones(template) -> None:
    zones = sorted(
        r["Properties"]["AvailabilityZone"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::Subnet"
    )
    assert zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def _of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def test_readme_backups_example_copies_to_a_dr_vault_without_cross_region_custom_resources(
    backups_app: dict[str, dict[str, Any]],
) -> None:
    orders, dr = backups_app["Orders"], backups_app["OrdersDr"]
    (vault,) = _of_type(dr, "AWS::Backup::BackupVault")
    assert vault["Properties"]["BackupVaultName"] == "orders-dr-backups"
    plan = json.dumps(_of_type(orders, "AWS::Backup::BackupPlan"))
    assert (
        "arn:" in plan
        and ":backup:eu-central-1:123456789012:backup-vault:orders-dr-backups" in plan
    )
    everything = json.dumps(orders) + json.dumps(dr)
    assert "Custom::" not in everything.replace("Custom::VpcRestrictDefaultSG", "")
    assert "AWS::CloudFormation::CustomResource" not in everything


def test_readme_backups_example_exports_snapshots_and_alarms_on_failed_exports(
    backups_app: dict[str, dict[str, Any]],
) -> None:
    orders = backups_app["Orders"]
    (function,) = [
        f
        for f in _of_type(orders, "AWS::Lambda::Function")
        if f["Properties"].get("Handler") == "snapshot_export.handler"
    ]
    assert function["Properties"]["Environment"]["Variables"]["EXPORT_SNAPSHOTS"] == "monthly"
    (topic_id,) = [k for k, r in orders["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    (failed,) = [
        a
        for a in _of_type(orders, "AWS::CloudWatch::Alarm")
        if a["Properties"].get("AlarmName", "").endswith("-snapshot-export-failed")
    ]
    assert failed["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    assert len(_of_type(orders, "AWS::Backup::BackupSelection")) == 1
    services = [
        json.dumps(endpoint["Properties"]["ServiceName"])
        for endpoint in _of_type(orders, "AWS::EC2::VPCEndpoint")
    ]
    # The export function's RDS API endpoint and the rotation function's Secrets Manager one.
    assert sorted(service.rsplit(".", 1)[-1].strip('"') for service in services) == [
        "rds",
        "secretsmanager",
    ]


@pytest.fixture(scope="module")
def imported_app(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = synthesize(tmp_path_factory, "imported-database")
    template: dict[str, Any] = json.loads((out / "LedgerOps.template.json").read_text())
    return template


def test_readme_import_example_watches_and_backs_up_a_database_it_does_not_deploy(
    imported_app: dict[str, Any],
) -> None:
    resources = list(imported_app["Resources"].values())
    types = [resource["Type"] for resource in resources]
    assert "AWS::RDS::DBInstance" not in types
    alarms = [r["Properties"] for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    assert all(
        alarm["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "ledger"}]
        for alarm in alarms
        if "Dimensions" in alarm
    )
    (selection,) = [r for r in resources if r["Type"] == "AWS::Backup::BackupSelection"]
    assert ":db:ledger" in json.dumps(selection["Properties"]["BackupSelection"]["Resources"])
