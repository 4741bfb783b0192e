"""Fleet case of ``make bench``: resources and synth time per extra database.

Synthesizes one environment with N extra databases (N = 1, 10, 25, 50) in a fresh process each,
and reports the resources of each extra database's stack, the largest stack, the synth time per
extra database against N = 0 (the environment's own database alone) and the peak memory (the
process and the jsii Node.js runtime it starts). Nothing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 10, 25, 50)

SYNTH = """
import copy, json, sys, tempfile
sys.path[:0] = [{root!r}, {tests!r}, {tests!r} + "/fleet"]
import aws_cdk as cdk
from synth_helpers import project_context
from test_fleet_scale import fleet_config
from stacks.config import parse_config
from stacks.database_stack import DatabaseStack
from rds_ha import check_resource_limits
app = cdk.App(context=project_context(), outdir=tempfile.mkdtemp(prefix="rds-ha-bench-"))
DatabaseStack(app, config=parse_config(fleet_config({count})).environments["big"])
check_resource_limits(app)
directory = app.synth().directory
import pathlib
counts = {{p.name: len(json.loads(p.read_text())["Resources"])
    for p in pathlib.Path(directory).glob("*.template.json")}}
pathlib.Path({counts_file!r}).write_text(json.dumps(counts))
"""
# Runs the synth and prints the peak RSS (KiB) of it and its waited-for descendants (jsii's node).
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def synth(count: int) -> tuple[float, float, dict[str, int]]:
    """Seconds, peak MiB and resources per template of one synth with ``count`` databases."""
    with tempfile.TemporaryDirectory() as scratch:
        counts_file = str(Path(scratch) / "counts.json")
        code = SYNTH.format(
            root=str(ROOT), tests=str(ROOT / "tests"), count=count, counts_file=counts_file
        )
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", PEAK, sys.executable, "-c", code],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        counts = json.loads(Path(counts_file).read_text())
    return seconds, int(result.stdout.strip()) / 1024, counts


def main() -> list[dict[str, Any]]:
    """Print each size's figures and return them (for benchmarks/results.json)."""
    synth(0)  # warm-up: the first jsii start in a run pays for caches the others find ready
    base_seconds, base_mib, base_counts = synth(0)
    print(
        f"fleet        0 extra: {base_seconds:6.2f} s, {base_mib:5.0f} MiB, "
        f"{sum(base_counts.values())} resources"
    )
    results: list[dict[str, Any]] = []
    for count in SIZES:
        seconds, mib, counts = synth(count)
        extra = [n for name, n in counts.items() if "-db" in name]
        per_database = (seconds - base_seconds) / count
        results.append(
            {
                "extra_databases": count,
                "seconds": round(seconds, 2),
                "seconds_per_extra_database": round(per_database, 3),
                "peak_mib": round(mib),
                "mib_per_extra_database": round((mib - base_mib) / count, 1),
                "resources_per_extra_database": max(extra),
                "largest_stack_resources": max(counts.values()),
                "targets": "<= 45 resources and <= 0.25 s per extra database, < 500 per stack",
            }
        )
        print(
            f"fleet {count:>6} extra: {seconds:6.2f} s ({per_database:5.2f} s per extra "
            f"database), {mib:5.0f} MiB ({(mib - base_mib) / count:4.1f} MiB per extra database), "
            f"{min(extra)}-{max(extra)} resources per extra database, largest stack "
            f"{max(counts.values())} (targets <= 45 and <= 0.25 s per database, < 500 per stack)"
        )
    return results


if __name__ == "__main__":
    main()
