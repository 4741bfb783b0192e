"""What ``rds-ha probe`` connects to, how it logs in, and the real drivers.

The drivers (psycopg 3 for PostgreSQL, PyMySQL for MySQL and MariaDB) come with the ``probe``
extra and are imported only when a probe opens a connection, so the CLI starts as fast without
them.
"""

from __future__ import annotations

import importlib.util
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from rds_ha.catalog.credentials import MASTER_SECRET_TAG
from rds_ha.cli.databases import CLUSTER, INSTANCE, find_database
from rds_ha.cli.errors import UnsafeOperationError
from rds_ha.cli.ops_probe import (
    CONNECT_TIMEOUT_SECONDS,
    QUERY_TIMEOUT_SECONDS,
    Connect,
    ProbeConnection,
)

POSTGRESQL = "postgresql"
MYSQL = "mysql"
# RDS engine names, and the engine family of an RDS Proxy, to the driver that speaks them.
FAMILIES = {
    "postgres": POSTGRESQL,
    "aurora-postgresql": POSTGRESQL,
    "mysql": MYSQL,
    "mariadb": MYSQL,
    "aurora-mysql": MYSQL,
    "POSTGRESQL": POSTGRESQL,
    "MYSQL": MYSQL,
}
DRIVERS = {POSTGRESQL: "psycopg", MYSQL: "pymysql"}
# An RDS Proxy listens on its engine family's standard port, whatever the database's port.
STANDARD_PORTS = {POSTGRESQL: 5432, MYSQL: 3306}
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
APPLICATION_NAME = "rds-ha-probe"


class Auth(StrEnum):
    IAM = "iam"
    SECRET = "secret"
    NONE = "none"


class Tls(StrEnum):
    VERIFY_FULL = "verify-full"
    REQUIRE = "require"
    OFF = "off"


@dataclass(frozen=True)
class Endpoint:
    """Where to connect, found from AWS or given with --host."""

    source: str  # "instance", "cluster", "proxy" or "host"
    name: str
    engine: str
    host: str
    port: int
    user: str | None = None
    database: str | None = None
    # What the database or proxy itself offers, for the default login.
    iam_auth: bool = False
    secret_arn: str | None = None

    @property
    def family(self) -> str:
        return FAMILIES[self.engine]


@dataclass(frozen=True)
class Target:
    endpoint: Endpoint
    user: str
    database: str | None
    auth: Auth
    tls: Tls
    ca_bundle: Path | None = None
    secret_arn: str | None = None

    @property
    def family(self) -> str:
        return self.endpoint.family

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.endpoint.name,
            "kind": self.endpoint.source,
            "engine": self.endpoint.engine,
            "host": self.endpoint.host,
            "port": self.endpoint.port,
            "user": self.user,
            "database": self.database,
            "auth": self.auth.value,
            "tls": self.tls.value,
        }

    def summary(self) -> str:
        login = {Auth.IAM: "IAM token", Auth.SECRET: "secret", Auth.NONE: "no password"}
        return (
            f"{self.endpoint.engine} at {self.endpoint.host}:{self.endpoint.port} as {self.user}"
            f" ({login[self.auth]}, TLS {self.tls.value})"
        )


# --- finding the endpoint ----------------------------------------------------------------------


def _family_of(engine: str, what: str) -> str:
    if engine not in FAMILIES:
        raise UnsafeOperationError(
            f"{what} runs {engine!r}; rds-ha probe speaks PostgreSQL, MySQL and MariaDB."
        )
    return FAMILIES[engine]


def database_endpoint(rds: Any, db_id: str) -> Endpoint:
    """The endpoint of a DB instance, or the writer endpoint of a Multi-AZ DB cluster."""
    database = find_database(rds, db_id)
    raw = database.raw
    _family_of(database.engine, f"{database.kind} {database.identifier}")
    if database.kind == INSTANCE:
        address = raw.get("Endpoint", {}).get("Address")
        port = raw.get("Endpoint", {}).get("Port")
        name_key = "DBName"
    else:
        address, port, name_key = raw.get("Endpoint"), raw.get("Port"), "DatabaseName"
    if not address or not port:
        raise UnsafeOperationError(
            f"{database.kind} {database.identifier} has no endpoint yet (status "
            f"{database.status!r}); probe it once it is available."
        )
    return Endpoint(
        source=database.kind,
        name=database.identifier,
        engine=database.engine,
        host=address,
        port=int(port),
        user=raw.get("MasterUsername"),
        database=raw.get(name_key),
        # DBInstance and DBCluster both report IAMDatabaseAuthenticationEnabled; rds-ha turns it
        # on for instances and Multi-AZ DB clusters.
        iam_auth=bool(raw.get("IAMDatabaseAuthenticationEnabled")),
        secret_arn=database.master_secret_arn,
    )


