"""The Aurora environments of tests/aurora/aurora.toml as the app synthesizes them: zero cdk-nag
findings in the four packs, cfn-lint clean, the alarms derived from the classes and the ACU
range, the backups and the production stack policy. One synth for the module."""

from __future__ import annotations

import json
from typing import Any

import pytest
from synth_helpers import ROOT, ComplianceSynth, cfn_lint, compliance_app

from rds_ha import write_stack_policy
from rds_ha.aurora.aurora_thresholds import MAX_VOLUME_BYTES, default_max_connections
from rds_ha.catalog import instance_classes
from rds_ha.catalog.aurora import AuroraEngine
from stacks.aurora_stack import AuroraStack
from stacks.config import load_config

CONFIG = ROOT / "tests" / "aurora" / "aurora.toml"


class Synthesized:
    def __init__(self) -> None:
        self.app = compliance_app()
        config = load_config(CONFIG)
        self.stacks = {e.name: AuroraStack(self.app, config=e) for e in config.select_aurora(None)}
        self.synth = ComplianceSynth(self.app)
        self.templates = {name: self.synth.template(s) for name, s in self.stacks.items()}
        secondary = self.stacks["orders"].secondary
        assert secondary is not None
        self.secondary = secondary
        self.templates["orders-secondary"] = self.synth.template(secondary)

    def alarms(self, name: str) -> dict[str, dict[str, Any]]:
        found = self.templates[name].find_resources("AWS::CloudWatch::Alarm")
        return {a["Properties"]["AlarmName"]: a["Properties"] for a in found.values()}


@pytest.fixture(scope="module")
def synthesized() -> Synthesized:
    return Synthesized()


def test_zero_findings_in_the_four_packs(synthesized: Synthesized) -> None:
    assert synthesized.synth.violations == []


def test_every_template_passes_cfn_lint(synthesized: Synthesized) -> None:
    findings = []
    for stack in synthesized.stacks.values():
        for linted in stack.environment_stacks:
            path = synthesized.synth.outdir / linted.template_file
            # W3010: see test_feature_matrix (the compliance app has no aws:cdk:path metadata).
            matches = cfn_lint(path, region=linted.region, ignore_checks=["W3010"])
            findings += [f"{linted.stack_name}: {match}" for match in matches]
    assert findings == []


def test_provisioned_alarms_derive_from_the_class(synthesized: Synthesized) -> None:
    alarms = synthesized.alarms("orders")
    spec = instance_classes.get("db.r7g.large")
    connections = alarms["rds-ha-orders-aurora-connections"]
    expected = round(
        default_max_connections(AuroraEngine.AURORA_POSTGRESQL, spec.memory_bytes) * 0.8
    )
    assert connections["Threshold"] == expected
    assert alarms["rds-ha-orders-aurora-memory"]["Threshold"] == round(spec.memory_bytes * 0.1)
    assert alarms["rds-ha-orders-aurora-volume"]["Threshold"] == round(MAX_VOLUME_BYTES * 0.8)
    # Two readers: the replica lag of the most lagging instance, in milliseconds.
    lag = alarms["rds-ha-orders-aurora-replica-lag"]
    assert lag["Threshold"] == 1000
    members = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
        for m in lag["Metrics"]
        if "MetricStat" in m
    }
    assert members == {"rds-ha-orders-1", "rds-ha-orders-2", "rds-ha-orders-3"}
    assert "rds-ha-orders-aurora-acu" not in alarms
    for properties in alarms.values():
        assert properties["AlarmDescription"].split("Runbook: ")[1].startswith("https://")


def test_serverless_alarms_watch_the_acu_range(synthesized: Synthesized) -> None:
    alarms = synthesized.alarms("carts")
    assert alarms["rds-ha-carts-aurora-acu"]["Threshold"] == 90
    # 16 ACUs of about 2 GiB each.
    assert alarms["rds-ha-carts-aurora-memory"]["Threshold"] == round(16 * 2 * 1024**3 * 0.1)
    dashboard = synthesized.templates["carts"].find_resources("AWS::CloudWatch::Dashboard")
    assert "ServerlessDatabaseCapacity" in json.dumps(dashboard)


