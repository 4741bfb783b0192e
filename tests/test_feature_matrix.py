"""The feature matrix: engine x deployment x credentials x replicas x cross-region replica x proxy
x automated backup replication x game day, pairwise (every pair of values of any two features
in at least one row), plus every pair a rule of the rulebook names.

Each combination is either refused by the configuration with the id of every AWS rule it
breaks, or synthesizes with zero cdk-nag findings and passes cfn-lint. What AWS refuses is
written here independently of the code (``aws_refusals``), from the rulebook's pages: the code
must agree with it. All the accepted rows synthesize in one app.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
from synth_helpers import VALID_ENVIRONMENT, ComplianceSynth, cfn_lint, compliance_app

from rds_ha import ConfigurationError
from rds_ha.catalog.aws_rules import RULES
from rds_ha.catalog.engines import Deployment, Engine, newest_of_major
from stacks.config import parse_config
from stacks.database_stack import DatabaseStack

FEATURES: dict[str, tuple[Any, ...]] = {
    "engine": ("postgres", "mysql", "mariadb"),
    "deployment": ("multi-az-instance", "multi-az-cluster", "single-az"),
    "credentials": ("secret", "rds-managed"),
    "replicas": (0, 1),
    "cross_region": (False, True),
    "proxy": (False, True),
    "backup_replication": (False, True),
    "game_day": (False, True),
}
# The newest version RDS offers of each engine's tested major line, read from the catalog.
MAJORS = {"postgres": "17", "mysql": "8.4", "mariadb": "11.8"}
VERSIONS = {
    engine: newest_of_major(Engine(engine), Deployment.MULTI_AZ_INSTANCE, major)
    for engine, major in MAJORS.items()
}
CLUSTER_CLASS = "db.m6gd.large"
DR_KEY = "arn:aws:kms:eu-central-1:{account}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"

# Pairs a rule names, each forced into a row of its own (the other features at their first,
# plainest value) so that the rule is seen alone.
RULE_PAIRS: tuple[dict[str, Any], ...] = (
    {"credentials": "rds-managed", "replicas": 1},
    {"credentials": "rds-managed", "cross_region": True},
    {"deployment": "multi-az-cluster", "cross_region": True},
    {"deployment": "multi-az-cluster", "backup_replication": True},
    {"deployment": "single-az", "game_day": True},
    {"engine": "mariadb", "deployment": "multi-az-cluster"},
    {"credentials": "secret", "cross_region": True},
    {"credentials": "secret", "replicas": 1, "proxy": True},
    # Multi-AZ DB clusters that synthesize, in both credentials modes.
    {"deployment": "multi-az-cluster", "credentials": "secret", "game_day": True},
    {"deployment": "multi-az-cluster", "credentials": "rds-managed", "engine": "mysql"},
)


def pairwise_rows() -> list[dict[str, Any]]:
    """A covering array of strength 2, built greedily and deterministically."""
    names = list(FEATURES)
    uncovered = {
        (a, va, b, vb)
        for a, b in itertools.combinations(names, 2)
        for va in FEATURES[a]
        for vb in FEATURES[b]
    }
    rows: list[dict[str, Any]] = []
    while uncovered:
        best, best_count = None, -1
        # Start from each uncovered pair, fill the rest feature by feature, keep the best row.
        for seed in sorted(uncovered, key=repr)[:40]:
            row = {seed[0]: seed[1], seed[2]: seed[3]}
            for name in names:
                if name in row:
                    continue
                row[name] = max(
                    FEATURES[name],
                    key=lambda value, name=name, row=row: sum(
                        (a, row[a], name, value) in uncovered
                        or (name, value, a, row[a]) in uncovered
                        for a in row
                    ),
                )
            count = sum(
                (a, row[a], b, row[b]) in uncovered for a, b in itertools.combinations(names, 2)
            )
            if count > best_count:
                best, best_count = row, count
        assert best is not None
        rows.append(best)
        uncovered -= {(a, best[a], b, best[b]) for a, b in itertools.combinations(names, 2)}
    plain = {name: values[0] for name, values in FEATURES.items()}
    return rows + [plain | pair for pair in RULE_PAIRS]


ROWS = pairwise_rows()


def aws_refusals(row: dict[str, Any]) -> set[str]:
    """The rules of the rulebook AWS's pages say this combination breaks."""
    cluster = row["deployment"] == "multi-az-cluster"
    broken = set()
    if row["credentials"] == "rds-managed" and (row["replicas"] or row["cross_region"]):
        broken.add("secrets.managed-password-no-read-replica")
    if cluster and row["cross_region"]:
        broken.add("replica.no-cross-region-from-cluster")
    if cluster and row["backup_replication"]:
        broken.add("backup-replication.no-multi-az-cluster")
    if row["deployment"] == "single-az" and row["game_day"]:
        broken.add("fis.force-failover-needs-standby")
    if cluster and row["engine"] == "mariadb":
        broken.add("cluster.engines")
    return broken


def rds_ha_refusals(row: dict[str, Any]) -> bool:
    """What rds-ha itself does not build (AWS allows it): replicas or a proxy of a Multi-AZ DB
    cluster, whose readable standbys are behind its reader endpoint."""
    cluster = row["deployment"] == "multi-az-cluster"
    return cluster and (bool(row["replicas"]) or row["proxy"])


