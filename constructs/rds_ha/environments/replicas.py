"""The ``[environments.<name>.replicas]`` table: same-region read replicas, and a read replica
in the environment's DR region (``backups.dr_region``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rds_ha.catalog.engines import Deployment
from rds_ha.environments.tables import Cidr, _Strict
from rds_ha.replicas import replica_rules

# The DR region's VPC; distinct from the committed environments' primary VPCs (10.x0.0.0/16),
# so that the two can be peered later.
CROSS_REGION_VPC_CIDR = "10.250.0.0/16"


class ReplicasConfig(_Strict):
    """Read replicas of the environment's DB instance."""

    count: int = Field(
        default=replica_rules.REPLICA_COUNT, description="Read replicas, 0-15; default none."
    )
    instance_class: str | None = Field(
        default=None, description="The replicas' class; none: the primary's."
    )
    cross_region: bool = Field(
        default=False,
        description="A read replica in backups.dr_region, in the stack rds-ha-<env>-dr-replica.",
    )
    cross_region_instance_class: str | None = Field(
        default=None, description="The DR region replica's class; none: the primary's."
    )
    cross_region_vpc_cidr: Cidr = Field(
        default=CROSS_REGION_VPC_CIDR, description="The DR region replica's VPC."
    )

    def problems(
        self,
        *,
        deployment: Deployment,
        identifier: str,
        engine: str | None = None,
        region: str | None = None,
        dr_region: str | None = None,
        backup_retention_days: int | None = None,
    ) -> list[str]:
        return replica_rules.replica_problems(
            count=self.count,
            instance_class=self.instance_class,
            deployment=deployment,
            source_identifier=identifier,
            prefix="replicas.",
        ) + replica_rules.cross_region_problems(
            cross_region=self.cross_region,
            dr_region=dr_region,
            region=region,
            deployment=deployment,
            engine=engine,
            backup_retention_days=backup_retention_days,
            instance_class=self.cross_region_instance_class,
            source_identifier=identifier,
            prefix="replicas.",
        )

    def replicas_props(self) -> dict[str, Any]:
        """``ReadReplicas`` arguments (all but the database, VPC, topic and thresholds)."""
        return {"count": self.count, "instance_class": self.instance_class}

    def cross_region_props(self) -> dict[str, Any]:
        """``CrossRegionReadReplica`` arguments (all but the source, VPC, key and topic)."""
        return {"instance_class": self.cross_region_instance_class}