def proxy_endpoint(rds: Any, name: str) -> Endpoint:
    try:
        proxy = rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "DBProxyNotFoundFault":
            raise UnsafeOperationError(
                f"--proxy {name!r}: no RDS Proxy with that name in {rds.meta.region_name}."
            ) from None
        raise
    family = _family_of(proxy.get("EngineFamily", ""), f"proxy {name}")
    auth = proxy.get("Auth") or [{}]
    return Endpoint(
        source="proxy",
        name=name,
        engine=family if family == MYSQL else "postgres",
        host=proxy["Endpoint"],
        port=STANDARD_PORTS[family],
        user=auth[0].get("UserName"),
        iam_auth=any(a.get("IAMAuth") in ("REQUIRED", "ENABLED") for a in auth),
        secret_arn=auth[0].get("SecretArn"),
    )


def host_endpoint(host: str, port: int | None, engine: str) -> Endpoint:
    family = _family_of(engine, f"--engine {engine}")
    return Endpoint(
        source="host", name=host, engine=engine, host=host, port=port or STANDARD_PORTS[family]
    )


# --- how to log in -----------------------------------------------------------------------------


def choose_target(
    endpoint: Endpoint,
    *,
    auth: Auth | None,
    secret_arn: str | None,
    user: str | None,
    database: str | None,
    ca_bundle: Path | None,
    no_tls: bool,
) -> Target:
    """Apply the defaults and refuse contradictions (exit 2) before any connection."""
    problems: list[str] = []
    if auth is None:
        # Instances, Multi-AZ DB clusters and proxies here have IAM authentication.
        iam_possible = endpoint.source == "host" or endpoint.iam_auth
        auth = Auth.IAM if iam_possible and not secret_arn else Auth.SECRET
    if auth is Auth.IAM and endpoint.source in (INSTANCE, CLUSTER) and not endpoint.iam_auth:
        problems.append(
            f"--auth iam: {endpoint.source} {endpoint.name} does not have IAM database "
            "authentication enabled; log in with the master secret (--auth secret, or "
            "--secret-arn)."
        )
    secret_arn = secret_arn or (endpoint.secret_arn if auth is Auth.SECRET else None)
    if auth is Auth.SECRET and not secret_arn:
        problems.append(
            f"{endpoint.source} {endpoint.name} has no master secret (RDS's, or one named by "
            f"its tag {MASTER_SECRET_TAG}) and IAM authentication is not available: pass "
            "--secret-arn."
        )
    if auth is not Auth.SECRET and secret_arn:
        problems.append(f"--secret-arn is for --auth secret, not --auth {auth.value}.")
    if no_tls and ca_bundle is not None:
        problems.append("--no-tls and --ca-bundle contradict each other; choose one.")
    if no_tls and auth is not Auth.NONE:
        problems.append(
            "--no-tls would send the password or IAM token in clear text; it is allowed only "
            "with --auth none (a local test server)."
        )
    if ca_bundle is not None and not ca_bundle.is_file():
        problems.append(f"--ca-bundle {ca_bundle}: no such file; download {RDS_CA_BUNDLE_URL}.")
    chosen_user = user or endpoint.user
    if not chosen_user and auth is not Auth.SECRET:
        problems.append("--user: no default user for this endpoint; name the database user.")
    if problems:
        raise UnsafeOperationError(" ".join(problems) + " Nothing was measured.")
    tls = Tls.OFF if no_tls else Tls.VERIFY_FULL if ca_bundle is not None else Tls.REQUIRE
    default_database = "postgres" if endpoint.family == POSTGRESQL else None
    return Target(
        endpoint=endpoint,
        # A secret login uses the secret's user unless --user says otherwise (read_secret).
        user=chosen_user or "",
        database=database or endpoint.database or default_database,
        auth=auth,
        tls=tls,
        ca_bundle=ca_bundle,
        secret_arn=secret_arn,
    )


