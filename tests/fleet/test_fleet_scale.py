"""Ten databases in one environment: per-stack resource counts far from CloudFormation's 500 and
the resources each extra database adds; a stack over the quota fails before synth, naming it and
its count. Synthesized once per module, without the compliance packs (counts only)."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import CfnResource, Stack
from synth_helpers import SECRET_MODE_RESOURCES, VALID_ENVIRONMENT, project_context

from rds_ha import ConfigurationError, check_resource_limits, resource_counts
from stacks.config import parse_config
from stacks.database_stack import DatabaseStack

DATABASES = 10
# 43 resources with credentials = "rds-managed", plus the secret mode's rotation.
MAX_RESOURCES_PER_DATABASE = 45 + SECRET_MODE_RESOURCES
ENVIRONMENT: dict[str, Any] = {**VALID_ENVIRONMENT, "account": "555555555555"}


def fleet_config(databases: int) -> dict[str, Any]:
    table = copy.deepcopy(ENVIRONMENT)
    table["databases"] = {f"db{number:02d}": {} for number in range(1, databases + 1)}
    return {"environments": {"big": table}}


class Synthesized:
    def __init__(self) -> None:
        app = cdk.App(context=project_context(), outdir=tempfile.mkdtemp(prefix="rds-ha-synth-"))
        self.stack = DatabaseStack(
            app, config=parse_config(fleet_config(DATABASES)).environments["big"]
        )
        self.counted = resource_counts(app)
        check_resource_limits(app)
        directory = Path(app.synth().directory)
        self.counts = {
            path.name.removesuffix(".template.json"): len(json.loads(path.read_text())["Resources"])
            for path in directory.glob("*.template.json")
        }


@pytest.fixture(scope="module")
def synthesized() -> Synthesized:
    return Synthesized()


def test_ten_databases_make_twelve_stacks_each_far_from_the_quota(synthesized: Synthesized) -> None:
    counts = synthesized.counts
    assert len(counts) == DATABASES + 2  # the environment's, its DR stack, one per database
    assert max(counts.values()) < 500, counts


def test_each_extra_database_adds_at_most_55_resources(synthesized: Synthesized) -> None:
    extra = {name: count for name, count in synthesized.counts.items() if "-db" in name}
    assert len(extra) == DATABASES
    assert max(extra.values()) <= MAX_RESOURCES_PER_DATABASE, extra
    # The same settings, the same resources.
    assert len(set(extra.values())) == 1


def test_counting_before_synth_matches_the_templates(synthesized: Synthesized) -> None:
    for name, count in synthesized.counts.items():
        # resource_counts includes the metadata resource CDK may add during synth.
        assert synthesized.counted[name] - count in (0, 1), name


def _stack_with(resources: int, name: str = "rds-ha-huge") -> cdk.App:
    app = cdk.App()
    stack = Stack(app, name)
    for number in range(resources):
        CfnResource(stack, f"Handle{number}", type="AWS::CloudFormation::WaitConditionHandle")
    Stack(app, "rds-ha-small")
    return app


def test_a_stack_over_500_resources_fails_naming_the_stack_and_its_count() -> None:
    with pytest.raises(ConfigurationError, match=r"stack rds-ha-huge: 501 resources") as error:
        check_resource_limits(_stack_with(500))
    assert len(error.value.problems) == 1  # rds-ha-small is fine
    assert "at most 500 per stack" in error.value.problems[0]


def test_a_stack_at_the_quota_passes() -> None:
    check_resource_limits(_stack_with(499))


def test_resources_count_toward_their_innermost_stack_in_stages_and_nested_stacks() -> None:
    handle = "AWS::CloudFormation::WaitConditionHandle"
    app = cdk.App(outdir=tempfile.mkdtemp(prefix="rds-ha-synth-"))
    outer = Stack(cdk.Stage(app, "Stage"), "Outer", stack_name="rds-ha-outer")
    CfnResource(outer, "Before", type=handle)
    nested = cdk.NestedStack(outer, "Nested")
    CfnResource(nested, "One", type=handle)
    CfnResource(nested, "Two", type=handle)
    CfnResource(outer, "After", type=handle)
    Stack(app, "Empty", stack_name="rds-ha-empty")
    # The outer stack holds Before, After and the nested stack's AWS::CloudFormation::Stack;
    # each count includes the metadata resource, which is not counted again after synth.
    expected = {"rds-ha-outer": 4, nested.stack_name: 3, "rds-ha-empty": 1}
    assert resource_counts(app) == expected
    app.synth()
    assert resource_counts(app) == expected
