"""Run every benchmark in one process tree and print ratios.

- synth: an rds-ha HighlyAvailableDatabase stack against a plain aws-cdk DatabaseInstance stack
  (the construct's overhead for everything it adds);
- cli startup: ``rds-ha --help`` against importing aws_cdk (the CLI never loads the CDK);
- guard: ``rds-ha guard`` over the committed baselines against cfn-lint over the same templates.

Each measurement is the median wall time of several runs of a fresh subprocess, with its peak
resident memory.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def measure(command: list[str]) -> tuple[float, float]:
    """Median seconds and peak RSS (MiB) of ``command`` over RUNS fresh processes."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return statistics.median(times), peak_kib / 1024


def report(name: str, ours: tuple[float, float], reference: tuple[float, float], ref: str) -> None:
    print(
        f"{name:<12} {ours[0]:7.2f} s vs {ref} {reference[0]:7.2f} s  "
        f"time ratio {ours[0] / reference[0]:5.2f}"
    )


def main() -> None:
    outdir = str(ROOT / "cdk.out.bench")
    python = [sys.executable, "-c"]
    plain = measure([*python, SYNTH.format(outdir=outdir, body=PLAIN)])
    ours = measure([*python, SYNTH.format(outdir=outdir, body=RDS_HA)])
    report("synth", ours, plain, "plain DatabaseInstance")
    cdk_import = measure([*python, "import aws_cdk"])
    cli = measure([str(BIN / "rds-ha"), "--help"])
    report("cli startup", cli, cdk_import, "import aws_cdk")
    baselines = sorted(str(p) for p in (ROOT / "baselines").glob("*.template.json"))
    lint = measure([str(BIN / "cfn-lint"), *baselines])
    guard = measure([str(BIN / "rds-ha"), "guard", "baselines", "baselines"])
    report("guard", guard, lint, "cfn-lint")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak child RSS over all runs: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
