"""The optional CDK Pipelines rollout ([pipeline] in environments.toml), at synth level: one app
with the pipeline and, beside it, the stacks the app makes without it, synthesized once."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
from aws_cdk.assertions import Match
from synth_helpers import ROOT, ComplianceSynth, compliance_app

from rds_ha import ConfigurationError
from stacks.config import parse_config
from stacks.database_stack import DatabaseStack
from stacks.pipeline_stack import PipelineStack, pinned_cdk_cli_version

ENVIRONMENTS = ("dev", "staging", "prod")
PIPELINE_ACCOUNT = "444444444444"
PIPELINE_TABLE = {
    "connection_arn": f"arn:aws:codeconnections:eu-west-1:{PIPELINE_ACCOUNT}:connection/"
    "12345678-1234-1234-1234-123456789abc",
    "repository": "acme/rds-ha",
    "branch": "main",
    "account": PIPELINE_ACCOUNT,
    "region": "eu-west-1",
}


def _data(**pipeline: Any) -> dict[str, Any]:
    data = tomllib.loads((ROOT / "environments.toml").read_text())
    data["pipeline"] = {**PIPELINE_TABLE, **pipeline}
    return data


class SynthesizedPipeline:
    def __init__(self) -> None:
        self.app = compliance_app()
        config = parse_config(_data(), source="pipeline.toml")
        self.environments = {e.name: e for e in config.select(None)}
        self.stack = PipelineStack(
            self.app,
            pipeline=config.pipeline,
            environments=list(self.environments.values()),
            config_path="pipeline.toml",
            cli_version=pinned_cdk_cli_version(),
        )
        # The same environments without the pipeline, in the same app: what `cdk deploy` made.
        self.plain = {e.name: DatabaseStack(self.app, config=e) for e in config.select(None)}
        self.synth = ComplianceSynth(self.app)
        self.template = self.synth.template(self.stack)
        resources = self.template.find_resources("AWS::CodePipeline::Pipeline")
        self.stages = next(iter(resources.values()))["Properties"]["Stages"]

    def actions(self, stage: str) -> list[dict[str, Any]]:
        return next(s for s in self.stages if s["Name"] == stage)["Actions"]

    def stage_template(self, stack: Any) -> dict[str, Any]:
        path = self.synth.outdir / stack.node.scope.artifact_id / stack.template_file
        return json.loads(path.read_text())


@pytest.fixture(scope="module")
def synthesized() -> SynthesizedPipeline:
    return SynthesizedPipeline()


def test_environments_toml_without_a_pipeline_table_has_no_pipeline() -> None:
    data = tomllib.loads((ROOT / "environments.toml").read_text())
    assert parse_config(data).pipeline is None


def test_pipeline_table_values_are_validated_with_what_is_allowed() -> None:
    data = _data(
        connection_arn="arn:aws:codeconnections:eu-west-1:1234:connection/x",
        repository="acme",
        branch="a..b",
        account="4444",
        extra=1,
    )
    with pytest.raises(ConfigurationError) as error:
        parse_config(data)
    text = str(error.value)
    assert (
        "[pipeline] connection_arn='arn:aws:codeconnections:eu-west-1:1234:connection/x': "
        "must be a connection ARN" in text
    )
    assert "[pipeline] repository='acme': must be 'owner/name'" in text
    assert "[pipeline] branch='a..b': must be a git branch name" in text
    assert "[pipeline] account='4444'" in text
    assert "[pipeline] extra=1: unknown key" in text


def test_codestar_connections_arns_are_accepted_too() -> None:
    arn = PIPELINE_TABLE["connection_arn"].replace("codeconnections", "codestar-connections")
    assert parse_config(_data(connection_arn=arn)).pipeline.connection_arn == arn


def test_a_production_environment_must_come_after_the_others() -> None:
    data = _data()
    data["environments"] = {
        "prod": data["environments"]["prod"],
        "dev": data["environments"]["dev"],
    }
    with pytest.raises(ConfigurationError, match="'dev' comes after the production environment"):
        parse_config(data)


def test_the_pipeline_and_its_stages_have_zero_cdk_nag_findings(
    synthesized: SynthesizedPipeline,
) -> None:
    assert synthesized.synth.violations == []


def test_stage_stacks_carry_the_acknowledgments_of_the_app_without_a_pipeline(
    synthesized: SynthesizedPipeline,
) -> None:
    def rule_and_place(line: str) -> str:
        return line.split(": ", 1)[0]

    acknowledged = [rule_and_place(line) for line in synthesized.synth.acknowledged]
    stage_prefixes = tuple(f" at rds-ha-pipeline/{env}/" for env in ENVIRONMENTS)
    staged = {
        line.replace(prefix, " at ")
        for line in acknowledged
        for prefix in stage_prefixes
        if prefix in line
    }
    plain = {line for line in acknowledged if " at rds-ha-" in line and "pipeline" not in line}
    assert staged == plain


def test_the_pipelines_own_acknowledgments_are_on_its_buckets_policies_and_projects(
    synthesized: SynthesizedPipeline,
) -> None:
    stage_prefixes = tuple(f"rds-ha-pipeline/{env}/" for env in ENVIRONMENTS)
    own = [
        line
        for line in synthesized.synth.acknowledged
        if ("rds-ha-pipeline/" in line or "cross-region-stack" in line)
        and not any(prefix in line for prefix in stage_prefixes)
    ]
    places = {line.split(" at ")[1].split(": ")[0] for line in own}
    assert places
    # Default policies, buckets and CodeBuild projects (build steps and asset publishing).
    allowed = ("/DefaultPolicy", "Bucket", "/Assets/FileAsset", "/Guard-", "/CdkBuildProject")
    allowed += ("/SelfMutation",)
    assert all(any(part in place for part in allowed) for place in places), places
    assert all(len(line.split(": ", 1)[1]) > 40 for line in own)


def test_stages_deploy_dev_then_staging_then_prod_after_synth_and_self_mutation(
    synthesized: SynthesizedPipeline,
) -> None:
    names = [stage["Name"] for stage in synthesized.stages]
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    assert [name for name in names if name in ENVIRONMENTS] == list(ENVIRONMENTS)
    assert names.index("Assets") < names.index("dev")


def test_the_source_is_the_connection_on_the_configured_branch(
    synthesized: SynthesizedPipeline,
) -> None:
    (source,) = synthesized.actions("Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == PIPELINE_TABLE["connection_arn"]
    assert source["Configuration"]["FullRepositoryId"] == "acme/rds-ha"
    assert source["Configuration"]["BranchName"] == "main"


def test_synth_runs_the_repository_checks_and_synthesizes_the_pipeline_config(
    synthesized: SynthesizedPipeline,
) -> None:
    synthesized.template.has_resource_properties(
        "AWS::CodeBuild::Project",
        {
            "Source": {
                "BuildSpec": Match.string_like_regexp(
                    r"make setup[\s\S]*make lint unit[\s\S]*"
                    r"make synth CONFIG=pipeline\.toml[\s\S]*cfn-lint"
                )
            }
        },
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_guard_runs_first_in_each_stage_against_the_committed_baselines(
    synthesized: SynthesizedPipeline, env: str
) -> None:
    actions = synthesized.actions(env)
    guard = next(a for a in actions if a["Name"] == f"Guard-{env}")
    deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert guard["RunOrder"] < min(a["RunOrder"] for a in deploys)
    for name in (f"rds-ha-{env}", f"rds-ha-{env}-dr"):
        synthesized.template.has_resource_properties(
            "AWS::CodeBuild::Project",
            {
                "Source": {
                    "BuildSpec": Match.string_like_regexp(
                        rf"rds-ha guard baselines/{name}\.template\.json "
                        rf"cdk\.out/assembly-rds-ha-pipeline-{env}/"
                    )
                }
            },
        )


def test_a_manual_approval_comes_after_the_guard_and_before_prod_only(
    synthesized: SynthesizedPipeline,
) -> None:
    for env in ("dev", "staging"):
        assert not [
            a for a in synthesized.actions(env) if a["ActionTypeId"]["Category"] == "Approval"
        ]
    actions = synthesized.actions("prod")
    (approval,) = [a for a in actions if a["ActionTypeId"]["Category"] == "Approval"]
    guard = next(a for a in actions if a["Name"] == "Guard-prod")
    deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert guard["RunOrder"] < approval["RunOrder"] < min(a["RunOrder"] for a in deploys)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_stage_updates_the_existing_stacks_by_name_dr_first(
    synthesized: SynthesizedPipeline, env: str
) -> None:
    prepares = [a for a in synthesized.actions(env) if a["Name"].endswith(".Prepare")]
    assert [a["Configuration"]["StackName"] for a in prepares] == [
        f"rds-ha-{env}-dr",
        f"rds-ha-{env}",
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_stage_deploys_through_the_bootstrap_roles_of_its_own_account(
    synthesized: SynthesizedPipeline, env: str
) -> None:
    config = synthesized.environments[env]
    regions = {f"rds-ha-{env}": config.region, f"rds-ha-{env}-dr": config.backups.dr_region}
    for action in synthesized.actions(env):
        if action["ActionTypeId"]["Provider"] != "CloudFormation":
            continue
        stack = action["Name"].rsplit(".", 1)[0]
        suffix = f"{config.account}:role/cdk-hnb659fds-%s-role-{config.account}-{regions[stack]}"
        assert json.dumps(action["RoleArn"]).endswith(f'":iam::{suffix % "deploy"}"]]}}')
        if action["Name"].endswith(".Prepare"):
            role = json.dumps(action["Configuration"]["RoleArn"])
            assert role.endswith(f'":iam::{suffix % "cfn-exec"}"]]}}')


def test_artifacts_are_encrypted_with_a_rotated_key_that_the_target_accounts_may_use(
    synthesized: SynthesizedPipeline,
) -> None:
    template = synthesized.template
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": Match.object_like(
                                {"SSEAlgorithm": "aws:kms"}
                            )
                        }
                    )
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": Match.any_value(),
        },
    )
    key_policy = json.dumps(template.find_resources("AWS::KMS::Key"))
    for config in synthesized.environments.values():
        assert f"cdk-hnb659fds-deploy-role-{config.account}-{config.region}" in key_policy


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stage_templates_keep_the_logical_ids_and_policies_of_the_app_without_a_pipeline(
    synthesized: SynthesizedPipeline, env: str
) -> None:
    plain = synthesized.plain[env]
    for stack in plain.environment_stacks:
        staged = next(
            s
            for s in synthesized.stack.database_stacks
            for s in s.environment_stacks
            if s.stack_name == stack.stack_name
        )
        assert staged.stack_name == stack.stack_name
        old = json.loads((synthesized.synth.outdir / stack.template_file).read_text())
        new = synthesized.stage_template(staged)
        assert set(new["Resources"]) == set(old["Resources"])
        for logical_id, resource in old["Resources"].items():
            other = new["Resources"][logical_id]
            assert other["Type"] == resource["Type"]
            assert other.get("DeletionPolicy") == resource.get("DeletionPolicy")
            assert other.get("UpdateReplacePolicy") == resource.get("UpdateReplacePolicy")


def _without_cdk_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """The template without what only records how it was made: the AWS::CDK::Metadata resource,
    its condition, and each resource's Metadata (construct paths, which name the Stage)."""
    result = json.loads(json.dumps(template))
    resources = result.get("Resources", {})
    for logical_id in [i for i, r in resources.items() if r["Type"] == "AWS::CDK::Metadata"]:
        del resources[logical_id]
    for resource in resources.values():
        resource.pop("Metadata", None)
    result.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    if not result.get("Conditions"):
        result.pop("Conditions", None)
    return result


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            found += _differences(old.get(key), new.get(key), f"{path}/{key}")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in _differences(a, b, f"{path}[{i}]")
        ]
    return [] if old == new else [f"{path}: {json.dumps(old)[:120]} -> {json.dumps(new)[:120]}"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stage_templates_equal_the_standalone_templates_except_cdk_metadata(
    synthesized: SynthesizedPipeline, env: str
) -> None:
    """Moving an environment into the pipeline changes nothing CloudFormation would deploy."""
    for stack in synthesized.plain[env].environment_stacks:
        staged = next(
            s
            for s in synthesized.stack.database_stacks
            for s in s.environment_stacks
            if s.stack_name == stack.stack_name
        )
        old = json.loads((synthesized.synth.outdir / stack.template_file).read_text())
        new = synthesized.stage_template(staged)
        differences = _differences(_without_cdk_metadata(old), _without_cdk_metadata(new))
        assert differences == [], f"{stack.stack_name}:\n" + "\n".join(differences)
