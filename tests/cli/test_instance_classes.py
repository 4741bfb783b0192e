"""The instance-class catalog: figures as AWS lists them, lookups, ordering, max_connections."""

from __future__ import annotations

import pytest

from rds_ha.catalog import instance_classes as ic
from rds_ha.catalog.instance_classes import Capacity, UnknownInstanceClassError


@pytest.mark.parametrize(
    ("name", "vcpus", "memory_gib", "burstable"),
    [
        ("db.t3.micro", 2, 1, True),
        ("db.t3.small", 2, 2, True),
        ("db.t4g.medium", 2, 4, True),
        ("db.t4g.large", 2, 8, True),
        ("db.t3.xlarge", 4, 16, True),
        ("db.t4g.2xlarge", 8, 32, True),
        ("db.m5.large", 2, 8, False),
        ("db.m5.24xlarge", 96, 384, False),
        ("db.m6g.16xlarge", 64, 256, False),
        ("db.m6i.32xlarge", 128, 512, False),
        ("db.m6i.metal", 128, 512, False),
        ("db.m7i.metal-24xl", 96, 384, False),
        ("db.m7i.metal-48xl", 192, 768, False),
        ("db.m8g.24xlarge", 96, 384, False),
        ("db.m8g.48xlarge", 192, 768, False),
        ("db.r5.12xlarge", 48, 384, False),
        ("db.r6g.large", 2, 16, False),
        ("db.r6i.metal", 128, 1024, False),
        ("db.r7g.16xlarge", 64, 512, False),
        ("db.r7i.48xlarge", 192, 1536, False),
        ("db.r8g.48xlarge", 192, 1536, False),
        ("db.x2g.large", 2, 32, False),
        ("db.x2g.16xlarge", 64, 1024, False),
    ],
)
def test_catalog_lists_the_hardware_aws_documents(name, vcpus, memory_gib, burstable):
    assert ic.CATALOG[name] == ic.InstanceClassSpec(name, vcpus, memory_gib, burstable)


@pytest.mark.parametrize(
    ("family", "largest"),
    [
        ("db.t3", "2xlarge"),
        ("db.m5", "24xlarge"),
        ("db.m6g", "16xlarge"),
        ("db.m7g", "16xlarge"),
        ("db.m6i", "metal"),
        ("db.m7i", "metal-48xl"),
        ("db.r6g", "16xlarge"),
        ("db.r8g", "48xlarge"),
        ("db.x2g", "16xlarge"),
    ],
)
def test_each_family_stops_at_the_largest_size_rds_offers(family, largest):
    assert ic.family_members(family)[-1].size == largest


def test_catalog_holds_only_the_sizes_rds_offers():
    assert ic.lookup("db.m7g.24xlarge") is None  # EC2 has it, RDS does not
    assert ic.lookup("db.m6g.medium") is None
    assert ic.lookup("db.t3.nano") is None
    # 123 without and 66 with local NVMe storage, 8 db.c6gd for Multi-AZ DB clusters
    assert len(ic.CATALOG) == 197


def test_lookup_ignores_case_and_surrounding_spaces():
    assert ic.lookup(" DB.R6G.XLARGE ") is ic.CATALOG["db.r6g.xlarge"]


def test_unknown_class_error_names_the_class_and_suggests_close_matches():
    with pytest.raises(UnknownInstanceClassError, match=r"'db\.r6g\.xlarg'.*db\.r6g\.xlarge"):
        ic.get("db.r6g.xlarg")


def test_unknown_class_error_is_a_value_error_without_suggestion_when_nothing_is_close():
    with pytest.raises(ValueError, match="'banana' is not a known") as raised:
        ic.get("banana")
    assert "Did you mean" not in str(raised.value)


def test_spec_derives_bytes_family_size_and_architecture():
    spec = ic.get("db.r6g.2xlarge")
    assert spec.memory_bytes == 64 * 1024**3
    assert (spec.family, spec.size, spec.architecture) == ("db.r6g", "2xlarge", "arm64")
    assert ic.get("db.m6i.large").architecture == "x86_64"


@pytest.mark.parametrize(
    ("target", "current", "expected"),
    [
        ("db.r6g.xlarge", "db.r6g.large", Capacity.LARGER),
        ("db.r6g.large", "db.r6g.xlarge", Capacity.SMALLER),
        ("db.r6g.large", "db.r6g.large", Capacity.SAME),
        ("db.m6g.large", "db.m5.large", Capacity.SAME),
        ("db.r6g.large", "db.m6g.large", Capacity.LARGER),
        ("db.m6g.xlarge", "db.x2g.large", Capacity.MIXED),
        ("db.m5.2xlarge", "db.t3.2xlarge", Capacity.LARGER),
        ("db.t3.2xlarge", "db.m5.2xlarge", Capacity.SMALLER),
    ],
)
def test_compare_orders_classes_by_vcpus_memory_and_sustained_cpu(target, current, expected):
    assert ic.get(target).compare(ic.get(current)) is expected


