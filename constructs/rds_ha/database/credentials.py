"""The master password of a ``HighlyAvailableDatabase``, in either credentials mode: the
secret of the stack's own with its rotation function (``CredentialsMode.SECRET``), or the one RDS
manages (``CredentialsMode.RDS_MANAGED``). A mixin of the construct: ``self`` is the construct.

Rotation uses aws-cdk-lib's own support, ``secretsmanager.SecretRotation`` (what
``DatabaseInstance.add_rotation_single_user`` builds): AWS's single-user rotation function for
the engine, from the Serverless Application Repository, deployed as a nested application. It was
chosen over ``secretsmanager.HostedRotation`` because it takes the Secrets Manager endpoint, the
subnets and a security group of ours, and lets the rotation function into the database's port
through ``connections``; both need CloudFormation's transforms (CAPABILITY_AUTO_EXPAND, which
``cdk deploy`` grants).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, TypedDict

import jsii
from aws_cdk import CfnResource, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from rds_ha.catalog.credentials import MASTER_SECRET_TAG, CredentialsMode
from rds_ha.catalog.engines import Engine
from rds_ha.database import defaults
from rds_ha.database.endpoints import interface_endpoint_of

if TYPE_CHECKING:
    from rds_ha.database.highly_available_database import HighlyAvailableDatabase


class ClusterCredentials(TypedDict, total=False):
    """The password properties of the ``CfnDBCluster``, in either mode."""

    manage_master_user_password: bool
    master_user_secret: rds.CfnDBCluster.MasterUserSecretProperty
    master_user_password: str


class DatabaseCredentials:
    """Credentials steps of ``HighlyAvailableDatabase`` (a mixin: ``self`` is the construct).

    Its methods annotate ``self: HighlyAvailableDatabase`` to read the construct's attributes
    with their types; mypy asks a mixin's self-type to be a supertype of the mixin (error code
    ``misc``), so each ``def`` carries ``type: ignore[misc]``.
    """

    def _create_secrets_manager_endpoint(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase,
        given: ec2.IInterfaceVpcEndpoint | None,
        create: bool,
    ) -> ec2.IInterfaceVpcEndpoint | None:
        """The VPC's Secrets Manager endpoint for the rotation function: the one given, or the
        VPC's shared one (one per service per VPC), or none."""
        if self.credentials is not CredentialsMode.SECRET:
            return None
        if given is not None or not create:
            return given
        return interface_endpoint_of(
            self,
            self._vpc,
            service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
            construct_id="SecretsManagerEndpoint",
            subnets=self._vpc_subnets,
            description=f"{self.identifier}: Secrets Manager endpoint (HTTPS from the password "
            "rotation functions)",
        )

    def _rotate_instance_secret(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, instance: rds.DatabaseInstance, removal: RemovalPolicy
    ) -> None:
        self.secret_rotation: secretsmanager.SecretRotation | None = None
        if self.credentials is not CredentialsMode.SECRET:
            return
        assert self._master_secret is not None and instance.secret is not None
        self._keep_secret(self._master_secret, removal)
        resource = instance.node.default_child
        assert isinstance(resource, rds.CfnDBInstance)
        resource.tags.set_tag(MASTER_SECRET_TAG, self._master_secret.secret_arn)
        self.secret_rotation = self._rotate(instance.secret)

    def _instance_credentials(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, username: str
    ) -> rds.Credentials:
        self._master_secret = self._create_master_secret(username)
        if self._master_secret is not None:
            # CloudFormation passes the password to RDS through a dynamic reference, and the
            # instance attaches the secret to itself, so that it carries host, port and engine
            # for the rotation function.
            # The username as text, not a reference into the secret: MasterUsername can only
            # be set at creation, and a changed value would replace the database.
            return rds.Credentials.from_secret(self._master_secret, username)
        # RDS keeps the password in a secret of its own (ManageMasterUserPassword), under the
        # database key.
        return rds.Credentials.from_username(username, encryption_key=self.encryption_key)

    def _create_master_secret(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, username: str
    ) -> rds.DatabaseSecret | None:
        """The secret of ``CredentialsMode.SECRET``, under the database key, with the id
        ``Secret`` of this construct. Made here, not by ``Credentials.from_generated_secret``,
        whose secret's logical id is the construct's whole path (stage and stack names
        included): the same database in a CDK Pipelines stage would get a new secret, and with
        it a new master password."""
        if self.credentials is not CredentialsMode.SECRET:
            return None
        return rds.DatabaseSecret(
            self,
            "Secret",
            username=username,
            encryption_key=self.encryption_key,
            exclude_characters=EXCLUDE_CHARACTERS,
        )

    def _cluster_credentials(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, username: str
    ) -> ClusterCredentials:
        if self.credentials is CredentialsMode.RDS_MANAGED:
            self._cluster_secret: rds.DatabaseSecret | None = None
            return {
                "manage_master_user_password": True,
                "master_user_secret": rds.CfnDBCluster.MasterUserSecretProperty(
                    kms_key_id=self.encryption_key.key_arn
                ),
            }
        self._cluster_secret = self._create_master_secret(username)
        assert self._cluster_secret is not None
        return {
            "master_user_password": self._cluster_secret.secret_value_from_json(
                "password"
            ).unsafe_unwrap()
        }

    def _rotate(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, secret: secretsmanager.ISecret
    ) -> secretsmanager.SecretRotation:
        """AWS's single-user rotation function for the engine, on the attached ``secret``. The
        target is this construct, whose connections carry the port as a number (the
        instance's own would be the Endpoint.Port attribute, which cdk-nag cannot read)."""
        security_group = self._rotation_security_group()
        # Before SecretRotation lets the function in itself (the same rule, so its own is not
        # added): a description of ours, the same in a CDK Pipelines stage as outside it.
        self.connections.allow_default_port_from(
            security_group, f"Master password rotation of {self.identifier}"
        )
        rotation = secretsmanager.SecretRotation(
            self,
            "RotationSingleUser",
            application=SINGLE_USER_ROTATION[self.engine],
            secret=secret,
            target=self,
            automatically_after=self.master_password_rotation,
            vpc=self._vpc,
            exclude_characters=EXCLUDE_CHARACTERS,
            vpc_subnets=self._vpc_subnets,
            security_group=security_group,
        )
        # No endpoint option: with one, aws-cdk-lib passes the function
        # https://<endpoint id>.secretsmanager.<region>.<suffix>, which is not one of the
        # endpoint's DNS names (those are vpce-<id>-<suffix>.secretsmanager.<region>.vpce.
        # amazonaws.com). The endpoint's private DNS makes Secrets Manager's own name resolve to
        # it in the VPC; the function is created once the endpoint exists.
        if self.secrets_manager_endpoint is not None:
            rotation.node.add_dependency(self.secrets_manager_endpoint)
        # The function's name from the identifier (unique in the account and region), not from
        # the construct path, which a CDK Pipelines stage changes (a new function each time).
        application = rotation.node.default_child
        assert isinstance(application, CfnResource)
        application.add_property_override(
            "Parameters.functionName", rotation_function_name(self.identifier)
        )
        return rotation

    def _keep_secret(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, secret: secretsmanager.ISecret, removal_policy: RemovalPolicy
    ) -> None:
        """The master secret outlives the stack, as the key does, unless the database itself is
        destroyed with it: a secret deleted by accident locks everyone out of the database."""
        child = secret.node.default_child
        if isinstance(child, secretsmanager.CfnSecret):
            child.apply_removal_policy(
                RemovalPolicy.DESTROY
                if removal_policy == RemovalPolicy.DESTROY
                else defaults.RETAIN_NAMED
            )

    def _rotation_security_group(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase,
    ) -> ec2.SecurityGroup:
        """The master password rotation function's security group."""
        self.rotation_security_group = rotation_security_group(
            self,
            "RotationSecurityGroup",
            self,
            group_description=f"{self.identifier}: master password rotation function",
            rule_description=f"Master password rotation of {self.identifier}",
        )
        return self.rotation_security_group

    def _attach_cluster_secret(  # type: ignore[misc]  # a self-typed mixin: see the class
        self: HighlyAvailableDatabase, cluster: rds.CfnDBCluster, removal: RemovalPolicy
    ) -> secretsmanager.ISecret:
        """The cluster's master secret: RDS's, or ours attached and rotated."""
        self.secret_rotation = None
        if self._cluster_secret is None:
            return secretsmanager.Secret.from_secret_complete_arn(
                self, "Secret", cluster.attr_master_user_secret_secret_arn
            )
        self._keep_secret(self._cluster_secret, removal)
        cluster.tags.set_tag(MASTER_SECRET_TAG, self._cluster_secret.secret_arn)
        # Attached, the secret carries the cluster's host, port and engine for the rotation
        # function (and for clients).
        attached = self._cluster_secret.attach(ClusterSecretTarget(cluster))
        self.secret_rotation = self._rotate(attached)
        return attached