def environment(number: int, row: dict[str, Any]) -> dict[str, Any]:
    # An account with availability zones in cdk.context.json, so that templates name real AZs.
    account = "333333333333"
    table = copy.deepcopy(VALID_ENVIRONMENT)
    cluster = row["deployment"] == "multi-az-cluster"
    table |= {
        "account": account,
        "engine": row["engine"],
        "engine_version": VERSIONS[row["engine"]],
        "deployment": row["deployment"],
        "credentials": row["credentials"],
        "vpc_cidr": f"10.{100 + number}.0.0/16",
        "deletion_protection": True,
    }
    if cluster:
        table |= {
            "instance_class": CLUSTER_CLASS,
            "allocated_storage_gib": 400,
            "max_allocated_storage_gib": 2000,
        }
    if row["deployment"] == "single-az":
        # The packs' Multi-AZ rules fail a single-AZ database; the configuration accepts it on
        # purpose only (tests/test_compliance_exceptions.py).
        table["compliance_exceptions"] = {"deployment": "a single-AZ row of the feature matrix"}
    table["replicas"] = {"count": row["replicas"], "cross_region": row["cross_region"]}
    table["resilience"] = {"proxy": row["proxy"], "game_day": row["game_day"]}
    if row["backup_replication"]:
        table["backups"] = table["backups"] | {
            "replicate_automated_backups": True,
            "automated_backup_replication_key_arn": DR_KEY.format(account=account),
        }
    return table


def outcome(number: int, row: dict[str, Any]) -> tuple[Any, str]:
    try:
        config = parse_config({"environments": {f"m{number:02d}": environment(number, row)}})
    except ConfigurationError as error:
        return None, str(error)
    return config.environments[f"m{number:02d}"], ""


def test_the_matrix_covers_every_pair_of_feature_values() -> None:
    names = list(FEATURES)
    for a, b in itertools.combinations(names, 2):
        for va, vb in itertools.product(FEATURES[a], FEATURES[b]):
            assert any(row[a] == va and row[b] == vb for row in ROWS), (a, va, b, vb)
    assert len(ROWS) <= 25


@pytest.mark.parametrize(("number", "row"), list(enumerate(ROWS)), ids=str)
def test_a_combination_aws_refuses_is_refused_naming_every_rule_it_breaks(
    number: int, row: dict[str, Any]
) -> None:
    expected = aws_refusals(row)
    config, error = outcome(number, row)
    if expected:
        assert config is None, f"{row} must be refused for {sorted(expected)}"
        for rule in expected:
            assert f"[{rule}]" in error, (rule, error)
            assert RULES[rule].page in error
    elif rds_ha_refusals(row):
        assert config is None and "rds-ha" in error, error
    else:
        assert config is not None, error
    # No rule is named that the pages do not say this combination breaks.
    named = {rule for rule in RULES if f"[{rule}]" in error}
    assert named <= expected, (row, named - expected)


class Accepted:
    """Every accepted row, one environment each, synthesized in one app."""

    def __init__(self) -> None:
        self.app = compliance_app()
        self.stacks = []
        # For cfn-lint: every database stack, and the DR stacks of the rows whose features put
        # something of their own there (the cross-region replica, automated backup
        # replication); the other DR stacks hold only the vault and its key, as in every
        # environment, and cfn-lint has them in cdk.out.
        self.linted = []
        for number, row in enumerate(ROWS):
            config, _ = outcome(number, row)
            if config is None:
                continue
            stack = DatabaseStack(self.app, config=config)
            others = stack.environment_stacks[1:]
            self.stacks += [stack, *others]
            dr_features = row["cross_region"] or row["backup_replication"]
            self.linted += [stack, *(others if dr_features else [])]
        self.synth = ComplianceSynth(self.app)


@pytest.fixture(scope="module")
def accepted() -> Accepted:
    return Accepted()


def test_every_accepted_combination_has_no_cdk_nag_finding(accepted: Accepted) -> None:
    assert len({stack.stack_name for stack in accepted.stacks}) >= 8
    single_az = [
        f"rds-ha-m{number:02d}"
        for number, row in enumerate(ROWS)
        if row["deployment"] == "single-az" and outcome(number, row)[0] is not None
    ]
    assert single_az, "the matrix must synthesize a single-AZ row"
    assert accepted.synth.violations == []
    # A single-AZ row's Multi-AZ findings are acknowledged by its compliance exception, on its
    # database only.
    acknowledged = {line.split(" at ")[0] for line in accepted.synth.acknowledged}
    assert {"AwsSolutions-RDS3", "HIPAA.Security-RDSMultiAZSupport"} <= acknowledged


def test_every_accepted_combination_passes_cfn_lint(accepted: Accepted) -> None:
    # cfn-lint skips W3010 (hard-coded AZs) in a template it knows is CDK's, by the aws:cdk:path
    # metadata (cfnlint Template.is_cdk_template), which the compliance app leaves out; `make
    # cfn-lint` sees that metadata in cdk.out. Every other check runs.
    findings: list[str] = []
    for stack in accepted.linted:
        path = Path(accepted.synth.outdir) / stack.template_file
        matches = cfn_lint(path, region=stack.region, ignore_checks=["W3010"])
        findings += [f"{stack.stack_name}: {match}" for match in matches]
    assert findings == []
