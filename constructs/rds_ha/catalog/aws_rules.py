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
        fix="credentials = 'secret' (the default; README, 'Switching credentials modes'), "
        "then upgrade",
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
