"""Fleet case of ``make bench``: resources and synth time per extra database.

Synthesizes one environment with N extra databases (N = 1, 10, 25) in a fresh process each, and
reports the resources of each extra database's stack, the largest stack, and the synth time per
extra database against N = 0 (the environment's own database alone). Nothing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 10, 25)

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
print(json.dumps({{p.name: len(json.loads(p.read_text())["Resources"])
    for p in pathlib.Path(directory).glob("*.template.json")}}))
"""


def synth(count: int) -> tuple[float, dict[str, int]]:
    code = SYNTH.format(root=str(ROOT), tests=str(ROOT / "tests"), count=count)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - start, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    base_seconds, base_counts = synth(0)
    print(f"fleet        0 extra: {base_seconds:6.2f} s, {sum(base_counts.values())} resources")
    first_seconds = None
    for count in SIZES:
        seconds, counts = synth(count)
        extra = [n for name, n in counts.items() if "-db" in name]
        # The first extra database also pays for the cross-stack references; the next ones
        # are measured against it.
        marginal = (
            f", {(seconds - first_seconds) / (count - 1):5.2f} s per database after the first"
            if first_seconds is not None
            else ""
        )
        first_seconds = first_seconds if first_seconds is not None else seconds
        print(
            f"fleet {count:>6} extra: {seconds:6.2f} s "
            f"({(seconds - base_seconds) / count:5.2f} s per extra database{marginal}), "
            f"{min(extra)}-{max(extra)} resources per extra database, largest stack "
            f"{max(counts.values())} (target <= 45 per database, < 500 per stack)"
        )


if __name__ == "__main__":
    main()
