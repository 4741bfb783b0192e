"""Catalog of current Amazon RDS DB instance classes: vCPUs, memory and burstability.

The figures are those of the RDS User Guide page "Hardware specifications for DB instance
classes". Within a family RDS classes follow EC2's size rule (``large`` = 2 vCPUs, ``xlarge`` = 4,
``Nxlarge`` = 4 x N) with a fixed memory per vCPU, so most of the table is generated from that
rule; the burstable families and the ``metal`` sizes, which do not follow it, are listed as AWS
lists them. Oracle-only variants (``db.r7i.8xlarge.tpc2.mem3x``) are not included.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

GIB = 1024**3


class UnknownInstanceClassError(ValueError):
    """The instance class is not in the catalog."""


class Capacity(enum.Enum):
    """How one class compares with another."""

    LARGER = "larger"
    SAME = "same"
    SMALLER = "smaller"
    MIXED = "mixed"  # more of one resource, less of another


GRAVITON_FAMILIES = frozenset(
    {"db.t4g", "db.m6g", "db.m7g", "db.m8g", "db.r6g", "db.r7g", "db.r8g", "db.x2g"}
    | {"db.c6gd", "db.m6gd", "db.m8gd", "db.r6gd", "db.r8gd"}
)


# Classes only Multi-AZ DB clusters run on: never proposed for a DB instance.
CLUSTER_ONLY_FAMILIES = frozenset({"db.c6gd"})


@dataclass(frozen=True)
class InstanceClassSpec:
    name: str
    vcpus: int
    memory_gib: float
    burstable: bool

    @property
    def memory_bytes(self) -> int:
        return int(self.memory_gib * GIB)

    @property
    def family(self) -> str:
        """``db.r6g`` for ``db.r6g.2xlarge``."""
        return self.name.rsplit(".", 1)[0]

    @property
    def size(self) -> str:
        return self.name.rsplit(".", 1)[1]

    @property
    def architecture(self) -> str:
        return "arm64" if self.family in GRAVITON_FAMILIES else "x86_64"

    @property
    def capacity_key(self) -> tuple[int, float, bool, str]:
        """Sort key: vCPUs, then memory, then sustained (non-burstable) CPU, then name."""
        return (self.vcpus, self.memory_gib, not self.burstable, self.name)

    def compare(self, other: InstanceClassSpec) -> Capacity:
        """How this class compares with ``other``. Leaving a burstable class for a class with
        the same vCPUs and memory counts as larger: the CPU is then sustained, not credited."""
        deltas = (
            self.vcpus - other.vcpus,
            self.memory_gib - other.memory_gib,
            int(other.burstable) - int(self.burstable),
        )
        if all(d == 0 for d in deltas):
            return Capacity.SAME
        if all(d >= 0 for d in deltas):
            return Capacity.LARGER
        if all(d <= 0 for d in deltas):
            return Capacity.SMALLER
        return Capacity.MIXED

    def satisfies(self, *, vcpus: float, memory_gib: float) -> bool:
        return self.vcpus >= vcpus and self.memory_gib >= memory_gib


def _size_vcpus(size: str) -> int:
    if size == "large":
        return 2
    if size == "xlarge":
        return 4
    return 4 * int(size.removesuffix("xlarge"))


def _family(
    family: str,
    memory_gib_per_vcpu: int,
    sizes: Iterable[str],
    *,
    metal: Mapping[str, int] | None = None,
) -> list[InstanceClassSpec]:
    vcpus_by_size = {size: _size_vcpus(size) for size in sizes} | dict(metal or {})
    return [
        InstanceClassSpec(f"{family}.{size}", vcpus, vcpus * memory_gib_per_vcpu, False)
        for size, vcpus in vcpus_by_size.items()
    ]


def _burstable(family: str) -> list[InstanceClassSpec]:
    # micro, small and medium all have 2 vCPUs; memory doubles from 1 GiB at each size.
    sizes = [("micro", 2, 1), ("small", 2, 2), ("medium", 2, 4)]
    sizes += [("large", 2, 8), ("xlarge", 4, 16), ("2xlarge", 8, 32)]
    return [InstanceClassSpec(f"{family}.{s}", v, m, True) for s, v, m in sizes]


_TO_16X = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_TO_24X = (*_TO_16X, "24xlarge")
_TO_32X = (*_TO_24X, "32xlarge")
_TO_48X = (*_TO_24X, "48xlarge")

_SPECS: list[InstanceClassSpec] = [
    *_burstable("db.t3"),
    *_burstable("db.t4g"),
    *_family("db.m5", 4, _TO_24X),
    *_family("db.m6g", 4, _TO_16X),
    *_family("db.m6i", 4, _TO_32X, metal={"metal": 128}),
    *_family("db.m7g", 4, _TO_16X),
    *_family("db.m7i", 4, _TO_48X, metal={"metal-24xl": 96, "metal-48xl": 192}),
    *_family("db.m8g", 4, _TO_48X),
    *_family("db.r5", 8, _TO_24X),
    *_family("db.r6g", 8, _TO_16X),
    *_family("db.r6i", 8, _TO_32X, metal={"metal": 128}),
    *_family("db.r7g", 8, _TO_16X),
    *_family("db.r7i", 8, _TO_48X, metal={"metal-24xl": 96, "metal-48xl": 192}),
    *_family("db.r8g", 8, _TO_48X),
    *_family("db.x2g", 16, _TO_16X),
    # Local NVMe variants: the classes Multi-AZ DB clusters run on; same vCPUs and memory.
    # db.c6gd (compute optimized, 2 GiB per vCPU) exists only for Multi-AZ DB clusters; its
    # sizes are those of cfn-lint's dbclusterinstanceclass_enum.json, medium being 1 vCPU.
    *_family("db.c6gd", 2, _TO_16X, metal={"medium": 1}),
    *_family("db.m5d", 4, _TO_24X),
    *_family("db.m6gd", 4, _TO_16X),
    *_family("db.m6id", 4, _TO_32X),
    *_family("db.m8gd", 4, _TO_48X),
    *_family("db.r5d", 8, _TO_24X),
    *_family("db.r6gd", 8, _TO_16X),
    *_family("db.r6id", 8, _TO_32X),
    *_family("db.r8gd", 8, _TO_48X),
]

CATALOG: Mapping[str, InstanceClassSpec] = MappingProxyType({s.name: s for s in _SPECS})


def lookup(name: str) -> InstanceClassSpec | None:
    return CATALOG.get(name.strip().lower())


def get(name: str) -> InstanceClassSpec:
    spec = lookup(name)
    if spec is not None:
        return spec
    close = difflib.get_close_matches(name.strip().lower(), CATALOG, n=3, cutoff=0.75)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownInstanceClassError(
        f"instance class {name!r} is not a known RDS DB instance class (for example "
        f"db.r6g.large, db.m7g.xlarge, db.t4g.medium).{hint}"
    )


def ordered_by_capacity(
    specs: Iterable[InstanceClassSpec] | None = None,
) -> list[InstanceClassSpec]:
    return sorted(CATALOG.values() if specs is None else specs, key=lambda s: s.capacity_key)


def family_members(family: str) -> list[InstanceClassSpec]:
    return ordered_by_capacity(s for s in CATALOG.values() if s.family == family)


def next_larger(name: str) -> InstanceClassSpec | None:
    """The next size up in the same family, or None for the largest."""
    current = get(name)
    bigger = [s for s in family_members(current.family) if s.compare(current) is Capacity.LARGER]
    return bigger[0] if bigger else None


def smallest_satisfying(
    *,
    vcpus: float,
    memory_gib: float,
    family: str | None = None,
    architecture: str | None = None,
    allow_burstable: bool = False,
) -> InstanceClassSpec | None:
    """The smallest class with at least ``vcpus`` and ``memory_gib``, optionally restricted to a
    family (``db.r6g``) or an architecture (``arm64``/``x86_64``); "smallest" is the capacity
    order (vCPUs, then memory). Cluster-only families are proposed only when asked for by
    ``family``. ``metal`` sizes are never proposed: they have the vCPUs and memory
    of the largest virtual size of their family, which comes first."""
    candidates = [
        s
        for s in ordered_by_capacity()
        if s.satisfies(vcpus=vcpus, memory_gib=memory_gib)
        and not s.size.startswith("metal")
        and (s.family == family if family else s.family not in CLUSTER_ONLY_FAMILIES)
        and (architecture is None or s.architecture == architecture)
        and (allow_burstable or not s.burstable)
    ]
    return candidates[0] if candidates else None


# RDS's parameter formulas divide DBInstanceClassMemory, which is the class memory minus what RDS
# reserves for the OS and its own processes; AWS does not publish that reservation and it varies by
# class, so this catalog uses the nominal class memory. The result is therefore an upper bound,
# a few percent above what a live instance reports (db.t3.micro PostgreSQL: 112 here, about 80
# live); read `max_connections` from the parameter group when a live value is available.
PG_BYTES_PER_CONNECTION = 9531392
PG_MAX_DEFAULT_CONNECTIONS = 5000
MYSQL_BYTES_PER_CONNECTION = 12582880
_ENGINES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


def connection_formula(engine: str) -> str | None:
    """``postgres`` or ``mysql``: whose default ``max_connections`` formula the engine uses."""
    return _ENGINES.get(engine.strip().lower())


def default_max_connections(engine: str, spec: InstanceClassSpec) -> int:
    """RDS's default ``max_connections`` for ``engine`` on ``spec`` (nominal memory, see above)."""
    kind = connection_formula(engine)
    if kind is None:
        raise ValueError(
            f"engine {engine!r} has no known default max_connections formula; "
            f"allowed: {', '.join(sorted(_ENGINES))}"
        )
    if kind == "postgres":
        return min(spec.memory_bytes // PG_BYTES_PER_CONNECTION, PG_MAX_DEFAULT_CONNECTIONS)
    return spec.memory_bytes // MYSQL_BYTES_PER_CONNECTION
