"""The rulebook: every documented AWS constraint rds-ha relies on, one rule each, with a stable id,
the page it comes from, AWS's words and what to do instead. No aws_cdk (the CLI uses it too).

Two kinds of rule live here:
- combination rules, checked on a ``Features`` description of one database and what is built
  around it (``combination_problems``): what RDS refuses to put together, e.g. a read replica of
  a database whose master password RDS manages;
- single-setting rules, whose checks stay beside the values they read (engine versions and
  instance classes in ``catalog.engines``, proxy settings in ``proxy.proxy_rules``, replica
  settings in ``replicas.replica_rules``, backup rules in ``backups.backup_rules``): those
  checks end their problem with the rule's id through ``cite``, so every refusal names its rule.

A rule marked ``unclear`` says where AWS's page leaves room; rds-ha then takes the safe reading.
Where rds-ha refuses something AWS allows, that is not here: it is rds-ha's own choice and its
message says so (e.g. ``DatabaseProxy`` in front of a Multi-AZ DB cluster).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rds_ha.catalog.credentials import CredentialsMode
from rds_ha.catalog.engines import Deployment, Engine

_UG = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide"
_API = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference"


@dataclass(frozen=True)
class Rule:
    id: str
    page: str
    says: str
    fix: str
    unclear: str = ""

    def problem(self, what: str) -> str:
        """``what`` (field, value and why), then AWS's words, the page and the fix."""
        return f'{what} [{self.id}]: AWS: "{self.says}" ({self.page}); fix: {self.fix}'


@dataclass(frozen=True)
class Features:
    """One database and what rds-ha builds or runs around it."""

    engine: Engine
    deployment: Deployment
    credentials: CredentialsMode
    read_replicas: int = 0
    cross_region_replica: bool = False
    proxy: bool = False
    backup_replication: bool = False
    game_day: bool = False
    blue_green: bool = False
    backup_retention_days: int = 7


@dataclass(frozen=True)
class _Check:
    rule: str
    broken: Callable[[Features], bool]
    what: Callable[[Features], str]


_RULES: tuple[Rule, ...] = (
    # --- Secrets Manager integration ---------------------------------------------------------
    Rule(
        id="secrets.managed-password-no-read-replica",
        page=f"{_UG}/rds-secrets-manager.html#rds-secrets-manager-limitations",
        says="Creating a read replica when the source DB or DB cluster manages credentials "
        "with Secrets Manager. This applies to all DB engines except RDS for SQL Server.",
        fix="credentials = 'secret' (the default), or no read replicas",
    ),
    Rule(
        id="secrets.managed-password-no-blue-green",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="Blue/green deployments don't support managing master user passwords with AWS "
        "Secrets Manager.",
        fix="credentials = 'secret' (the default; docs/credentials.md, 'Switching credentials "
        "modes'), then upgrade",
    ),
    # --- read replicas -----------------------------------------------------------------------
    Rule(
        id="replica.max-per-source",
        page=f"{_API}/API_CreateDBInstanceReadReplica.html",
        says="Each DB instance can have up to 15 read replicas, except for the following "
        "engines: Db2 ... Oracle ... SQL Server",
        fix="at most 15 read replicas",
    ),
    Rule(
        id="replica.source-needs-backups",
        page=f"{_API}/API_CreateDBInstanceReadReplica.html",
        says="The specified DB instance must have automatic backups enabled, that is, its "
        "backup retention period must be greater than 0.",
        fix="backup_retention_days of 1-35",
    ),
    Rule(
        id="replica.no-cross-region-from-cluster",
        page=f"{_API}/API_CreateDBInstanceReadReplica.html",
        says="The source DB cluster must be in the same Amazon Web Services Region as the read "
        "replica. Cross-Region replication isn't supported.",
        fix="deployment = 'multi-az-instance' for a cross-region replica",
    ),
    Rule(
        id="replica.cross-region-key-in-destination",
        page=f"{_API}/API_CreateDBInstanceReadReplica.html",
        says="If you create an encrypted read replica in a different Amazon Web Services "
        "Region, then you must specify a KMS key identifier for the destination Amazon Web "
        "Services Region.",
        fix="CrossRegionReadReplica creates its own key in the DR region (nothing to set)",
    ),
)

