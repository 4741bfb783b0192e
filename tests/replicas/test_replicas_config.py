"""The [environments.<name>.replicas] table and the automated backup replication keys of
[environments.<name>.backups]: defaults and the problems they report (no synth)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from rds_ha import ConfigurationError, parse_config
from rds_ha.catalog.engines import Deployment, Engine, newest_of_major
from stacks.config import DEFAULT_CONFIG_PATH


def environments(env: str = "dev", **tables: dict[str, Any]) -> dict[str, Any]:
    data = tomllib.loads(DEFAULT_CONFIG_PATH.read_text())
    for name, table in tables.items():
        data["environments"][env].setdefault(name, {}).update(table)
    return data


def test_no_replicas_and_no_backup_replication_by_default() -> None:
    dev = parse_config(environments()).environments["dev"]
    assert dev.replicas.replicas_props() == {"count": 0, "instance_class": None}
    assert dev.backups.replicate_automated_backups is False


def test_no_committed_environment_replicates_its_automated_backups_or_has_a_dr_replica() -> None:
    # Opt-in, so that the committed templates stay as they are (see docs/dr.md).
    config = parse_config(environments())
    assert not any(e.backups.replicate_automated_backups for e in config.environments.values())
    assert not any(e.replicas.cross_region for e in config.environments.values())


def test_a_cross_region_replica_is_configured_in_the_replicas_table() -> None:
    config = parse_config(
        environments(replicas={"cross_region": True, "cross_region_instance_class": "db.t4g.large"})
    )
    replicas = config.environments["dev"].replicas
    assert replicas.cross_region is True
    assert replicas.cross_region_props() == {"instance_class": "db.t4g.large"}
    assert replicas.cross_region_vpc_cidr == "10.250.0.0/16"


def test_replicas_are_configured_by_count_and_class() -> None:
    config = parse_config(environments(replicas={"count": 2, "instance_class": "db.t4g.large"}))
    assert config.environments["dev"].replicas.replicas_props() == {
        "count": 2,
        "instance_class": "db.t4g.large",
    }


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"replicas": {"count": 16}}, r"replicas\.count=16: must be 0-15"),
        ({"replicas": {"count": -1}}, r"replicas\.count=-1: must be 0-15"),
        (
            {"replicas": {"count": 1, "instance_class": "db.x9.huge"}},
            r"replicas\.instance_class='db\.x9\.huge': not in the rds-ha instance-class catalog",
        ),
        (
            {"backups": {"automated_backup_replication_retention_days": 7}},
            r"backups\.automated_backup_replication_retention_days=7: only with "
            r"replicate_automated_backups = true",
        ),
        (
            {
                "backups": {
                    "replicate_automated_backups": True,
                    "automated_backup_replication_retention_days": 36,
                }
            },
            r"backups\.automated_backup_replication_retention_days=36: must be 1-35",
        ),
        (
            {"replicas": {"cross_region_instance_class": "db.t4g.large"}},
            r"replicas\.cross_region_instance_class='db\.t4g\.large': only with "
            r"cross_region = true",
        ),
        (
            {"replicas": {"cross_region": True, "cross_region_instance_class": "db.x9.huge"}},
            r"replicas\.cross_region_instance_class='db\.x9\.huge': not in the rds-ha",
        ),
        (
            {"backups": {"dr_region": "eu-west-1"}, "replicas": {"cross_region": True}},
            r"replicas\.cross_region=true: backups\.dr_region='eu-west-1' is the database's own",
        ),
        (
            {
                "backups": {
                    "replicate_automated_backups": True,
                    "automated_backup_replication_key_arn": (
                        "arn:aws:kms:eu-central-1:111111111111:alias/rds-ha-dev-automated-backups"
                    ),
                }
            },
            r"backups\.automated_backup_replication_key_arn='arn:aws:kms:eu-central-1:"
            r"111111111111:alias/rds-ha-dev-automated-backups': must be a KMS key ARN",
        ),
        (
            {
                "backups": {
                    "replicate_automated_backups": True,
                    "automated_backup_replication_key_arn": (
                        "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    ),
                }
            },
            r"a key of region 'eu-west-1'; must be of dr_region 'eu-central-1'",
        ),
    ],
)
def test_fails_on_an_invalid_replica_or_backup_replication_setting(
    tables: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_config(environments(**tables))


def test_backup_replication_needs_a_dr_region() -> None:
    data = environments(backups={"replicate_automated_backups": True})
    del data["environments"]["dev"]["backups"]["dr_region"]
    with pytest.raises(
        ConfigurationError, match=r"replicate_automated_backups=true: needs dr_region"
    ):
        parse_config(data)


def test_a_multi_az_db_cluster_has_no_replicas_and_no_instance_backup_replication() -> None:
    data = environments(replicas={"count": 1}, backups={"replicate_automated_backups": True})
    data["environments"]["dev"].update(
        deployment="multi-az-cluster",
        instance_class="db.m6gd.large",
        allocated_storage_gib=400,
        max_allocated_storage_gib=1000,
    )
    with pytest.raises(ConfigurationError) as error:
        parse_config(data)
    text = str(error.value)
    assert "replicas.count=1: a Multi-AZ DB cluster's two readable standbys" in text
    assert "backups.replicate_automated_backups=true: rds-ha replicates a DB instance's" in text


def test_a_cross_region_replica_needs_a_dr_region() -> None:
    data = environments(replicas={"cross_region": True})
    del data["environments"]["dev"]["backups"]["dr_region"]
    with pytest.raises(
        ConfigurationError, match=r"replicas\.cross_region=true: needs backups\.dr_region"
    ):
        parse_config(data)


def test_a_multi_az_db_cluster_has_no_cross_region_replica() -> None:
    data = environments(replicas={"cross_region": True})
    data["environments"]["dev"].update(
        deployment="multi-az-cluster",
        instance_class="db.m6gd.large",
        allocated_storage_gib=400,
        max_allocated_storage_gib=1000,
    )
    with pytest.raises(
        ConfigurationError,
        match=r"dev.*replicas\.cross_region=true: RDS has no cross-region read replica of a "
        r"Multi-AZ DB cluster \(deployment='multi-az-cluster'\); allowed with deployment "
        r"'multi-az-instance' or 'single-az'",
    ):
        parse_config(data)


def test_a_fleet_database_neither_inherits_nor_is_checked_against_the_dr_replica() -> None:
    data = environments(replicas={"cross_region": True})
    # A Multi-AZ DB cluster could not be a cross-region source; as a fleet database it is fine.
    data["environments"]["dev"]["databases"] = {
        "ledger": {
            "deployment": "multi-az-cluster",
            # dev pins the major alone, which RDS documents for DB instances only.
            "engine_version": newest_of_major(Engine.POSTGRES, Deployment.MULTI_AZ_CLUSTER, "17"),
            "instance_class": "db.m6gd.large",
            "allocated_storage_gib": 400,
            "max_allocated_storage_gib": 1000,
        }
    }
    dev = parse_config(data).environments["dev"]
    assert dev.replicas.cross_region is True
    (ledger,) = dev.fleet
    assert ledger.settings.replicas.cross_region is False


def test_dr_replica_is_a_reserved_database_name() -> None:
    data = environments()
    data["environments"]["dev"]["databases"] = {"dr-replica": {}}
    with pytest.raises(ConfigurationError, match=r"dr-replica"):
        parse_config(data)
