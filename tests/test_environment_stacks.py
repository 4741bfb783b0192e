"""Each environment's stack from the committed environments.toml: network, database settings,
production protections and zero cdk-nag findings. The app is synthesized once per module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from synth_helpers import ComplianceSynth, compliance_app, project_context

from stacks.config import load_config, parse_config
from stacks.database_stack import DatabaseStack

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("dev", "staging", "prod")


class SynthesizedApp:
    def __init__(self) -> None:
        self.app = compliance_app()
        self.config = load_config()
        self.stacks = {
            env.name: DatabaseStack(self.app, config=env) for env in self.config.select(None)
        }
        self.synth = ComplianceSynth(self.app)
        self.templates = {name: self.synth.template(stack) for name, stack in self.stacks.items()}


@pytest.fixture(scope="module")
def synthesized() -> SynthesizedApp:
    return SynthesizedApp()


def test_every_environment_has_zero_cdk_nag_findings_in_all_four_packs(
    synthesized: SynthesizedApp,
) -> None:
    assert synthesized.synth.violations == []


def test_nothing_on_the_database_is_acknowledged_and_every_acknowledgment_has_a_reason(
    synthesized: SynthesizedApp,
) -> None:
    acknowledged = synthesized.synth.acknowledged
    places = {line.split(" at ")[1].split(":")[0] for line in acknowledged}
    on_database = {place for place in places if "/Database/" in place}
    # The database's only one: its enhanced monitoring policy names the RDSOSMetrics streams by
    # a wildcard, because RDS needs the permissions before the instance (and its resource id)
    # exists.
    assert {place.split("/", 1)[1] for place in on_database} == {"Database/MonitoringPolicy"}
    assert all(
        "RDSOSMetrics:log-stream:*" in line
        for line in acknowledged
        if "/Database/MonitoringPolicy" in line
    )
    places -= on_database
    # Each other acknowledgment sits on one backup construct that cannot comply (see
    # DatabaseBackups).
    assert {place.split("/", 1)[1] for place in places} <= {
        "Backups/BackupRole",
        "Backups/Default/ExportFunctionPolicy",
        "Backups/Default/AccessLogBucket",
        "Backups/Default/ExportBucket",
        "Backups/Default/ExportFunction",
        # Resilience: PutMetricData takes no resource; the watch runs outside the VPC.
        "RecoveryPointWatch/Policy",
        "RecoveryPointWatch/Function",
        # prod's game day: FIS's vended log delivery actions take no resource.
        "GameDay/Policy",
    }
    assert all(len(line.split(": ", 1)[1]) > 40 for line in acknowledged)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_database_runs_in_isolated_subnets_across_three_azs_without_nat(
    synthesized: SynthesizedApp, env: str
) -> None:
    template = synthesized.templates[env]
    template.resource_count_is("AWS::EC2::Subnet", 3)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    subnets = template.find_resources("AWS::EC2::Subnet")
    zones = {s["Properties"]["AvailabilityZone"] for s in subnets.values()}
    assert zones == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    assert all(not s["Properties"]["MapPublicIpOnLaunch"] for s in subnets.values())


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_vpc_flow_logs_go_to_an_encrypted_log_group(synthesized: SynthesizedApp, env: str) -> None:
    template = synthesized.templates[env]
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"}
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": f"/rds-ha/vpc-flow-logs/rds-ha-{env}", "KmsKeyId": Match.any_value()},
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_database_settings_come_from_the_environment_table(
    synthesized: SynthesizedApp, env: str
) -> None:
    config = synthesized.config.environments[env]
    synthesized.templates[env].has_resource_properties(
        "AWS::RDS::DBInstance",
        {
            "DBInstanceIdentifier": f"rds-ha-{env}",
            "DBInstanceClass": config.instance_class,
            "EngineVersion": config.engine_version,
            "MultiAZ": True,
            "BackupRetentionPeriod": config.backup_retention_days,
            "PreferredBackupWindow": config.backup_window,
            "PreferredMaintenanceWindow": config.maintenance_window,
            "DeletionProtection": True,
            "AllocatedStorage": str(config.allocated_storage_gib),
            "MaxAllocatedStorage": config.max_allocated_storage_gib,
        },
    )


def test_staging_parameters_are_merged_over_the_defaults(synthesized: SynthesizedApp) -> None:
    synthesized.templates["staging"].has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        {"Parameters": Match.object_like({"log_min_duration_statement": "500"})},
    )


def test_prod_retains_database_key_and_logs_and_has_termination_protection(
    synthesized: SynthesizedApp,
) -> None:
    template = synthesized.templates["prod"]
    assert synthesized.stacks["prod"].termination_protection is True
    # Keys have generated ids and are kept even when a failed first create rolls back; the
    # database and log groups have fixed names, so a failed first create removes them
    # (RetainExceptOnCreate) and the retry does not fail on "already exists".
    expected = {
        "AWS::KMS::Key": "Retain",
        "AWS::RDS::DBInstance": "RetainExceptOnCreate",
        "AWS::Logs::LogGroup": "RetainExceptOnCreate",
        "AWS::Backup::BackupVault": "RetainExceptOnCreate",
    }
    for resource_type, deletion_policy in expected.items():
        resources = template.find_resources(resource_type).values()
        assert resources, resource_type
        for resource in resources:
            assert resource["DeletionPolicy"] == deletion_policy, resource_type
            assert resource["UpdateReplacePolicy"] == "Retain", resource_type


def test_non_production_stacks_keep_a_final_snapshot(synthesized: SynthesizedApp) -> None:
    for env in ("dev", "staging"):
        assert synthesized.stacks[env].termination_protection is False
        (instance,) = synthesized.templates[env].find_resources("AWS::RDS::DBInstance").values()
        assert instance["DeletionPolicy"] == "Snapshot"


def test_each_environment_uses_its_own_account_and_region(synthesized: SynthesizedApp) -> None:
    accounts = {name: stack.account for name, stack in synthesized.stacks.items()}
    assert accounts == {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
    assert {stack.region for stack in synthesized.stacks.values()} == {"eu-west-1"}


# --- app.py as cdk runs it --------------------------------------------------------------------


def _run_app(tmp_path: Path, **context: str) -> subprocess.CompletedProcess[str]:
    """Run app.py the way the CDK CLI does: context and output directory in the environment."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path / "out"),
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_app_reports_a_config_error_cleanly_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[environments.prod]\naccount = "1"\n')
    result = _run_app(tmp_path, config=str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "rds-ha configuration error" in result.stderr
    assert "[prod] account='1'" in result.stderr
    assert "[prod] region: required key is missing" in result.stderr


def test_app_lists_valid_environments_for_an_unknown_name(tmp_path: Path) -> None:
    result = _run_app(tmp_path, env="qa")
    assert result.returncode == 2
    assert "env='qa': no such environment; valid: dev, prod, staging" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def staging_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """app.py run for staging alone (a node process and a synth: once for the module)."""
    directory = tmp_path_factory.mktemp("staging")
    result = _run_app(directory, env="staging")
    assert result.returncode == 0, result.stderr
    return directory / "out"


def test_app_synthesizes_one_environment_when_asked(staging_out: Path) -> None:
    templates = sorted(p.name for p in staging_out.glob("*.template.json"))
    # The environment's stack and its disaster-recovery stack in the DR region.
    assert templates == ["rds-ha-staging-dr.template.json", "rds-ha-staging.template.json"]


def test_app_writes_stack_policies_for_the_production_stacks_only(
    tmp_path: Path, staging_out: Path
) -> None:
    result = _run_app(tmp_path, env="prod")
    assert result.returncode == 0, result.stderr
    policies = sorted(p.name for p in (tmp_path / "out").glob("*.stack-policy.json"))
    assert policies == ["rds-ha-prod-dr.stack-policy.json", "rds-ha-prod.stack-policy.json"]
    policy = json.loads((tmp_path / "out" / "rds-ha-prod.stack-policy.json").read_text())
    denied = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert denied["Action"] == ["Update:Replace", "Update:Delete"]
    assert any(r.startswith("LogicalResourceId/Database") for r in denied["Resource"])
    assert list(staging_out.glob("*.stack-policy.json")) == []


def test_an_existing_vpc_is_looked_up_by_id_instead_of_created() -> None:
    data = tomllib.loads((ROOT / "environments.toml").read_text())
    staging = {**data["environments"]["staging"], "vpc_id": "vpc-0123456789abcdef0"}
    config = parse_config({"environments": {"staging": staging}})
    app = cdk.App(context=project_context())
    stack = DatabaseStack(app, config=config.environments["staging"])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::VPC", 0)
    template.resource_count_is("AWS::EC2::FlowLog", 0)
    template.resource_count_is("AWS::RDS::DBInstance", 1)
    # Without cached context the lookup is recorded as missing: `cdk synth` resolves it once
    # with credentials and caches it in cdk.context.json.
    manifest = json.loads((Path(app.synth().directory) / "manifest.json").read_text())
    assert any(entry["key"].startswith("vpc-provider:") for entry in manifest["missing"])


# Properties that give a resource a fixed name: a second resource with the same name cannot be
# created while the first exists.
FIXED_NAMES = {
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Backup::BackupVault": "BackupVaultName",
}


def test_no_fixed_name_resource_outlives_a_failed_first_create(
    synthesized: SynthesizedApp,
) -> None:
    # Retain would keep it through the rollback of a failed first create, and the retry would
    # fail with "already exists"; RetainExceptOnCreate keeps it on every update and delete.
    checked = 0
    for name, stack in synthesized.stacks.items():
        for current in stack.environment_stacks:
            template = synthesized.synth.template(current).to_json()
            for logical_id, resource in template["Resources"].items():
                name_property = FIXED_NAMES.get(resource["Type"])
                if name_property is None or name_property not in resource["Properties"]:
                    continue
                checked += 1
                assert resource.get("DeletionPolicy") != "Retain", (name, logical_id)
                if resource["Type"] != "AWS::RDS::DBInstance" or name == "prod":
                    assert resource["DeletionPolicy"] == "RetainExceptOnCreate", logical_id
    assert checked >= 20


def test_only_prod_gets_an_rds_proxy_and_every_environment_watches_its_recovery_point(
    synthesized: SynthesizedApp,
) -> None:
    proxies = {
        env: len(synthesized.templates[env].find_resources("AWS::RDS::DBProxy"))
        for env in ENVIRONMENTS
    }
    assert proxies == {"dev": 0, "staging": 0, "prod": 1}
    for env in ENVIRONMENTS:
        synthesized.templates[env].has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"AlarmName": f"rds-ha-{env}-recovery-point-age", "Threshold": 900},
        )
        # The game day is on in prod only: an experiment template costs nothing until it runs.
        synthesized.templates[env].resource_count_is(
            "AWS::FIS::ExperimentTemplate", 1 if env == "prod" else 0
        )