_BACKUP = "https://docs.aws.amazon.com/aws-backup/latest/devguide"
_FIS = "https://docs.aws.amazon.com/fis/latest/userguide"

_RULES += (
    # --- Multi-AZ DB clusters ----------------------------------------------------------------
    Rule(
        id="cluster.engines",
        page=f"{_UG}/multi-az-db-clusters-concepts.html",
        says="Multi-AZ DB clusters are supported only for the MySQL and PostgreSQL DB engines.",
        fix="deployment = 'multi-az-instance' for MariaDB",
    ),
    Rule(
        id="cluster.no-snapshot-copy",
        page=f"{_UG}/multi-az-db-clusters-concepts.Limitations.html",
        says="Multi-AZ DB clusters don't support the following features: ... Copying a snapshot "
        "of a Multi-AZ DB cluster",
        fix="protect the cluster in a second region another way (its snapshots cannot be "
        "copied by AWS Backup either)",
    ),
    Rule(
        id="cluster.no-port-change",
        page=f"{_UG}/multi-az-db-clusters-concepts.Limitations.html",
        says="Multi-AZ DB clusters don't support the following features: ... Modifying the port. "
        "As an alternative, you can restore a Multi-AZ DB cluster to a point in time and "
        "specify a different port.",
        fix="keep a cluster's port; restore it to a point in time with the new port instead",
    ),
    Rule(
        id="cluster.no-storage-autoscaling",
        page=f"{_UG}/multi-az-db-clusters-concepts.Limitations.html",
        says="Multi-AZ DB clusters don't support the following features: ... Storage "
        "autoscaling by setting the maximum allocated storage.",
        fix="leave max_allocated_storage_gib out for a cluster (rds-ha sets none)",
    ),
    # --- automated backup replication ------------------------------------------------------
    Rule(
        id="backup-replication.no-multi-az-cluster",
        page=f"{_UG}/USER_ReplicateBackups.html",
        says="Automated backup replication isn't supported for Multi-AZ DB clusters. However, "
        "it is supported for Multi-AZ DB instance deployments.",
        fix="deployment = 'multi-az-instance', or replicate_automated_backups = false",
    ),
    Rule(
        id="backup-replication.key-arn",
        page=f"{_API}/API_StartDBInstanceAutomatedBackupsReplication.html",
        says="The KMS key ID is the Amazon Resource Name (ARN) for the KMS encryption key in "
        "the destination Amazon Web Services Region",
        fix="the DR stack's output AutomatedBackupKeyArn (a key ARN of the DR region)",
        unclear="no alias form is documented here, unlike CreateDBInstanceReadReplica's "
        "KmsKeyId; rds-ha accepts a key ARN only",
    ),
    Rule(
        id="backup-replication.retention",
        page="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
        "aws-resource-rds-dbinstance.html",
        says="AutomaticBackupReplicationRetentionPeriod ... The maximum allowed value is 35.",
        fix="1-35 days",
    ),
    # --- AWS Backup ------------------------------------------------------------------------
    Rule(
        id="backup.continuous-retention",
        page=f"{_BACKUP}/point-in-time-recovery-retention-period.html",
        says="The minimum retention period is 1 day. The maximum retention period is 35 days.",
        fix="continuous_retention_days of 1-35",
    ),
    # --- Performance Insights --------------------------------------------------------------
    Rule(
        id="performance-insights.instance-classes",
        page=f"{_UG}/USER_PerfInsights.Overview.Engines.html",
        says="Performance Insights isn't supported for the following instance classes: "
        "db.t2.micro, db.t2.small, db.t3.micro, db.t3.small, db.t4g.micro, db.t4g.small",
        fix="db.t3.medium, db.t4g.medium or larger (rds-ha turns Performance Insights on for "
        "every database)",
        unclear="the page lists these classes for RDS for MariaDB and MySQL and 'N/A' for "
        "PostgreSQL; rds-ha applies the list to MariaDB and MySQL only",
    ),
    # --- AWS FIS ---------------------------------------------------------------------------
    Rule(
        id="fis.force-failover-needs-standby",
        page=f"{_API}/API_RebootDBInstance.html",
        says="You can't enable force failover if the instance isn't configured for Multi-AZ.",
        fix="resilience.game_day = false, or deployment 'multi-az-instance' or "
        "'multi-az-cluster' (aws:rds:failover-db-cluster)",
    ),
    # --- RDS Proxy -------------------------------------------------------------------------
    Rule(
        id="proxy.mariadb-versions",
        page=f"{_UG}/Concepts.RDS_Fea_Regions_DB-eng.Feature.RDS_Proxy.html",
        says="RDS for MariaDB: 11.8, 11.4, 10.11, 10.6, 10.5 (All available versions)",
        fix="a MariaDB major RDS Proxy supports, or resilience.proxy = false",
    ),
    Rule(
        id="proxy.no-read-only",
        page=f"{_UG}/rds-proxy.html#rds-proxy.limitations",
        says="You can't use RDS Proxy with an RDS for MySQL DB instance that has the read_only "
        "parameter in its DB parameter group set to 1.",
        fix="leave read_only unset, or resilience.proxy = false",
    ),
    Rule(
        id="proxy.mariadb-no-tls13-only",
        page=f"{_UG}/rds-proxy.html#rds-proxy.limitations",
        says="RDS Proxy doesn't support Transport Layer Security (TLS) version 1.3 for MariaDB "
        "databases.",
        fix="allow TLSv1.2 beside TLSv1.3 in tls_version",
    ),
    Rule(
        id="proxy.quota",
        page=f"{_UG}/CHAP_Limits.html#RDS_Limits.Limits",
        says="You can have up to 20 proxies for each AWS account ID.",
        fix="ask for more (Service Quotas, Amazon RDS, Proxies), or fewer proxies",
        unclear="adjustable; rds-ha warns (rds-ha:proxy-quota) rather than refusing",
    ),
    # --- blue/green deployments -----------------------------------------------------------
    Rule(
        id="blue-green.engines",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="Blue/green deployments are supported for RDS for MariaDB, RDS for MySQL and RDS "
        "for PostgreSQL",
        fix="an in-place upgrade (rds-ha upgrade refuses)",
    ),
    Rule(
        id="blue-green.no-multi-az-cluster",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="Blue/green deployments aren't supported for the following features: ... Multi-AZ "
        "DB cluster deployments. Blue/green deployments are supported for Multi-AZ DB instance "
        "deployments.",
        fix="an in-place upgrade of the cluster (rds-ha upgrade refuses)",
    ),
    Rule(
        id="blue-green.mysql-8.0.14",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="MySQL versions 8.0.11 through 8.0.13 have a community bug that prevents them from "
        "supporting blue/green deployments.",
        fix="a minor upgrade in place to 8.0.14 or later first (rds-ha maintenance)",
    ),
    Rule(
        id="blue-green.proxy-engines",
        page=f"{_UG}/rds-proxy-blue-green.html",
        says="RDS Proxy supports Blue/Green Deployments for RDS for PostgreSQL, RDS for MySQL "
        "and RDS for MariaDB.",
        fix="an in-place upgrade for another engine",
        unclear="editions of the general limitations (blue-green-deployments-considerations"
        ".html) list 'Amazon RDS Proxy' among the unsupported features; rds-ha follows the "
        "page on RDS Proxy with blue/green, which is specific and newer",
    ),
    Rule(
        id="blue-green.proxy-target-first",
        page=f"{_UG}/rds-proxy-blue-green.html#rds-proxy-blue-green-limitations",
        says="Your blue instance must already be a target of the proxy before you create the "
        "blue/green deployment; you can't add the instance to an RDS Proxy after you create a "
        "blue/green deployment for it.",
        fix="deploy resilience.proxy and let its target become AVAILABLE before rds-ha upgrade; "
        "no proxy change (cdk deploy) while a deployment exists",
        unclear="AWS's words as the page's Chinese edition gives them (the English limitation "
        "is not in rds-ha's reference store); RDS also checks at the switchover that the proxy "
        "reaches both environments, so rds-ha refuses a target that is not AVAILABLE",
    ),
    Rule(
        id="blue-green.no-cloudformation",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="Blue/green deployments aren't supported for the following features: ... AWS "
        "CloudFormation",
        fix="rds-ha upgrade, then the new version in environments.toml (--write-config)",
        unclear="the page does not say whether it means a deployment declared in a template "
        "or a database a stack manages; rds-ha creates the deployment through the RDS API "
        "and, after the switchover (the green takes the blue's identifier, which is the "
        "stack's physical id), writes the new version into the config so the next stack "
        "update changes nothing",
    ),
    Rule(
        id="blue-green.no-cascading-replicas",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="Cascading read replicas aren't supported.",
        fix="remove the replicas' own replicas first",
    ),
    Rule(
        id="blue-green.no-cross-region-replica",
        page=f"{_UG}/blue-green-deployments-considerations.html",
        says="Cross-Region read replicas aren't supported.",
        fix="remove the cross-region replica (replicas.cross_region = false) for the upgrade",
    ),
)

