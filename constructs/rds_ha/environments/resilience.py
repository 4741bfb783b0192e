"""The ``[environments.<name>.resilience]`` table: RDS Proxy, the recovery point watch and the
failover game day, and the construct properties it gives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from pydantic import Field, model_validator

from rds_ha.catalog.aws_rules import cite
from rds_ha.catalog.engines import Deployment, Engine
from rds_ha.environments.tables import _Strict
from rds_ha.proxy import proxy_rules


class ResilienceConfig(_Strict):
    """Connection resilience and the data-loss window."""

    proxy: bool | None = Field(
        default=None,
        description="An RDS Proxy in front of the database; none: on in production for DB "
        "instances, off elsewhere.",
    )
    proxy_max_connections_percent: int = proxy_rules.MAX_CONNECTIONS_PERCENT
    proxy_max_idle_connections_percent: int = proxy_rules.MAX_IDLE_CONNECTIONS_PERCENT
    proxy_idle_client_timeout_seconds: int = proxy_rules.IDLE_CLIENT_TIMEOUT_SECONDS
    proxy_connection_borrow_timeout_seconds: int = proxy_rules.CONNECTION_BORROW_TIMEOUT_SECONDS
    recovery_point_alarm_minutes: int = Field(
        default=15, ge=10, description="Alarm when a restore would lose more than this."
    )
    recovery_point_watch: bool | None = Field(
        default=None,
        description="The recovery point watch; none: on for the environment's own database, "
        "off for a fleet database (each watch is a function of its own).",
    )
    game_day: bool = Field(
        default=False, description="An AWS FIS experiment template that forces a failover."
    )

    @model_validator(mode="after")
    def _pool_is_valid(self) -> ResilienceConfig:
        problems = proxy_rules.pool_problems(self._pool, prefix="proxy_")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def _pool(self) -> proxy_rules.PoolSettings:
        return proxy_rules.PoolSettings(
            max_connections_percent=self.proxy_max_connections_percent,
            max_idle_connections_percent=self.proxy_max_idle_connections_percent,
            idle_client_timeout_seconds=self.proxy_idle_client_timeout_seconds,
            connection_borrow_timeout_seconds=self.proxy_connection_borrow_timeout_seconds,
        )

    def wants_proxy(self, *, production: bool, deployment: Deployment) -> bool:
        """The ``proxy`` key, or by default: production DB instances get one. A Multi-AZ DB
        cluster gets none unless asked (and ``DatabaseProxy`` then explains why it refuses)."""
        if self.proxy is not None:
            return self.proxy
        return production and deployment is not Deployment.MULTI_AZ_CLUSTER

    def watches_recovery_point(self, *, fleet: bool) -> bool:
        """The ``recovery_point_watch`` key, or by default: the environment's own database is
        watched, a fleet database only when asked (so that a fleet database with the features
        off costs no more resources than before)."""
        if self.recovery_point_watch is not None:
            return self.recovery_point_watch
        return not fleet

    def problems(
        self,
        *,
        production: bool,
        engine: Engine,
        engine_version: str,
        deployment: Deployment,
        parameters: Mapping[str, str],
    ) -> list[str]:
        """What the constructs would refuse at synth, reported with the configuration's
        other problems: a proxy the database cannot have, a game day without a standby."""
        problems = proxy_rules.pool_problems(self._pool, prefix="resilience.proxy_")
        if self.wants_proxy(production=production, deployment=deployment):
            problems += [
                f"resilience.proxy: {problem}"
                for problem in proxy_rules.target_problems(
                    engine=engine,
                    engine_version=engine_version,
                    deployment=deployment,
                    parameters=parameters,
                )
            ]
        if self.game_day and deployment is Deployment.SINGLE_AZ:
            problems.append(
                cite(
                    "fis.force-failover-needs-standby",
                    "resilience.game_day=true: a forced failover needs a standby, and "
                    "deployment='single-az' has none; allowed: false, or deployment "
                    "'multi-az-instance' or 'multi-az-cluster'",
                )
            )
        return problems

    def proxy_props(self) -> dict[str, Any]:
        """``DatabaseProxy`` arguments (all but the database, VPC and alarm topic)."""
        return {
            "max_connections_percent": self.proxy_max_connections_percent,
            "max_idle_connections_percent": self.proxy_max_idle_connections_percent,
            "idle_client_timeout": Duration.seconds(self.proxy_idle_client_timeout_seconds),
            "connection_borrow_timeout": Duration.seconds(
                self.proxy_connection_borrow_timeout_seconds
            ),
        }

    def recovery_point_props(self) -> dict[str, Any]:
        """``RecoveryPointWatch`` arguments (all but the databases, topic, key and retention)."""
        return {"max_recovery_point_age": Duration.minutes(self.recovery_point_alarm_minutes)}