def read_secret(secretsmanager: Any, secret_arn: str) -> tuple[str | None, str]:
    """(username, password) from an RDS master user secret (JSON with both keys)."""
    value = secretsmanager.get_secret_value(SecretId=secret_arn).get("SecretString") or ""
    try:
        secret = json.loads(value)
    except json.JSONDecodeError:
        secret = None
    if not isinstance(secret, dict) or not secret.get("password"):
        raise UnsafeOperationError(
            f"--secret-arn {secret_arn}: not a database secret (JSON with 'username' and "
            "'password'). Nothing was measured."
        )
    return secret.get("username"), secret["password"]


def iam_token(rds: Any, target: Target) -> Callable[[], str]:
    """A fresh token per connection: a token is valid for 15 minutes and a probe may run longer.
    botocore signs it locally; no AWS call is made."""
    endpoint = target.endpoint

    def token() -> str:
        value: str = rds.generate_db_auth_token(
            DBHostname=endpoint.host, Port=endpoint.port, DBUsername=target.user
        )
        return value

    return token


# --- the drivers -------------------------------------------------------------------------------


def driver_missing(family: str) -> str | None:
    """The message to print when the driver for ``family`` is not installed, else None."""
    module = DRIVERS[family]
    if importlib.util.find_spec(module) is not None:
        return None
    return (
        f"rds-ha probe needs the {module} driver for {family}: "
        "pip install 'cdk-rds-ha[probe]'. Nothing was measured."
    )


def tls_context(target: Target) -> ssl.SSLContext | None:
    if target.tls is Tls.OFF:
        return None
    if target.tls is Tls.VERIFY_FULL:
        return ssl.create_default_context(cafile=str(target.ca_bundle))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connection_params(target: Target, password: str | None) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` or ``pymysql.connect``."""
    endpoint = target.endpoint
    if target.family == POSTGRESQL:
        params: dict[str, Any] = {
            "host": endpoint.host,
            "port": endpoint.port,
            "user": target.user,
            "password": password,
            "dbname": target.database,
            "sslmode": "disable" if target.tls is Tls.OFF else target.tls.value,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            # A query on a connection to a vanished host fails once the kernel gives up on
            # unacknowledged data, not minutes later; statement_timeout covers a stuck server.
            "tcp_user_timeout": QUERY_TIMEOUT_SECONDS * 1000,
            "keepalives": 1,
            "keepalives_idle": 1,
            "keepalives_interval": 1,
            "keepalives_count": QUERY_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={QUERY_TIMEOUT_SECONDS * 1000}",
            "application_name": APPLICATION_NAME,
            "autocommit": True,
        }
        if target.tls is Tls.VERIFY_FULL:
            params["sslrootcert"] = str(target.ca_bundle)
        return params
    params = {
        "host": endpoint.host,
        "port": endpoint.port,
        "user": target.user,
        "password": password or "",
        "database": target.database,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "read_timeout": QUERY_TIMEOUT_SECONDS,
        "write_timeout": QUERY_TIMEOUT_SECONDS,
        "autocommit": True,
        "program_name": APPLICATION_NAME,
    }
    context = tls_context(target)
    if context is None:
        params["ssl_disabled"] = True
    else:
        # With an SSLContext, PyMySQL >= 1.2 refuses a server without TLS instead of quietly
        # falling back to a clear-text connection (and sending an IAM token in clear).
        params["ssl"] = context
    return params


class _Postgres:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def select_one(self) -> None:
        row = self._connection.execute("SELECT 1").fetchone()
        if row is None or row[0] != 1:
            raise RuntimeError(f"SELECT 1 answered {row!r}")

    def close(self) -> None:
        self._connection.close()


class _MySql:
    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def select_one(self) -> None:
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
        if row is None or row[0] != 1:
            raise RuntimeError(f"SELECT 1 answered {row!r}")

    def close(self) -> None:
        self._connection.close()


def open_postgres(params: dict[str, Any]) -> ProbeConnection:
    import psycopg  # noqa: PLC0415 - lazy: the CLI starts without the drivers

    return _Postgres(psycopg.connect(**params))


def open_mysql(params: dict[str, Any]) -> ProbeConnection:
    import pymysql  # noqa: PLC0415 - lazy: the CLI starts without the drivers

    return _MySql(pymysql.connect(**params))


OPENERS: dict[str, Callable[[dict[str, Any]], ProbeConnection]] = {
    POSTGRESQL: open_postgres,
    MYSQL: open_mysql,
}


def connector(target: Target, password: Callable[[], str | None]) -> Connect:
    """The ``connect`` callable of the probe loop: a new connection with a fresh password."""

    def connect() -> ProbeConnection:
        return OPENERS[target.family](connection_params(target, password()))

    return connect
