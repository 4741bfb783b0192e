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
    # Each property read or ``Stack.of`` is a round trip to the jsii runtime, so the tree is
    # read once, in preorder, where a stack's constructs follow it contiguously: a construct
    # belongs to the innermost stack whose span it is in. Only the generic ``CfnResource``
    # class can be the metadata resource; the L1 classes have fixed types.
    constructs = scope.node.find_all()
    counts: Counter[str] = Counter()
    open_stacks: list[tuple[str, int]] = []  # (stack name, index just past its span)
    for index, construct in enumerate(constructs):
        while open_stacks and index >= open_stacks[-1][1]:
            open_stacks.pop()
        if isinstance(construct, Stack):
            name = construct.stack_name
            open_stacks.append((name, index + len(construct.node.find_all())))
            counts[name] += 0
        elif isinstance(construct, CfnResource) and open_stacks:
            if type(construct) is CfnResource and construct.cfn_resource_type == (
                "AWS::CDK::Metadata"
            ):
                continue
            counts[open_stacks[-1][0]] += 1
    return {name: count + _ADDED_AT_SYNTH for name, count in counts.items()}


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
