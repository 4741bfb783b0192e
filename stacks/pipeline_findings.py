"""cdk-nag findings on what CDK Pipelines creates that its properties cannot change, each
acknowledged on the construct it is about, with the reason it cannot comply.

The rest is fixed through properties in ``pipeline_stack``: a customer-managed, rotated key for
the artifacts, a versioned, access-logged, TLS-only artifact bucket, unprivileged builds.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from rds_ha import acknowledge_rules, skip_checkov_checks

COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def _acknowledge(construct: IConstruct, rules: dict[str, str], packs: tuple[str, ...]) -> None:
    acknowledge_rules(construct, {rule: (packs, reason) for rule, reason in rules.items()})


def acknowledge_pipeline_findings(
    stack: Stack, pipeline: codepipeline.Pipeline, access_log_bucket: s3.IBucket
) -> None:
    """Call after ``build_pipeline()``: the pipeline's roles and projects exist only then."""
    for construct in stack.node.find_all():
        if isinstance(construct, iam.Policy) and construct.node.id == "DefaultPolicy":
            _acknowledge_default_policy(construct)
        elif isinstance(construct, codebuild.Project):
            _acknowledge(
                construct,
                {
                    "CodeBuildProjectSourceRepoUrl": "The project's source is CODEPIPELINE: it "
                    "reads the pipeline's artifacts, never a repository URL, so there is no "
                    "OAuth to configure; the CodeConnections connection authenticates the "
                    "pipeline's source action."
                },
                ("HIPAA.Security", "PCI.DSS.321"),
            )
    _acknowledge(
        access_log_bucket,
        {
            "S3DefaultEncryptionKMS": "S3 server access logging delivers only to buckets whose "
            "default encryption is SSE-S3; SSE-KMS would stop the access logs.",
            "S3BucketReplicationEnabled": "Access logs of this region's artifact bucket, kept "
            "here for audit and expired with a lifecycle rule.",
            "S3BucketLoggingEnabled": "This is the access-log bucket: logging it to itself "
            "would log its own log deliveries without end.",
        },
        COMPLIANCE_PACKS,
    )
    _acknowledge(
        access_log_bucket,
        {"S1": "This is the access-log bucket of the artifact bucket; it cannot log to itself."},
        ("AwsSolutions",),
    )
    skip_checkov_checks(
        access_log_bucket,
        {
            "CKV_AWS_18": "This is the access-log bucket of the artifact bucket: logging it to "
            "itself would log its own log deliveries without end."
        },
    )
    _acknowledge(
        pipeline.artifact_bucket,
        {
            "S3BucketReplicationEnabled": "Pipeline artifacts are rebuilt from the repository "
            "by every run; a copy in another region would restore nothing that matters."
        },
        COMPLIANCE_PACKS,
    )
    for region, support in pipeline.cross_region_support.items():
        _acknowledge_replication_bucket(region, support.replication_bucket)


def _acknowledge_replication_bucket(region: str, bucket: s3.IBucket) -> None:
    made_by_cdk = (
        f"CodePipeline's replication bucket for the actions in {region}, made by aws-cdk-lib in "
        "its cross-region support stack with no properties to set (encrypted with that stack's "
        "KMS key, TLS-only, no public access). "
    )
    _acknowledge(
        bucket,
        {
            "S3BucketLoggingEnabled": made_by_cdk + "It holds transient copies of the "
            "artifact bucket's objects, whose access is logged.",
            "S3BucketVersioningEnabled": made_by_cdk + "Each run writes new objects; nothing "
            "is overwritten that a version would keep.",
            "S3BucketReplicationEnabled": made_by_cdk + "It is itself the replica.",
        },
        COMPLIANCE_PACKS,
    )
    _acknowledge(
        bucket,
        {"S1": made_by_cdk + "It holds transient copies of the artifact bucket's objects."},
        ("AwsSolutions",),
    )
    skip_checkov_checks(
        bucket,
        {
            "CKV_AWS_18": made_by_cdk + "It holds transient copies of the artifact bucket's "
            "objects, whose access is logged.",
            "CKV_AWS_21": made_by_cdk + "Each run writes new objects; nothing is overwritten "
            "that a version would keep.",
        },
    )


def _acknowledge_default_policy(policy: iam.Policy) -> None:
    role = policy.node.scope.node.path if policy.node.scope else policy.node.path
    _acknowledge(
        policy,
        {
            "IAMNoInlinePolicy": f"The default policy of {role}, which CDK Pipelines creates "
            "and fills with its grants (artifacts, key, logs, assumed roles) as it builds the "
            "pipeline; it has no property for a managed policy instead."
        },
        COMPLIANCE_PACKS,
    )
    reason = (
        f"A grant CDK Pipelines gives {role}: CDK's action groups (s3:GetObject*, "
        "kms:GenerateDataKey*) on this pipeline's own artifact bucket and key and objects in "
        "them, CodeBuild log and report groups named after the project, the CDK bootstrap "
        "roles by name pattern, or actions that have no resource-level permissions."
    )
    Validations.of(policy).acknowledge(
        *(
            Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{wildcard}]", reason=reason)
            for wildcard in _wildcards(policy)
        )
    )
    unscoped = _writes_on_any_resource(policy)
    if unscoped:
        skip_checkov_checks(
            policy,
            {
                "CKV_AWS_111": f"CDK Pipelines grants {role} {', '.join(unscoped)} on any "
                "resource ('*') as it builds the pipeline, and has no property to scope the "
                "statement."
            },
        )


# Reads, by the verb their names start with (IAM's List and Read access levels, as a rule):
# checkov's CKV_AWS_111 flags the other actions (write access) on "*".
_READ_PREFIXES = ("Describe", "Get", "List", "BatchGet")


def _writes_on_any_resource(policy: iam.Policy) -> list[str]:
    """The actions other than reads that the policy allows on ``*``, sorted."""
    document = Stack.of(policy).resolve(policy.document.to_json()) or {}
    actions: set[str] = set()
    for statement in document.get("Statement", []):
        resources = statement.get("Resource", [])
        if "*" in (resources if isinstance(resources, list) else [resources]):
            action = statement.get("Action", [])
            actions.update(action if isinstance(action, list) else [action])
    return sorted(a for a in actions if not a.split(":")[-1].startswith(_READ_PREFIXES))


def _wildcards(policy: iam.Policy) -> list[str]:
    """Each wildcard of the policy as cdk-nag names it in an IAM5 finding id."""
    document = Stack.of(policy).resolve(policy.document.to_json()) or {}
    found: dict[str, None] = {}
    for statement in document.get("Statement", []):
        for key, kind in (("Action", "Action"), ("Resource", "Resource")):
            values = statement.get(key, [])
            for value in values if isinstance(values, list) else [values]:
                text = _nag_text(value)
                if "*" in text:
                    found[f"{kind}::{text}"] = None
    return list(found)


def _nag_text(value: Any) -> str:
    """A resolved value as cdk-nag prints it: ``<Id>`` for a Ref, ``<Id.Attr>`` for a GetAtt."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        joined: str = separator.join(_nag_text(part) for part in parts)
        return joined
    return json.dumps(value)
