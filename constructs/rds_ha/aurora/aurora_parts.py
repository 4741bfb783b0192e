"""The master secret's rotation and the published endpoints of ``AuroraDatabase`` (a mixin:
``self`` is the construct, which supplies the attributes read)."""

from __future__ import annotations

from typing import cast

from aws_cdk import CfnOutput, CfnResource, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from rds_ha.catalog.aurora import AuroraDeployment, AuroraEngine
from rds_ha.database import defaults
from rds_ha.database.credentials import EXCLUDE_CHARACTERS, rotation_function_name

_ROTATION = {
    AuroraEngine.AURORA_POSTGRESQL: (
        secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER
    ),
    AuroraEngine.AURORA_MYSQL: secretsmanager.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
}


class AuroraParts(Construct):
    """The instances, rotation and publication steps of ``AuroraDatabase``."""

    identifier: str
    engine: AuroraEngine
    port: int
    endpoint_address: str
    reader_endpoint_address: str
    secret: secretsmanager.ISecret | None
    secrets_manager_endpoint: ec2.IInterfaceVpcEndpoint | None
    master_password_rotation: Duration
    _vpc: ec2.IVpc
    _vpc_subnets: ec2.SubnetSelection
    _connections: ec2.Connections
    deployment: AuroraDeployment
    writer_instance_class: str | None
    instance_parameter_group: rds.ParameterGroup
    encryption_key: kms.IKey

    def _instance(
        self, number: int, zone: str | None, promotion_tier: int | None
    ) -> rds.IClusterInstance:
        """The writer (``promotion_tier`` None: tier 0) or a reader, in ``zone``."""
        name = f"Instance{number}"
        identifier = f"{self.identifier}-{number}"
        if self.deployment is AuroraDeployment.SERVERLESS_V2:
            return rds.ClusterInstance.serverless_v2(
                name,
                scale_with_writer=promotion_tier is not None,
                instance_identifier=identifier,
                availability_zone=zone,
                parameter_group=self.instance_parameter_group,
                publicly_accessible=False,
                enable_performance_insights=True,
                performance_insight_encryption_key=self.encryption_key,
                ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
                auto_minor_version_upgrade=True,
            )
        assert self.writer_instance_class is not None
        return rds.ClusterInstance.provisioned(
            name,
            instance_type=ec2.InstanceType(self.writer_instance_class.removeprefix("db.")),
            promotion_tier=promotion_tier,
            instance_identifier=identifier,
            availability_zone=zone,
            parameter_group=self.instance_parameter_group,
            publicly_accessible=False,
            enable_performance_insights=True,
            performance_insight_encryption_key=self.encryption_key,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
            auto_minor_version_upgrade=True,
        )

    def _rotate(self, secret: secretsmanager.ISecret) -> secretsmanager.SecretRotation:
        """AWS's single-user rotation function for the engine, in the cluster's subnets, let
        into its port; named by the identifier (a CDK Pipelines stage keeps the function)."""
        security_group = ec2.SecurityGroup(
            self,
            "RotationSecurityGroup",
            vpc=self._vpc,
            description=f"{self.identifier}: master password rotation function",
            allow_all_outbound=False,
        )
        rule = f"Master password rotation of {self.identifier}"
        endpoint = self.secrets_manager_endpoint
        if endpoint is None:
            security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), f"{rule} to Secrets Manager"
            )
        for group in endpoint.connections.security_groups if endpoint is not None else []:
            group.add_ingress_rule(security_group, ec2.Port.tcp(443), rule, remote_rule=True)
            security_group.add_egress_rule(group, ec2.Port.tcp(443), rule)
        self._connections.allow_default_port_from(security_group, rule)
        rotation = secretsmanager.SecretRotation(
            self,
            "RotationSingleUser",
            application=_ROTATION[self.engine],
            secret=secret,
            # The construct is an ec2.IConnectable (jsii.implements on AuroraDatabase).
            target=cast(ec2.IConnectable, self),
            automatically_after=self.master_password_rotation,
            vpc=self._vpc,
            exclude_characters=EXCLUDE_CHARACTERS,
            vpc_subnets=self._vpc_subnets,
            security_group=security_group,
        )
        if endpoint is not None:
            rotation.node.add_dependency(endpoint)
        application = rotation.node.default_child
        assert isinstance(application, CfnResource)
        application.add_property_override(
            "Parameters.functionName", rotation_function_name(self.identifier)
        )
        self.rotation_security_group = security_group
        return rotation

    def _publish(self, path: str) -> None:
        """Writer and reader endpoints, port and secret ARN under ``path`` (SSM) and as outputs."""
        values = {
            "Endpoint": ("endpoint", self.endpoint_address, "writer endpoint address"),
            "ReaderEndpoint": ("reader-endpoint", self.reader_endpoint_address, "reader endpoint"),
            "Port": ("port", str(self.port), "port"),
        }
        if self.secret is not None:
            values["SecretArn"] = ("secret-arn", self.secret.secret_arn, "master user secret ARN")
        self.parameter_path: str | None = path
        for name, (leaf, value, what) in values.items():
            ssm.StringParameter(
                self,
                f"{name}Parameter",
                parameter_name=f"{path}/{leaf}",
                string_value=value,
                description=f"{self.identifier}: {what}",
            )
            CfnOutput(self, name, value=value, description=f"{self.identifier}: {what}")


def keep_secret(secret: secretsmanager.ISecret, removal_policy: RemovalPolicy) -> None:
    """The master secret outlives the stack unless the cluster itself is destroyed with it."""
    child = secret.node.default_child
    if isinstance(child, secretsmanager.CfnSecret):
        child.apply_removal_policy(
            RemovalPolicy.DESTROY
            if removal_policy == RemovalPolicy.DESTROY
            else defaults.RETAIN_NAMED
        )
