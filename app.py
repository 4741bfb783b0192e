#!/usr/bin/env python3
"""CDK app: reads the chosen environment(s), builds config, instantiates stacks, synthesizes.

cdk synth                      # every environment in environments.toml
cdk synth -c env=prod          # one environment
cdk synth -c config=other.toml # another configuration file
cdk synth -c example_app=true  # and an example application stack per environment
With a [pipeline] table, the app is the pipeline stack (rds-ha-pipeline) and its stages.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk

from rds_ha import ConfigurationError, check_resource_limits, write_stack_policy
from stacks.aurora_stack import AuroraStack
from stacks.compliance import add_compliance_checks
from stacks.config import DEFAULT_CONFIG_PATH, load_config
from stacks.database_stack import DatabaseStack
from stacks.example_app_stack import ExampleAppStack


def main() -> None:
    # aws-cdk-lib's built-in CloudFormation validation plugin takes about 90% of this app's synth
    # (about 9 of 10 s for the six stacks); cfn-lint checks every template instead, in `make
    # test` (`make cfn-lint`) and in the pipeline's synth step. cdk-nag's packs still run.
    app = cdk.App(builtin_cloud_formation_validation=False)
    try:
        config = load_config(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH)
        environments = config.select(app.node.try_get_context("env"))
    except ConfigurationError as error:
        print(f"rds-ha configuration error in {error}", file=sys.stderr)
        sys.exit(2)
    if config.pipeline:
        # CDK Pipelines, CodeBuild and CodePipeline take about 0.05 s to import: only when used.
        from stacks.pipeline_stack import (  # noqa: PLC0415
            PipelineStack,
            pinned_cdk_cli_version,
            repository_path,
        )

        stacks: Sequence[DatabaseStack | AuroraStack] = PipelineStack(
            app,
            pipeline=config.pipeline,
            environments=environments,
            config_path=repository_path(app.node.try_get_context("config") or DEFAULT_CONFIG_PATH),
            cli_version=pinned_cdk_cli_version(),
        ).database_stacks
    else:
        rds_stacks = [DatabaseStack(app, config=environment) for environment in environments]
        if str(app.node.try_get_context("example_app")).lower() == "true":
            for stack in rds_stacks:
                ExampleAppStack(
                    app,
                    f"{stack.config.stack_name}-example-app",
                    vpc=stack.vpc,
                    database=stack.database,
                    proxy=stack.proxy,
                    db_user=stack.config.master_username,
                )
        # Aurora environments (engine = "aurora-postgresql" / "aurora-mysql"): a stack each.
        stacks = [
            *rds_stacks,
            *(
                AuroraStack(app, config=aurora)
                for aurora in config.select_aurora(app.node.try_get_context("env"))
            ),
        ]
    try:
        check_resource_limits(app)
    except ConfigurationError as error:
        print(f"rds-ha: {error}", file=sys.stderr)
        sys.exit(2)
    add_compliance_checks(app)
    app.synth()
    for environment_stack in stacks:
        if environment_stack.config.is_production:
            # Next to the template, for `rds-ha protect` or `aws cloudformation set-stack-policy`.
            for protected in environment_stack.environment_stacks:
                stage = cdk.Stage.of(protected)
                assert stage is not None, "every stack is in the app"
                write_stack_policy(Path(stage.outdir) / protected.template_file)


if __name__ == "__main__":
    main()
