"""Access to a database, deployed or imported: its security groups and port
(``ec2.IConnectable``) and IAM database authentication (``grant_connect``). A mixin of
``HighlyAvailableDatabase`` and ``ImportedDatabase``; ``self`` is the construct."""

from __future__ import annotations

from typing import cast

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import IConstruct, Node

from rds_ha.errors import ConfigurationError


class DatabaseAccess:
    """``connections``, ``allow_connections_from`` and ``grant_connect``; the construct supplies
    ``identifier``, ``port``, ``resource_id``, ``node`` and ``_connections``."""

    identifier: str
    port: int
    node: Node
    _connections: ec2.Connections

    @property
    def resource_id(self) -> str | None:
        raise NotImplementedError

    @property
    def connections(self) -> ec2.Connections:
        """The database's security groups and port (``ec2.IConnectable``), e.g.
        ``database.connections.allow_default_port_from(app)`` or
        ``app.connections.allow_to_default_port(database)``."""
        return self._connections

    @property
    def endpoint_port(self) -> int:
        return self.port

    def allow_connections_from(
        self, other: ec2.IConnectable, description: str | None = None
    ) -> None:
        """Open the database port to ``other`` (a security group, an instance, a Lambda...)."""
        self.connections.allow_default_port_from(
            other, description or f"Connections to {self.identifier}"
        )

    def grant_connect(self, grantee: iam.IGrantable, db_user: str) -> iam.Grant:
        """Let ``grantee`` log in as ``db_user`` with IAM database authentication.

        Network access is separate: ``database.connections.allow_default_port_from(app)``.
        On a Multi-AZ DB cluster the user is the cluster's (``dbuser:cluster-<id>/<user>``,
        the DbClusterResourceId), valid on its writer and reader endpoints.
        """
        resource_id = self.resource_id
        if resource_id is None:
            raise ConfigurationError(
                self.node.path,
                [
                    "resource_id=None: rds-db:connect names the database by its resource id "
                    f"(DbiResourceId or DbClusterResourceId), and {self.identifier!r} was "
                    "imported without it; allowed: from_database_attributes(..., "
                    "resource_id='db-...')"
                ],
            )
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["rds-db:connect"],
            resource_arns=[
                Stack.of(cast(IConstruct, self)).format_arn(
                    service="rds-db",
                    resource="dbuser",
                    resource_name=f"{resource_id}/{db_user}",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