def test_ordered_by_capacity_puts_fewer_vcpus_and_less_memory_first():
    names = [s.name for s in ic.ordered_by_capacity(ic.family_members("db.r6g")[::-1])]
    assert names == [f"db.r6g.{s}" for s in ic._TO_16X]


def test_next_larger_is_the_next_size_in_the_same_family():
    assert ic.next_larger("db.t4g.micro").name == "db.t4g.small"
    assert ic.next_larger("db.r6g.8xlarge").name == "db.r6g.12xlarge"
    assert ic.next_larger("db.r6g.16xlarge") is None


def test_next_larger_skips_a_metal_size_with_the_same_capacity():
    assert ic.next_larger("db.m7i.24xlarge").name == "db.m7i.48xlarge"
    assert ic.next_larger("db.m7i.48xlarge") is None


def test_smallest_satisfying_picks_the_least_capacity_that_fits():
    assert ic.smallest_satisfying(vcpus=3, memory_gib=20, family="db.r6g").name == "db.r6g.xlarge"
    assert ic.smallest_satisfying(vcpus=2, memory_gib=20, architecture="arm64").name == (
        "db.x2g.large"
    )
    assert ic.smallest_satisfying(vcpus=1, memory_gib=1).name == "db.m5.large"
    assert ic.smallest_satisfying(vcpus=1, memory_gib=1, allow_burstable=True).name == (
        "db.t3.micro"
    )


def test_smallest_satisfying_returns_none_when_the_family_is_too_small():
    assert ic.smallest_satisfying(vcpus=65, memory_gib=1, family="db.r6g") is None


def test_smallest_satisfying_never_proposes_a_metal_size():
    assert ic.smallest_satisfying(vcpus=100, memory_gib=1, family="db.m7i").name == (
        "db.m7i.48xlarge"
    )


@pytest.mark.parametrize(
    ("engine", "name", "expected"),
    [
        # LEAST(memory / 9531392, 5000) with nominal class memory.
        ("postgres", "db.t3.micro", 112),
        ("postgres", "db.t4g.medium", 450),
        ("postgres", "db.m6g.large", 901),
        ("postgres", "db.r6g.large", 1802),
        ("postgres", "db.r6g.xlarge", 3604),
        ("postgres", "db.r6g.2xlarge", 5000),
        ("postgres", "db.x2g.16xlarge", 5000),
        # memory / 12582880, no cap.
        ("mysql", "db.t3.micro", 85),
        ("mysql", "db.r6g.large", 1365),
        ("mariadb", "db.m6g.xlarge", 1365),
        ("mysql", "db.r8g.48xlarge", 131072),
    ],
)
def test_default_max_connections_follows_the_rds_formula(engine, name, expected):
    assert ic.default_max_connections(engine, ic.get(name)) == expected


def test_default_max_connections_rejects_an_engine_without_a_formula():
    with pytest.raises(ValueError, match=r"'oracle-ee'.*allowed: mariadb, mysql, postgres"):
        ic.default_max_connections("oracle-ee", ic.get("db.r6g.large"))


def test_catalog_holds_the_local_nvme_classes_multi_az_db_clusters_run_on():
    spec = ic.get("db.m6gd.large")
    assert (spec.vcpus, spec.memory_gib, spec.burstable) == (2, 8, False)
    assert ic.get("db.r6id.32xlarge").memory_gib == 1024


@pytest.mark.parametrize(
    ("name", "vcpus", "memory_gib"),
    [("db.c6gd.medium", 1, 2), ("db.c6gd.large", 2, 4), ("db.c6gd.16xlarge", 64, 128)],
)
def test_multi_az_cluster_compute_classes_are_in_the_catalog(name, vcpus, memory_gib):
    spec = ic.get(name)

    assert (spec.vcpus, spec.memory_gib, spec.burstable, spec.architecture) == (
        vcpus,
        memory_gib,
        False,
        "arm64",
    )
    assert ic.next_larger("db.c6gd.medium").name == "db.c6gd.large"


def test_cluster_only_classes_are_proposed_only_within_their_family():
    assert ic.smallest_satisfying(vcpus=1, memory_gib=2, architecture="arm64").name == (
        "db.m6g.large"
    )
    assert ic.smallest_satisfying(vcpus=1, memory_gib=2, family="db.c6gd").name == (
        "db.c6gd.medium"
    )