def rotation_security_group(
    scope: Construct,
    construct_id: str,
    database: HighlyAvailableDatabase,
    *,
    group_description: str,
    rule_description: str,
) -> ec2.SecurityGroup:
    """A rotation function's security group: it may reach only the database (the caller lets
    it into the port) and the VPC's Secrets Manager endpoint (no NAT), or HTTPS anywhere when
    the VPC has no endpoint of ours (``create_secrets_manager_endpoint=False``: a NAT or an
    endpoint made elsewhere)."""
    security_group = ec2.SecurityGroup(
        scope,
        construct_id,
        vpc=database._vpc,
        description=group_description,
        allow_all_outbound=False,
    )
    # Both rules in this database's stack (remote_rule): the endpoint may be another stack's
    # (the environment's, shared by its fleet), which must not refer to this one.
    endpoint = database.secrets_manager_endpoint
    if endpoint is None:
        security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), f"{rule_description} to Secrets Manager"
        )
    for endpoint_group in endpoint.connections.security_groups if endpoint is not None else []:
        endpoint_group.add_ingress_rule(
            security_group, ec2.Port.tcp(443), rule_description, remote_rule=True
        )
        security_group.add_egress_rule(endpoint_group, ec2.Port.tcp(443), rule_description)
    return security_group


def rotation_function_name(identifier: str) -> str:
    """``<identifier>-rotation``; Lambda allows 64 characters, so a longer one is cut and keeps
    a hash of the whole identifier."""
    name = f"{identifier}-rotation"
    if len(name) <= _MAX_FUNCTION_NAME:
        return name
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:8]
    return f"{identifier[: _MAX_FUNCTION_NAME - 9]}-{digest}"


