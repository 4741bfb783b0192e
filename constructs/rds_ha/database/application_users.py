"""An application's own database user, its password rotated by alternating users.

Secrets Manager's "alternating users" strategy (Secrets Manager User Guide, "Lambda function
rotation strategies", rotation-strategy.html): "This strategy updates credentials for two users
in one secret. You create the first user, and during the first rotation, the rotation function
clones it to create the second user. Every time the secret rotates, the rotation function
alternates which user's password it updates. Because most users don't have permission to clone
themselves, you must provide the credentials for a superuser in another secret." While one
user's password changes, the other's still works, so an application that reads the secret
during a rotation always gets a valid login; the master user's single-user rotation cannot
promise that.

Built with aws-cdk-lib's own support: ``rds.DatabaseSecret`` with ``master_secret`` (which puts
the ``masterarn`` the function logs in with into the secret) and ``secretsmanager.SecretRotation``
with AWS's multi-user rotation application for the engine, as ``DatabaseInstance.
add_rotation_multi_user`` does, placed and networked like the master's rotation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import Engine
from rds_ha.database import defaults
from rds_ha.database.credentials import (
    EXCLUDE_CHARACTERS,
    ClusterSecretTarget,
    rotation_function_name,
    rotation_security_group,
)
from rds_ha.errors import ConfigurationError

if TYPE_CHECKING:
    from rds_ha.database.highly_available_database import HighlyAvailableDatabase

# The rotation function names the second user "<username>_clone" (AWS's multi-user functions:
# "creates a new user (appending _clone to the username)"), so the clone's name must fit the
# engine's limit: PostgreSQL identifiers 63 bytes, MySQL and MariaDB account names 32 characters.
CLONE_SUFFIX = "_clone"
_NAME_LIMITS = {Engine.POSTGRES: 63, Engine.MYSQL: 32, Engine.MARIADB: 32}
_USERNAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MIN_ROTATION_DAYS, _MAX_ROTATION_DAYS = 1, 1000  # RotationRules.AutomaticallyAfterDays

MULTI_USER_ROTATION = {
    Engine.POSTGRES: secretsmanager.SecretRotationApplication.POSTGRES_ROTATION_MULTI_USER,
    Engine.MYSQL: secretsmanager.SecretRotationApplication.MYSQL_ROTATION_MULTI_USER,
    Engine.MARIADB: secretsmanager.SecretRotationApplication.MARIADB_ROTATION_MULTI_USER,
}


def application_user_problems(
    database: HighlyAvailableDatabase, username: str, rotation: Duration
) -> list[str]:
    """Every reason ``username`` with ``rotation`` cannot be an application user of
    ``database``, each naming the field, the value and what is allowed."""
    problems = []
    if database.credentials is not CredentialsMode.SECRET:
        problems.append(
            f"credentials={database.credentials.value!r}: an application user's rotation logs "
            "in with the master secret of the stack's own; allowed with credentials='secret'"
        )
    limit = _NAME_LIMITS[database.engine] - len(CLONE_SUFFIX)
    if not _USERNAME.match(username) or len(username) > limit:
        problems.append(
            f"username={username!r}: must be 1-{limit} lowercase letters, digits or underscores, "
            f"starting with a letter (the rotation adds a user {username}{CLONE_SUFFIX}, which "
            f"must fit {database.engine.value}'s {_NAME_LIMITS[database.engine]} characters)"
        )
    elif username.endswith(CLONE_SUFFIX) or username.startswith("rds"):
        problems.append(
            f"username={username!r}: must not end with {CLONE_SUFFIX!r} (the rotation's second "
            "user) or start with 'rds' (RDS's own users, e.g. rdsadmin)"
        )
    elif username == database.master_username.lower():
        problems.append(
            f"username={username!r}: is the master user, which the master secret's own "
            "rotation rotates; choose another name"
        )
    days = rotation.to_days() if rotation.to_seconds() % 86400 == 0 else None
    if days is None or not _MIN_ROTATION_DAYS <= days <= _MAX_ROTATION_DAYS:
        problems.append(
            f"rotation={rotation.to_human_string()}: must be whole days, "
            f"{_MIN_ROTATION_DAYS}-{_MAX_ROTATION_DAYS}"
        )
    return problems


class ApplicationUser(Construct):
    """A database user for an application, with a secret of its own (``secret``: engine, host,
    port, username, password and the master secret's ARN, under the database key, attached to
    the database) rotated every ``rotation`` by AWS's alternating-users function.

    The user must exist before the first rotation ("You create the first user"): create it with
    the secret's password (e.g. ``CREATE ROLE app LOGIN PASSWORD '...'`` and its grants, as the
    master user). The first rotation is therefore left to the schedule
    (``rotate_immediately_on_update=False``), not run at deploy time; Secrets Manager then only
    tests the configuration with the function's testSecret step (RotateSecret,
    RotateImmediately: "This test creates an AWSPENDING version of the secret and then removes
    it"; rotation "is an asynchronous process"), which fails, in the function's log, until the
    user exists.

    :param database: a ``HighlyAvailableDatabase`` with ``credentials=CredentialsMode.SECRET``.
    :param username: the user's name; the rotation adds ``<username>_clone``.
    :param rotation: how often the password changes. Default: 30 days.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: HighlyAvailableDatabase,
        username: str,
        rotation: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        rotation = rotation or Duration.days(30)
        problems = application_user_problems(database, username, rotation)
        if problems:
            raise ConfigurationError(self.node.path, problems)
        self.username = username
        self.database = database
        secret = rds.DatabaseSecret(
            self,
            "Secret",
            username=username,
            master_secret=database.secret,
            encryption_key=database.encryption_key,
            exclude_characters=EXCLUDE_CHARACTERS,
        )
        # Kept like the master secret: a secret deleted by accident locks the application out.
        child = secret.node.default_child
        assert isinstance(child, secretsmanager.CfnSecret)
        child.apply_removal_policy(defaults.RETAIN_NAMED)
        target: secretsmanager.ISecretAttachmentTarget = (
            database.instance
            if database.instance is not None
            else ClusterSecretTarget(_cluster(database))
        )
        self.secret: secretsmanager.ISecret = secret.attach(target)
        description = f"Rotation of {database.identifier}'s user {username}"
        self.security_group = rotation_security_group(
            self,
            "RotationSecurityGroup",
            database,
            group_description=f"{database.identifier}: {username} password rotation function",
            rule_description=description,
        )
        database.connections.allow_default_port_from(self.security_group, description)
        self.rotation = secretsmanager.SecretRotation(
            self,
            "Rotation",
            application=MULTI_USER_ROTATION[database.engine],
            secret=self.secret,
            master_secret=database.secret,
            target=database,
            automatically_after=rotation,
            rotate_immediately_on_update=False,
            vpc=database._vpc,
            vpc_subnets=database._vpc_subnets,
            security_group=self.security_group,
            exclude_characters=EXCLUDE_CHARACTERS,
        )
        if database.secrets_manager_endpoint is not None:
            self.rotation.node.add_dependency(database.secrets_manager_endpoint)
        application = self.rotation.node.default_child
        assert isinstance(application, CfnResource)
        application.add_property_override(
            "Parameters.functionName", rotation_function_name(f"{database.identifier}-{username}")
        )

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read the user's current login (and decrypt it with the database
        key, through Secrets Manager only: the key policy's ``kms:ViaService`` condition)."""
        return self.secret.grant_read(grantee)


def _cluster(database: HighlyAvailableDatabase) -> rds.CfnDBCluster:
    assert database.cluster is not None
    return database.cluster


__all__ = ["ApplicationUser", "application_user_problems"]
