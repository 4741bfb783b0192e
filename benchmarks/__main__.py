"""Run every benchmark in one process tree and print ratios against a reference and a target.

- synth: an rds-ha HighlyAvailableDatabase stack against a plain aws-cdk DatabaseInstance stack
  (the cost of everything the construct adds), time and peak memory;
- cli startup: ``rds-ha --help`` against ``python -c "import boto3"`` (the floor of any boto3
  tool): the CLI must not pay for aws-cdk-lib or Node.js;
- guard: ``rds-ha guard`` over the committed baselines against cfn-lint over the same templates;
- fleet: resources and synth time per extra database for 1, 10 and 25 (``benchmarks/fleet.py``).

Each measurement is the median wall time of RUNS fresh processes and the largest peak resident
memory among them (the process and its children, e.g. the jsii Node.js runtime).
Nothing here is asserted: the targets are printed next to the measured ratios.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import fleet

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNS = 3

SYNTH = """
import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2, aws_rds as rds
app = cdk.App(outdir={outdir!r})
stack = cdk.Stack(app, "Bench", env=cdk.Environment(account="111111111111", region="eu-west-1"))
vpc = ec2.Vpc(stack, "Vpc", max_azs=3, nat_gateways=0, subnet_configuration=[
    ec2.SubnetConfiguration(name="db", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
{body}
app.synth()
"""
PLAIN = """rds.DatabaseInstance(stack, "Db", vpc=vpc, multi_az=True,
    engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.of("17.9", "17")),
    vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))"""
RDS_HA = """from rds_ha import HighlyAvailableDatabase
HighlyAvailableDatabase(stack, "Db", vpc=vpc)"""
# Runs a command and prints the peak RSS (KiB) of it and its waited-for descendants.
PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "capture_output=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_mib: float


def measure(command: list[str]) -> Measure:
    times, peaks = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", PEAK, *command],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        peaks.append(int(result.stdout.strip()) / 1024)
    return Measure(statistics.median(times), max(peaks))


def report(name: str, ours: Measure, reference: Measure, against: str, target: float) -> None:
    ratio = ours.seconds / reference.seconds
    memory = ours.peak_mib / reference.peak_mib
    verdict = "meets" if ratio <= target else "MISSES"
    print(
        f"{name:<12} {ours.seconds:6.2f} s / {reference.seconds:6.2f} s ({against}): "
        f"time x{ratio:4.2f} ({verdict} target <= x{target}), "
        f"peak memory {ours.peak_mib:5.0f} / {reference.peak_mib:5.0f} MiB x{memory:4.2f}"
    )


def main() -> None:
    outdir = str(ROOT / "cdk.out.bench")
    python = [sys.executable, "-c"]
    plain = measure([*python, SYNTH.format(outdir=outdir, body=PLAIN)])
    ours = measure([*python, SYNTH.format(outdir=outdir, body=RDS_HA)])
    report("synth", ours, plain, "plain DatabaseInstance", target=1.5)
    boto3_floor = measure([*python, "import boto3"])
    cli = measure([str(BIN / "rds-ha"), "--help"])
    report("cli startup", cli, boto3_floor, "import boto3", target=3.0)
    baselines = sorted(str(p) for p in (ROOT / "baselines").glob("*.template.json"))
    lint = measure([str(BIN / "cfn-lint"), *baselines])
    guard = measure([str(BIN / "rds-ha"), "guard", "baselines", "baselines"])
    report("guard", guard, lint, "cfn-lint", target=1.0)
    fleet.main()


if __name__ == "__main__":
    main()
