"""Logical ids that do not depend on the Stage a stack is in.

CDK names a few resources after another construct's unique id, which it derives from the whole
construct path, Stage ids included: security group rules (``from <peer>:443``), Lambda
permissions (``AllowEventRule<rule>``). In a pipeline Stage those logical ids would change, and
CloudFormation would replace the resources: a replaced security group rule is created before
the old one is deleted, and EC2 refuses the duplicate. ``keep_logical_ids`` gives them back the
ids they have when the stack is at the top of the app.

The same unique ids, and construct paths, also end up in property values: the ``Name`` tags
CDK's Vpc puts on the VPC, its subnets (and their route tables) and flow logs are their construct
paths, and an event rule's dead-letter queue policy names the rule in a statement's Sid
(``AllowEventRule<rule>``). ``keep_logical_ids`` sets those back too, so a stage's template
equals the standalone stack's in every property.
"""

from __future__ import annotations

import hashlib
import re

from aws_cdk import CfnResource, Names, Stack, Stage, Tags
from aws_cdk import aws_ec2 as ec2
from constructs import IConstruct

# CDK's makeUniqueId (aws-cdk-lib core/lib/private/uniqueid.ts).
_HIDDEN_ID = "Default"
_HIDDEN_FROM_HUMAN_ID = "Resource"
_HASH_LEN = 8
_MAX_HUMAN_LEN = 240
_MAX_ID_LEN = 255


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def make_unique_id(components: list[str]) -> str:
    """The id CDK gives a construct path (its components below the root or the stack)."""
    components = [c for c in components if c != _HIDDEN_ID]
    if len(components) == 1:
        candidate = _alphanumeric(components[0])
        if len(candidate) <= _MAX_ID_LEN:
            return candidate
    digest = hashlib.md5("/".join(components).encode()).hexdigest()
    deduplicated: list[str] = []
    for component in components:
        if not deduplicated or not deduplicated[-1].endswith(component):
            deduplicated.append(component)
    human = "".join(_alphanumeric(c) for c in deduplicated if c != _HIDDEN_FROM_HUMAN_ID)[
        :_MAX_HUMAN_LEN
    ]
    return human + digest[:_HASH_LEN].upper()


def _components_below(construct: IConstruct, ancestor: IConstruct) -> list[str]:
    scopes = construct.node.scopes
    return [scope.node.id for scope in scopes[scopes.index(ancestor) + 1 :]]


def keep_logical_ids(stack: Stack) -> None:
    """Override the logical ids that name a construct by its Stage-dependent unique id."""
    stage = Stage.of(stack)
    if stage is None or stage.node.scope is None:
        return  # At the top of the app nothing differs.
    # Each construct's unique id in the stage, and the one it has at the top of the app (its
    # path below the stage is its path below the app there).
    renames = {
        Names.node_unique_id(construct.node): make_unique_id(_components_below(construct, stage))
        for construct in stack.node.find_all()
        if construct is not stack
    }
    keys = sorted(renames, key=len, reverse=True)
    for construct in stack.node.find_all():
        if not isinstance(construct, CfnResource):
            continue
        components = _components_below(construct, stack)
        replaced = []
        for component in components:
            renamed = component
            for key in keys:
                if key in renamed:
                    renamed = renamed.replace(key, renames[key])
            replaced.append(renamed)
        if replaced != components:
            construct.override_logical_id(make_unique_id(replaced))
    _keep_name_tags(stack, stage)
    _keep_statement_ids(stack, renames, keys)


def _keep_name_tags(stack: Stack, stage: Stage) -> None:
    """CDK tags the VPC, each subnet and each flow log ``Name = <construct path>`` (default
    priority 100; a subnet's route table inherits its subnet's). Tag them with the path they have
    at the top of the app instead; a deeper construct gets a higher priority, so each keeps its
    own path over its parent's, as CDK's own tags do."""
    for construct in stack.node.find_all():
        if isinstance(construct, ec2.Vpc | ec2.Subnet | ec2.FlowLog):
            standalone = "/".join(_components_below(construct, stage))
            Tags.of(construct).add("Name", standalone, priority=100 + len(construct.node.scopes))


def _keep_statement_ids(stack: Stack, renames: dict[str, str], keys: list[str]) -> None:
    """Statement ids (Sid) of resource policies that name a construct by its unique id."""
    for construct in stack.node.find_all():
        if not isinstance(construct, CfnResource) or not hasattr(construct, "policy_document"):
            continue
        document = stack.resolve(construct.policy_document)
        statements = document.get("Statement", []) if isinstance(document, dict) else []
        for index, statement in enumerate(statements):
            sid = statement.get("Sid") if isinstance(statement, dict) else None
            if not isinstance(sid, str):
                continue
            renamed = sid
            for key in keys:
                if key in renamed:
                    renamed = renamed.replace(key, renames[key])
            if renamed != sid:
                construct.add_property_override(f"PolicyDocument.Statement.{index}.Sid", renamed)
