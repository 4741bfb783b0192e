"""The ``[environments.<name>.replicas]`` table: same-region read replicas."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rds_ha.catalog.engines import Deployment
from rds_ha.environments.tables import _Strict
from rds_ha.replicas import replica_rules


class ReplicasConfig(_Strict):
    """Read replicas of the environment's DB instance."""

    count: int = Field(
        default=replica_rules.REPLICA_COUNT, description="Read replicas, 0-15; default none."
    )
    instance_class: str | None = Field(
        default=None, description="The replicas' class; none: the primary's."
    )

    def problems(self, *, deployment: Deployment, identifier: str) -> list[str]:
        return replica_rules.replica_problems(
            count=self.count,
            instance_class=self.instance_class,
            deployment=deployment,
            source_identifier=identifier,
            prefix="replicas.",
        )

    def replicas_props(self) -> dict[str, Any]:
        """``ReadReplicas`` arguments (all but the database, VPC, topic and thresholds)."""
        return {"count": self.count, "instance_class": self.instance_class}