_MAX_FUNCTION_NAME = 64

# The Secrets Manager rotation applications (Serverless Application Repository) that
# aws-cdk-lib's add_rotation_single_user picks per engine; MariaDB uses MySQL's.
SINGLE_USER_ROTATION = {
    Engine.POSTGRES: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER,
    Engine.MYSQL: secretsmanager.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
    Engine.MARIADB: secretsmanager.SecretRotationApplication.MARIADB_ROTATION_SINGLE_USER,
}


# The characters rds.DatabaseSecret leaves out of generated passwords (and the rotation
# function must too): RDS refuses "/", '"' and "@" in a master password (ModifyDBInstance,
# MasterUserPassword), the rest breaks connection strings and shells.
EXCLUDE_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"


@jsii.implements(secretsmanager.ISecretAttachmentTarget)
class ClusterSecretTarget:
    """A Multi-AZ DB cluster (an L1 resource) as the target a secret is attached to."""

    def __init__(self, cluster: rds.CfnDBCluster) -> None:
        self._cluster = cluster

    def as_secret_attachment_target(self) -> secretsmanager.SecretAttachmentTargetProps:
        return secretsmanager.SecretAttachmentTargetProps(
            target_id=self._cluster.ref,
            target_type=secretsmanager.AttachmentTargetType.RDS_DB_CLUSTER,
        )
