"""Environments built through the real config loader and stack, synthesized as one app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from synth_helpers import ComplianceSynth, project_context

from rds_ha.catalog.engines import Deployment, Engine, newest_of_major
from stacks.config import parse_config
from stacks.database_stack import DatabaseStack

REPOSITORY = Path(__file__).resolve().parents[2]
# The newest version RDS offers of each engine's tested major line, read from the catalog.
ENGINE_VERSIONS = {
    engine: newest_of_major(Engine(engine), Deployment.MULTI_AZ_INSTANCE, major)
    for engine, major in {"postgres": "17", "mysql": "8.4", "mariadb": "11.8"}.items()
}
BASE_ENVIRONMENT: dict[str, Any] = {
    "account": "111111111111",
    "region": "eu-west-1",
    "engine": "postgres",
    "engine_version": ENGINE_VERSIONS["postgres"],
    "instance_class": "db.r7g.xlarge",
    "deployment": "multi-az-instance",
    "allocated_storage_gib": 200,
    "max_allocated_storage_gib": 1000,
    "backup_retention_days": 7,
    "backup_window": "02:00-02:30",
    "maintenance_window": "sun:03:00-sun:03:30",
    "deletion_protection": True,
    "alarm_emails": ["oncall@example.com", "dba@example.com"],
}


def environment(**changes: Any) -> dict[str, Any]:
    """An ``[environments.<name>]`` table: the base one with ``changes``."""
    engine = changes.get("engine", BASE_ENVIRONMENT["engine"])
    return {**BASE_ENVIRONMENT, "engine_version": ENGINE_VERSIONS[engine], **changes}


class SynthesizedApp:
    """Every environment as a stack of one app, synthesized once, with the four cdk-nag packs.

    A pack's error fails the synth after the templates are written, so they are read from the
    output directory and the findings from the validation report.
    """

    def __init__(self, environments: dict[str, dict[str, Any]], outdir: Path) -> None:
        config = parse_config({"environments": environments})
        # What `cdk synth` adds: cdk.json's feature flags, the committed availability zones and
        # path metadata (which also tells cfn-lint that the template comes from the CDK).
        app = cdk.App(
            outdir=str(outdir),
            context={**project_context(), "aws:cdk:enable-path-metadata": True},
        )
        self.stacks = {
            name: DatabaseStack(app, config=env) for name, env in config.environments.items()
        }
        self.outdir = outdir
        self.synth = ComplianceSynth(app)
        self._templates: dict[str, Template] = {}

    def template_path(self, name: str) -> Path:
        return self.outdir / f"{self.stacks[name].artifact_id}.template.json"

    def template(self, name: str) -> Template:
        if name not in self._templates:
            self._templates[name] = Template.from_json(
                json.loads(self.template_path(name).read_text())
            )
        return self._templates[name]

    def template_json(self, name: str) -> dict[str, Any]:
        return self.template(name).to_json()

    def compliance_violations(self) -> list[str]:
        """Every unacknowledged finding of the four packs, errors and warnings alike."""
        return self.synth.violations


def alarm_named(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    """(logical id, properties) of the metric or composite alarm called ``name``."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"].startswith("AWS::CloudWatch::") and (
            resource["Properties"].get("AlarmName") == name
        ):
            return logical_id, resource["Properties"]
    raise AssertionError(f"no alarm named {name!r}")


def alarm_names(template: dict[str, Any]) -> set[str]:
    return {
        resource["Properties"]["AlarmName"]
        for resource in template["Resources"].values()
        if resource["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
    }


def logical_id_of(template: dict[str, Any], resource_type: str) -> str:
    (logical_id,) = [
        key for key, value in template["Resources"].items() if value["Type"] == resource_type
    ]
    return logical_id
