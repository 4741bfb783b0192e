"""Defaults and rules of ``DatabaseProxy``, shared with the environments model (no aws_cdk).

Each problem is one line naming the field, the value received and what is allowed. The rules
are AWS's, from the RDS user guide ("Quotas and limitations for RDS Proxy", "Supported Regions
and DB engines for Amazon RDS Proxy") and the CloudFormation reference of
AWS::RDS::DBProxy and AWS::RDS::DBProxyTargetGroup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rds_ha.catalog.aws_rules import cite
from rds_ha.catalog.engines import PROFILES, Deployment, Engine

# RDS Proxy's own defaults (ConnectionPoolConfigurationInfoFormat, DBProxy IdleClientTimeout).
MAX_CONNECTIONS_PERCENT = 100
MAX_IDLE_CONNECTIONS_PERCENT = 50
IDLE_CLIENT_TIMEOUT_SECONDS = 1800
CONNECTION_BORROW_TIMEOUT_SECONDS = 120
# CloudFormation: IdleClientTimeout "between 1 and 28,800" seconds (8 hours);
# ConnectionBorrowTimeout "between 0 and 3600" seconds.
MAX_IDLE_CLIENT_TIMEOUT_SECONDS = 28_800
MAX_CONNECTION_BORROW_TIMEOUT_SECONDS = 3600
# "Currently, all proxies listen on port 5432 for PostgreSQL" and "on port 3306 for MySQL" and
# "for MariaDB"; the proxy still connects to the database on the database's own port.
PROXY_PORTS = {Engine.POSTGRES: 5432, Engine.MYSQL: 3306, Engine.MARIADB: 3306}
# EngineFamily of AWS::RDS::DBProxy: MariaDB is served by the MYSQL family.
ENGINE_FAMILIES = {Engine.POSTGRES: "POSTGRESQL", Engine.MYSQL: "MYSQL", Engine.MARIADB: "MYSQL"}
# "Supported Regions and DB engines for Amazon RDS Proxy": RDS for MariaDB 11.8, 11.4, 10.11,
# 10.6 and 10.5 ("All available versions"). RDS for MySQL and PostgreSQL list every major
# version RDS offers, so only MariaDB is checked against a list.
MARIADB_PROXY_MAJOR_VERSIONS = ("10.5", "10.6", "10.11", "11.4", "11.8")
# DBProxyName: 1-60 letters, digits and hyphens, a letter first, no double or trailing hyphen.
PROXY_NAME_PATTERN = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,59}(?<!-)$")


@dataclass(frozen=True)
class PoolSettings:
    """The connection pool and client settings of a proxy."""

    max_connections_percent: int = MAX_CONNECTIONS_PERCENT
    max_idle_connections_percent: int = MAX_IDLE_CONNECTIONS_PERCENT
    idle_client_timeout_seconds: int = IDLE_CLIENT_TIMEOUT_SECONDS
    connection_borrow_timeout_seconds: int = CONNECTION_BORROW_TIMEOUT_SECONDS


def default_proxy_name(identifier: str) -> str:
    return f"{identifier[:54].rstrip('-')}-proxy"


def pool_problems(settings: PoolSettings, prefix: str = "") -> list[str]:
    problems = []
    max_percent = settings.max_connections_percent
    if not _is_int(max_percent) or not 1 <= max_percent <= 100:
        problems.append(f"{prefix}max_connections_percent={max_percent!r}: must be 1-100")
    idle_percent = settings.max_idle_connections_percent
    if not _is_int(idle_percent) or not 0 <= idle_percent <= 100:
        problems.append(f"{prefix}max_idle_connections_percent={idle_percent!r}: must be 0-100")
    elif _is_int(max_percent) and idle_percent > max_percent:
        problems.append(
            f"{prefix}max_idle_connections_percent={idle_percent}: must not exceed "
            f"max_connections_percent ({max_percent})"
        )
    idle = settings.idle_client_timeout_seconds
    if not _is_int(idle) or not 1 <= idle <= MAX_IDLE_CLIENT_TIMEOUT_SECONDS:
        problems.append(
            f"{prefix}idle_client_timeout={idle!r} s: must be 1-{MAX_IDLE_CLIENT_TIMEOUT_SECONDS} "
            "seconds (8 hours)"
        )
    borrow = settings.connection_borrow_timeout_seconds
    if not _is_int(borrow) or not 0 <= borrow <= MAX_CONNECTION_BORROW_TIMEOUT_SECONDS:
        problems.append(
            f"{prefix}connection_borrow_timeout={borrow!r} s: must be "
            f"0-{MAX_CONNECTION_BORROW_TIMEOUT_SECONDS} seconds"
        )
    return problems


def target_problems(
    *,
    engine: Engine,
    engine_version: str,
    deployment: Deployment,
    parameters: Mapping[str, str],
) -> list[str]:
    """What RDS Proxy cannot front, for this database."""
    problems = []
    if deployment is Deployment.MULTI_AZ_CLUSTER:
        # RDS Proxy itself supports Multi-AZ DB clusters (RDS user guide, "RDS Proxy with
        # Multi-AZ DB clusters"); this construct builds the DB instance target group only.
        problems.append(
            "deployment='multi-az-cluster': DatabaseProxy fronts DB instances "
            "('multi-az-instance' or 'single-az'); a proxy for a Multi-AZ DB cluster is not "
            "built by rds-ha yet"
        )
    profile = PROFILES[engine]
    major = profile.major_version(engine_version)
    if engine is Engine.MARIADB and major not in MARIADB_PROXY_MAJOR_VERSIONS:
        problems.append(
            cite(
                "proxy.mariadb-versions",
                f"engine_version={engine_version!r}: RDS Proxy supports RDS for MariaDB "
                f"{', '.join(MARIADB_PROXY_MAJOR_VERSIONS)}",
            )
        )
    if engine in (Engine.MYSQL, Engine.MARIADB):
        # "You can't use RDS Proxy with an RDS for MySQL [MariaDB] DB instance that has the
        # read_only parameter in its DB parameter group set to 1."
        read_only = str(parameters.get("read_only", "")).strip().upper()
        if read_only in ("1", "ON", "TRUE"):
            problems.append(
                cite(
                    "proxy.no-read-only",
                    f"parameters.read_only={parameters['read_only']!r}: RDS Proxy cannot front a "
                    f"{profile.display_name} instance with read_only set",
                )
            )
    if engine is Engine.MARIADB:
        # "RDS Proxy doesn't support Transport Layer Security (TLS) version 1.3 for MariaDB
        # databases": a database that accepts TLS 1.3 only refuses the proxy.
        tls = str(parameters.get("tls_version", "")).replace(" ", "")
        if tls and set(tls.split(",")) == {"TLSv1.3"}:
            problems.append(
                cite(
                    "proxy.mariadb-no-tls13-only",
                    f"parameters.tls_version={parameters['tls_version']!r}: RDS Proxy does not "
                    "support TLS 1.3 for MariaDB; allow TLSv1.2 too",
                )
            )
    return problems


def name_problems(proxy_name: str) -> list[str]:
    if PROXY_NAME_PATTERN.match(proxy_name):
        return []
    return [
        f"proxy_name={proxy_name!r}: must be 1-60 letters, digits and hyphens, start with a "
        "letter, with no double or trailing hyphen"
    ]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
