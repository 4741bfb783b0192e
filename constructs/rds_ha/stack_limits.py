"""CloudFormation's resource quota per stack, checked before synth writes anything."""

from __future__ import annotations

from collections import Counter

from aws_cdk import CfnResource, Stack
from constructs import IConstruct

from rds_ha.errors import ConfigurationError

# "Resources: maximum number of resources that you can declare in your CloudFormation
# template: 500" (CloudFormation User Guide, "Understand CloudFormation quotas",
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_RESOURCES_PER_STACK = 500
# CDK adds its AWS::CDK::Metadata resource to each stack during synth: counted in advance.
_ADDED_AT_SYNTH = 1


def resource_counts(scope: IConstruct) -> dict[str, int]:
    """Resources per stack under ``scope`` (an app or a stage), by stack name, counting the
    resource CDK adds during synth."""
    counts: Counter[str] = Counter()
    stacks: dict[str, Stack] = {}
    for construct in scope.node.find_all():
        if isinstance(construct, Stack):
            stacks[construct.stack_name] = construct
        elif isinstance(construct, CfnResource) and construct.cfn_resource_type != (
            "AWS::CDK::Metadata"
        ):
            counts[Stack.of(construct).stack_name] += 1
    return {name: counts[name] + _ADDED_AT_SYNTH for name in stacks}


def check_resource_limits(scope: IConstruct, *, limit: int = MAX_RESOURCES_PER_STACK) -> None:
    """Raise one ``ConfigurationError`` naming every stack over ``limit`` resources and its
    count. Call it after building the stacks and before ``app.synth()``: CloudFormation would
    refuse such a template only at deploy time."""
    problems = [
        f"stack {name}: {count} resources; CloudFormation allows at most {limit} per stack "
        "(move databases to stacks of their own: [environments.<env>.databases.<name>])"
        for name, count in resource_counts(scope).items()
        if count > limit
    ]
    if problems:
        raise ConfigurationError("resource limit", problems)