# performance-insights.instance-classes, for RDS for MariaDB and MySQL.
PERFORMANCE_INSIGHTS_UNSUPPORTED_CLASSES = frozenset(
    {"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"}
)

RULES: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in _RULES})


def cite(rule_id: str, what: str) -> str:
    """A problem found by a check outside this module, ending with its rule."""
    return RULES[rule_id].problem(what)


_CHECKS: tuple[_Check, ...] = (
    _Check(
        "secrets.managed-password-no-read-replica",
        lambda f: (
            f.credentials is CredentialsMode.RDS_MANAGED
            and (f.read_replicas > 0 or f.cross_region_replica)
        ),
        lambda f: (
            "credentials='rds-managed' with "
            + (
                f"replicas.count={f.read_replicas}"
                if f.read_replicas
                else "replicas.cross_region=true"
            )
            + ": RDS refuses a read replica of a database whose master password it manages"
        ),
    ),
    _Check(
        "secrets.managed-password-no-blue-green",
        lambda f: f.credentials is CredentialsMode.RDS_MANAGED and f.blue_green,
        lambda f: (
            "credentials='rds-managed': RDS refuses a blue/green deployment of a "
            "database whose master password it manages"
        ),
    ),
    _Check(
        "blue-green.no-cross-region-replica",
        lambda f: f.blue_green and f.cross_region_replica,
        lambda f: "a cross-region read replica: RDS refuses a blue/green deployment of its source",
    ),
)


def broken_rules(features: Features) -> list[Rule]:
    """The rules this combination breaks, in the rulebook's order."""
    return [RULES[check.rule] for check in _CHECKS if check.broken(features)]


def combination_problems(features: Features, prefix: str = "") -> list[str]:
    """One line per broken rule: what, the rule id, AWS's words, the page and the fix."""
    return [
        RULES[check.rule].problem(f"{prefix}{check.what(features)}")
        for check in _CHECKS
        if check.broken(features)
    ]


def checked_rule_ids() -> frozenset[str]:
    """The rules with a combination check here (the others are cited by their own checks)."""
    return frozenset(check.rule for check in _CHECKS)
