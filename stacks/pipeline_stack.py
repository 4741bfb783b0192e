"""The optional rollout: a CDK Pipelines pipeline that deploys every environment in order.

Switched on by the ``[pipeline]`` table of ``environments.toml``. Each environment is a Stage
holding the same ``DatabaseStack`` (and its ``DisasterRecoveryStack``) that ``cdk deploy``
deploys without the pipeline, under the same stack names, so existing stacks are updated in place.
Before each stage the data-safety guard compares the stage's templates with the committed
``baselines/``; a production stage also waits for a manual approval.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from aws_cdk import CfnResource, Duration, Environment, RemovalPolicy, Stack, Stage, Tags, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from rds_ha import EnvironmentConfig, PipelineConfig
from stacks.database_stack import DatabaseStack
from stacks.logical_ids import keep_logical_ids
from stacks.pipeline_findings import acknowledge_pipeline_findings

ROOT = Path(__file__).resolve().parent.parent
BASELINES = "baselines"
ARTIFACT_DAYS = 90
ACCESS_LOG_DAYS = 365


def pinned_cdk_cli_version(root: Path = ROOT) -> str:
    """The CDK CLI version package.json pins (``npm ci`` installs it): self-mutation uses it too."""
    package = json.loads((root / "package.json").read_text())
    version: str = package["devDependencies"]["aws-cdk"]
    return version


def repository_path(path: str | Path) -> str:
    """The configuration file as the pipeline's synth step names it: relative to the
    repository's root when it is inside the repository, else as given."""
    resolved = Path(path).resolve()
    return resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(path)


class EnvironmentStage(Stage):
    """One environment: its DR stack and its database stack, in its own account.

    A Stage puts its id in every construct path below it. The stacks keep their names (they set
    them explicitly) and their logical ids (``keep_logical_ids``), so that the pipeline updates
    the stacks ``cdk deploy`` made, in place.
    """

    def __init__(self, scope: Construct, *, config: EnvironmentConfig) -> None:
        super().__init__(
            scope, config.name, env=Environment(account=config.account, region=config.region)
        )
        self.config = config
        self.database_stack = DatabaseStack(self, config=config)
        for stack in self.database_stack.environment_stacks:
            keep_logical_ids(stack)

    @property
    def environment_stacks(self) -> list[Stack]:
        return self.database_stack.environment_stacks


class PipelineStack(Stack):
    def __init__(
        self,
        scope: Construct,
        *,
        pipeline: PipelineConfig,
        environments: list[EnvironmentConfig],
        config_path: str,
        cli_version: str,
    ) -> None:
        super().__init__(
            scope,
            pipeline.stack_name,
            env=Environment(account=pipeline.account, region=pipeline.region),
            description=f"rds-ha: rollout of {', '.join(e.name for e in environments)} "
            f"from {pipeline.repository}@{pipeline.branch}",
            termination_protection=True,
        )
        Tags.of(self).add("rds-ha:environment", "pipeline")
        self.source = pipelines.CodePipelineSource.connection(
            pipeline.repository, pipeline.branch, connection_arn=pipeline.connection_arn
        )
        self.synth = pipelines.ShellStep(
            "Synth",
            input=self.source,
            # The repository's own entry points: the pinned CDK CLI, Node.js 24 and the checks
            # of `make test` that do not need the default environments.toml's synth.
            install_commands=["make setup"],
            commands=[
                "make lint unit",
                f"make synth CONFIG={shlex.quote(config_path)}",
                ".venv/bin/cfn-lint cdk.out/*.template.json cdk.out/assembly-*/*.template.json",
            ],
            primary_output_directory="cdk.out",
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name="rds-ha",
            synth=self.synth,
            artifact_bucket=self._artifact_bucket(),
            # Each stage deploys to its environment's account: the artifacts must be encrypted
            # with a key those accounts' bootstrap roles are allowed to use.
            cross_account_keys=True,
            enable_key_rotation=True,
            cli_version=cli_version,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    privileged=False,
                )
            ),
        )
        self.stages: list[EnvironmentStage] = []
        for config in environments:
            stage = EnvironmentStage(self, config=config)
            guard = self._guard_step(stage)
            pre: list[pipelines.Step] = [guard]
            if config.is_production:
                approval = pipelines.ManualApprovalStep(
                    f"Approve-{config.name}",
                    comment=f"Deploy {config.name} ({config.account}, {config.region}): the "
                    "guard found no unsafe change; the earlier stages are deployed.",
                )
                # Steps in `pre` run in parallel unless ordered: approve what the guard passed.
                approval.add_step_dependency(guard)
                pre.append(approval)
            self.pipeline.add_stage(stage, pre=pre)
            self.stages.append(stage)
        # Build now, so that the pipeline's resources exist for the acknowledgments below.
        self.pipeline.build_pipeline()
        acknowledge_pipeline_findings(self, self.pipeline.pipeline, self.access_log_bucket)
        # CodePipeline sets a DependsOn on its role next to a GetAtt of it: cfn-lint W3005.
        pipeline_resource = self.pipeline.pipeline.node.default_child
        assert isinstance(pipeline_resource, CfnResource)
        pipeline_resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})

    def _artifact_bucket(self) -> s3.Bucket:
        """The artifacts, encrypted with a key of this stack that the pipeline grants to each
        target account's bootstrap roles; versioned and access-logged, unlike CDK's default."""
        self.artifact_key = kms.Key(
            self,
            "ArtifactKey",
            description="rds-ha pipeline: artifacts (source, cloud assembly)",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            # S3 delivers server access logs only to buckets encrypted with S3-managed keys.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="Expire",
                    expiration=Duration.days(ACCESS_LOG_DAYS),
                    noncurrent_version_expiration=Duration.days(30),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        return s3.Bucket(
            self,
            "ArtifactBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.artifact_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix="artifact-bucket/",
            lifecycle_rules=[
                # Every run rebuilds its artifacts from the repository: keep them for a while to
                # read what a run deployed, not forever.
                s3.LifecycleRule(
                    id="Expire",
                    expiration=Duration.days(ARTIFACT_DAYS),
                    noncurrent_version_expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _guard_step(self, stage: EnvironmentStage) -> pipelines.ShellStep:
        """`rds-ha guard` on each of the stage's templates against its released baseline."""
        root = Stage.of(self)
        assert root is not None
        assembly = Path("cdk.out", os.path.relpath(stage.outdir, root.outdir)).as_posix()
        commands = []
        for stack in stage.environment_stacks:
            baseline = f"{BASELINES}/{stack.stack_name}.template.json"
            current = f"{assembly}/{stack.template_file}"
            # A stack without a released baseline is new: nothing in it can be lost yet.
            commands.append(
                f"if [ -f {baseline} ]; then .venv/bin/rds-ha guard {baseline} {current}; "
                f'else echo "{baseline}: none, {stack.stack_name} is new"; fi'
            )
        return pipelines.ShellStep(
            f"Guard-{stage.config.name}",
            # The repository (baselines/ and the guard's code) and the synthesized assembly.
            input=self.source,
            additional_inputs={"cdk.out": self.synth},
            install_commands=["python3 -m venv .venv", ".venv/bin/pip install --quiet ."],
            commands=commands,
        )

    @property
    def database_stacks(self) -> list[DatabaseStack]:
        return [stage.database_stack for stage in self.stages]
