"""Aurora's part of the rulebook (``rds_ha.catalog.aws_rules``): each documented Aurora limit that
rds-ha's checks follow, with the page it comes from, AWS's words and what to do instead. A check
ends its problem with the rule's id through ``aurora_cite``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rds_ha.catalog.aws_rules import Rule

_AUG = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide"
_API = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference"

_RULES: tuple[Rule, ...] = (
    Rule(
        id="aurora.max-readers",
        page=f"{_AUG}/Aurora.Overview.html",
        says="Each Aurora DB cluster can have up to 15 Aurora Replicas in addition to the "
        "primary DB instance.",
        fix="readers = 0-15",
    ),
    Rule(
        id="aurora.promotion-tier",
        page=f"{_API}/API_CreateDBInstance.html",
        says="PromotionTier: The order of priority in which an Aurora Replica is promoted to "
        "the primary instance after a failure of the existing primary instance. Default: 1. "
        "Valid Values: 0 - 15",
        fix="a tier of 0-15 per reader (0 is promoted first)",
    ),
    Rule(
        id="aurora.failover-target",
        page=f"{_AUG}/Concepts.AuroraHighAvailability.html",
        says="Maintain high availability by locating Aurora Replicas in separate Availability "
        "Zones. Aurora automatically fails over to an Aurora Replica in case the primary DB "
        "instance becomes unavailable.",
        fix="readers >= 1 in production (rds-ha spreads them over the other AZs)",
    ),
    Rule(
        id="aurora.serverless-v2-capacity",
        page=f"{_API}/API_ServerlessV2ScalingConfiguration.html",
        says="You can specify ACU values in half-step increments, such as 32, 32.5, 33, and so "
        "on. The largest value that you can use is 256 for recent Aurora versions, or 128 for "
        "older versions.",
        fix="min_capacity and max_capacity in steps of 0.5, max_capacity 1-256, min <= max",
    ),
    Rule(
        id="aurora.serverless-v2-auto-pause",
        page=f"{_AUG}/aurora-serverless-v2-auto-pause.html",
        says="For Aurora versions that support the Aurora Serverless v2 auto-pause feature, the "
        "smallest value that you can use is 0. For versions that don't support Aurora "
        "Serverless v2 auto-pause, the smallest value that you can use is 0.5.",
        fix="min_capacity >= 0.5, or an engine version that supports auto-pause",
    ),
    Rule(
        id="aurora.backtrack-mysql-only",
        page=f"{_API}/API_CreateDBCluster.html",
        says="BacktrackWindow: The target backtrack window, in seconds. To disable "
        "backtracking, set this value to 0. Valid for Cluster Type: Aurora MySQL DB clusters "
        "only",
        fix="backtrack_window_hours = 0 for Aurora PostgreSQL",
    ),
    Rule(
        id="aurora.backtrack-window",
        page=f"{_API}/API_CreateDBCluster.html",
        says="If specified, this value must be set to a number from 0 to 259,200 (72 hours).",
        fix="backtrack_window_hours = 0-72",
    ),
    Rule(
        id="aurora.storage-type",
        page=f"{_AUG}/Aurora.Overview.StorageReliability.html#aurora-storage-type",
        says="StorageType: Valid for Cluster Type: Aurora DB clusters. Valid Values: aurora "
        "(Aurora Standard), aurora-iopt1 (Aurora I/O-Optimized)",
        fix="storage_type = 'aurora' or 'aurora-iopt1'",
    ),
    Rule(
        id="aurora.global-no-backtrack",
        page="https://docs.aws.amazon.com/prescriptive-guidance/latest/"
        "aurora-replication-options/aurora-global-database.html",
        says="You cannot use the Backtrack feature in Aurora with an Aurora global database.",
        fix="backtrack_window_hours = 0, or no global_database",
    ),
    Rule(
        id="aurora.global-secondary-region",
        page=f"{_AUG}/aurora-global-database.html",
        says="An Aurora global database has a primary DB cluster in one Region, and up to five "
        "secondary DB clusters in different Regions.",
        fix="global_database.secondary_region = a region other than the environment's",
    ),
    Rule(
        id="aurora.serverless-v2-acu-memory",
        page=f"{_AUG}/aurora-serverless-v2.how-it-works.html",
        says="Each ACU is a combination of approximately 2 gibibytes (GiB) of memory, "
        "corresponding CPU, and networking.",
        fix="alarm thresholds on memory derive from max_capacity x 2 GiB",
    ),
)

AURORA_RULES: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in _RULES})


def aurora_cite(rule_id: str, what: str) -> str:
    """A problem found by one of Aurora's checks, ending with its rule."""
    return AURORA_RULES[rule_id].problem(what)