def test_composites_and_cluster_events_reach_the_topic(synthesized: Synthesized) -> None:
    template = synthesized.templates["orders"]
    composites = template.find_resources("AWS::CloudWatch::CompositeAlarm")
    names = {c["Properties"]["AlarmName"] for c in composites.values()}
    assert names == {"rds-ha-orders-scale-up", "rds-ha-orders-at-risk"}
    template.has_resource_properties(
        "AWS::RDS::EventSubscription",
        {"SourceType": "db-cluster", "SourceIds": ["rds-ha-orders"]},
    )


def test_production_is_retained_and_copied_to_the_dr_region(synthesized: Synthesized) -> None:
    template = synthesized.templates["orders"]
    (cluster,) = template.find_resources("AWS::RDS::DBCluster").values()
    assert cluster["DeletionPolicy"] == "RetainExceptOnCreate"
    plans = json.dumps(template.find_resources("AWS::Backup::BackupPlan"))
    assert "eu-central-1" in plans and "EnableContinuousBackup" in plans
    assert synthesized.stacks["orders"].termination_protection is True


def test_the_production_stack_policy_denies_replacing_the_cluster(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stacks["orders"]
    path = synthesized.synth.outdir / stack.template_file
    policy = json.loads(write_stack_policy(path).read_text())
    denied = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    logical = next(iter(synthesized.templates["orders"].find_resources("AWS::RDS::DBCluster")))
    assert any(f"LogicalResourceId/{logical}" in json.dumps(s) for s in denied)


def test_the_global_database_joins_a_secondary_in_another_region(
    synthesized: Synthesized,
) -> None:
    (global_cluster,) = (
        synthesized.templates["orders"].find_resources("AWS::RDS::GlobalCluster").values()
    )
    properties = global_cluster["Properties"]
    assert properties["GlobalClusterIdentifier"] == "rds-ha-orders-global"
    assert properties["DeletionProtection"] is True
    # Made from the existing cluster: its engine, version and encryption are the cluster's.
    assert "SourceDBClusterIdentifier" in properties and "Engine" not in properties
    assert global_cluster["DeletionPolicy"] == "RetainExceptOnCreate"
    secondary = synthesized.secondary
    assert secondary.region == "eu-central-1"
    assert synthesized.stacks["orders"] in secondary.dependencies
    template = synthesized.templates["orders-secondary"]
    (cluster,) = template.find_resources("AWS::RDS::DBCluster").values()
    cluster_properties = cluster["Properties"]
    assert cluster_properties["GlobalClusterIdentifier"] == "rds-ha-orders-global"
    # The primary's users and data: no master user, password or database name of its own.
    for absent in ("MasterUsername", "MasterUserPassword", "ReplicationSourceIdentifier"):
        assert absent not in cluster_properties
    assert "KmsKeyId" in cluster_properties  # a key of the secondary's region
    assert template.find_resources("AWS::SecretsManager::Secret") == {}
    assert len(template.find_resources("AWS::RDS::DBInstance")) == 2


def test_the_secondary_alarms_on_replication_lag_and_rpo_lag(synthesized: Synthesized) -> None:
    alarms = synthesized.templates["orders-secondary"].find_resources("AWS::CloudWatch::Alarm")
    by_metric = {
        a["Properties"].get("MetricName"): a["Properties"]
        for a in alarms.values()
        if a["Properties"].get("MetricName", "").startswith("AuroraGlobalDB")
    }
    assert set(by_metric) == {"AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag"}
    for properties in by_metric.values():
        assert properties["Dimensions"] == [
            {"Name": "DBClusterIdentifier", "Value": "rds-ha-orders-secondary"}
        ]
        assert properties["TreatMissingData"] == "breaching"
