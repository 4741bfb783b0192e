"""A fleet whose databases turn the resilience features and read replicas on each on their own
(tests/fleet/fleet_resilience.toml), synthesized once per module: each database's proxy,
replicas, recovery point watch and game day are in its own stack, with the environment's values
where it leaves a key out; a database with the features off has none of their resources."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from synth_helpers import (
    SECRET_MODE_RESOURCES,
    VALID_ENVIRONMENT,
    ComplianceSynth,
    cfn_lint,
    compliance_app,
    project_context,
)

from stacks import database_stack
from stacks.config import load_config, parse_config
from stacks.database_stack import DatabaseStack

CONFIG = Path(__file__).resolve().parent / "fleet_resilience.toml"
STACKS = ("rds-ha-ops-orders", "rds-ha-ops-plain", "rds-ha-ops-events")
MAX_RESOURCES_WITH_FEATURES = 100 + SECRET_MODE_RESOURCES
# The resources of one fleet database with the features off (tests/fleet/test_fleet_stacks.py
# and `make bench` count the same database): 43 with credentials = "rds-managed", and the
# secret mode's rotation on top.
RESOURCES_WITHOUT_FEATURES = 43 + SECRET_MODE_RESOURCES
FEATURE_TYPES = (
    "AWS::RDS::DBProxy",
    "AWS::RDS::DBProxyTargetGroup",
    "AWS::Lambda::Function",
    "AWS::FIS::ExperimentTemplate",
)


class Fleet:
    def __init__(self) -> None:
        self.app = compliance_app()
        (environment,) = load_config(CONFIG).select(None)
        self.environment = DatabaseStack(self.app, config=environment)
        self.stacks = {stack.stack_name: stack for stack in self.environment.database_stacks}
        self.synth = ComplianceSynth(self.app)
        self.templates = {
            name: self.synth.template(stack)
            for name, stack in {"rds-ha-ops": self.environment, **self.stacks}.items()
        }

    def resources(self, stack: str, resource_type: str) -> dict[str, Any]:
        return self.templates[stack].find_resources(resource_type)


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet()


def test_a_database_with_everything_on_has_its_own_proxy_pooled_by_its_settings(
    fleet: Fleet,
) -> None:
    orders = fleet.templates["rds-ha-ops-orders"]
    orders.resource_count_is("AWS::RDS::DBProxy", 1)
    orders.has_resource_properties(
        "AWS::RDS::DBProxy", {"DBProxyName": "rds-ha-ops-orders-proxy", "RequireTLS": True}
    )
    orders.has_resource_properties(
        "AWS::RDS::DBProxyTargetGroup",
        {
            "DBInstanceIdentifiers": ["rds-ha-ops-orders"],
            "ConnectionPoolConfigurationInfo": Match.object_like(
                # The environment's maximum, the database's own idle percentage.
                {"MaxConnectionsPercent": 80, "MaxIdleConnectionsPercent": 40}
            ),
        },
    )


def test_the_proxy_endpoint_is_published_under_the_database_parameter_path(
    fleet: Fleet,
) -> None:
    stack = fleet.stacks["rds-ha-ops-orders"]
    assert stack.proxy is not None
    orders = fleet.templates["rds-ha-ops-orders"]
    orders.has_resource_properties(
        "AWS::SSM::Parameter",
        {
            "Name": f"{stack.database.parameter_path}/proxy-endpoint",
            "Value": {"Fn::GetAtt": [Match.any_value(), "Endpoint"]},
        },
    )
    outputs = orders.find_outputs("*", {"Description": Match.string_like_regexp("RDS Proxy")})
    assert len(outputs) == 1


def test_a_database_with_replicas_has_them_with_replica_lag_alarms(fleet: Fleet) -> None:
    orders = fleet.templates["rds-ha-ops-orders"]
    replicas = {
        logical_id: resource
        for logical_id, resource in orders.find_resources("AWS::RDS::DBInstance").items()
        if "SourceDBInstanceIdentifier" in resource["Properties"]
    }
    assert len(replicas) == 2
    lag = orders.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "ReplicaLag"}}
    )
    watched = {
        dimension["Value"]["Ref"]
        for alarm in lag.values()
        for dimension in alarm["Properties"]["Dimensions"]
    }
    assert watched == set(replicas)


def test_the_recovery_point_watch_and_game_day_are_in_the_database_stack(fleet: Fleet) -> None:
    orders = fleet.templates["rds-ha-ops-orders"]
    (function,) = orders.find_resources("AWS::Lambda::Function").values()
    watched = json.loads(function["Properties"]["Environment"]["Variables"]["DATABASES"])
    assert watched == [{"identifier": "rds-ha-ops-orders", "kind": "instance"}]
    orders.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmName": "rds-ha-ops-orders-recovery-point-age", "Threshold": 20 * 60},
    )
    orders.resource_count_is("AWS::FIS::ExperimentTemplate", 1)
    # The environment's own watch still watches its own database alone.
    (own,) = [
        f
        for f in fleet.resources("rds-ha-ops", "AWS::Lambda::Function").values()
        if "DATABASES" in json.dumps(f["Properties"].get("Environment", {}))
    ]
    assert json.loads(own["Properties"]["Environment"]["Variables"]["DATABASES"]) == [
        {"identifier": "rds-ha-ops", "kind": "instance"}
    ]


def test_a_cluster_gets_its_own_watch_threshold_and_a_cluster_failover(fleet: Fleet) -> None:
    events = fleet.templates["rds-ha-ops-events"]
    events.resource_count_is("AWS::RDS::DBProxy", 0)
    events.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmName": "rds-ha-ops-events-recovery-point-age", "Threshold": 30 * 60},
    )
    events.has_resource_properties(
        "AWS::FIS::ExperimentTemplate",
        {"Actions": Match.object_like({}), "Targets": Match.any_value()},
    )
    assert "rds:failover-db-cluster" in json.dumps(
        events.find_resources("AWS::FIS::ExperimentTemplate")
    )


def test_a_database_with_the_features_off_costs_no_extra_resources(fleet: Fleet) -> None:
    plain = fleet.templates["rds-ha-ops-plain"].to_json()["Resources"]
    types = Counter(resource["Type"] for resource in plain.values())
    assert len(plain) == RESOURCES_WITHOUT_FEATURES
    for feature in FEATURE_TYPES:
        assert types[feature] == 0, feature
    assert fleet.stacks["rds-ha-ops-plain"].replicas is None


@pytest.mark.parametrize("stack", STACKS)
def test_every_fleet_stack_stays_far_below_the_resource_limit(fleet: Fleet, stack: str) -> None:
    assert len(fleet.templates[stack].to_json()["Resources"]) <= MAX_RESOURCES_WITH_FEATURES


def test_the_environment_stack_refers_to_no_database_stack(fleet: Fleet) -> None:
    assert "Fn::ImportValue" not in json.dumps(fleet.templates["rds-ha-ops"].to_json())


def test_the_fleet_has_zero_cdk_nag_findings(fleet: Fleet) -> None:
    assert fleet.synth.violations == []


def test_the_fleet_stacks_are_cfn_lint_clean(fleet: Fleet) -> None:
    findings: list[str] = []
    # The stacks with features on (a database with them off has no resource of its own).
    for name in ("rds-ha-ops-orders", "rds-ha-ops-events"):
        path = fleet.synth.outdir / f"{name}.template.json"
        findings += [str(m) for m in cfn_lint(path, region="eu-west-1")]
    assert findings == []


def test_more_proxies_than_the_account_quota_warn(monkeypatch: pytest.MonkeyPatch) -> None:
    # The quota is 20; two proxies against a quota of one build in a fraction of the time.
    monkeypatch.setattr(database_stack, "PROXIES_PER_ACCOUNT", 1)
    table = copy.deepcopy(VALID_ENVIRONMENT)
    table["resilience"] = {"proxy": True}
    table["databases"] = {"orders": {}}
    config = parse_config({"environments": {"dev": table}}).environments["dev"]
    stack = DatabaseStack(cdk.App(context=project_context()), config=config)
    warnings = [entry.data for entry in stack.node.metadata if entry.type == "aws:cdk:warning"]
    assert [w for w in warnings if w.startswith("2 RDS Proxies in account 123456789012")]
    assert all("[ack: rds-ha:proxy-quota]" in w for w in warnings if "RDS Proxies" in w)
