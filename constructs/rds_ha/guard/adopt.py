"""Adopting baselines: the guard's starting point for environments that have none yet.

``python -m rds_ha.guard.adopt BASELINE CURRENT`` (``make baselines``) copies every template of
the cloud assembly CURRENT that has no file in BASELINE; an existing baseline is kept, because
replacing it accepts every change the guard would report. ``--overwrite`` replaces them too,
after a typed confirmation (or ``--yes``). It never deletes a baseline: a stack removed from the
app is the guard's ``stack-removed`` finding, and deleting its file is a decision to commit.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rds_ha.guard.assembly import TEMPLATE_SUFFIX, GuardInputError, load_assembly

EXIT_BAD_INPUT = 2
EXIT_DECLINED = 3


@dataclass(frozen=True)
class Adoption:
    written: tuple[str, ...]
    kept: tuple[str, ...]
    overwritten: tuple[str, ...]
    without_stack: tuple[str, ...]


def plan_adoption(baseline: Path, current: Path) -> tuple[list[str], list[str], list[str]]:
    """(missing, existing, without a stack): template file names, each list sorted."""
    templates = load_assembly(current, label="CURRENT")
    nested = [key for key in templates if "/" in key]
    if nested:
        raise GuardInputError(
            f"CURRENT {str(current)!r} holds nested templates ({', '.join(nested)}): adopt "
            "baselines from a flat cloud assembly (cdk.out of `cdk synth`)"
        )
    have = {p.name for p in baseline.glob(f"*{TEMPLATE_SUFFIX}")} if baseline.is_dir() else set()
    return (
        sorted(set(templates) - have),
        sorted(set(templates) & have),
        sorted(have - set(templates)),
    )


def adopt_baselines(
    baseline: Path,
    current: Path,
    *,
    overwrite: bool = False,
    confirm: Callable[[list[str]], bool] = lambda _names: False,
) -> Adoption:
    """Write the missing baselines; with ``overwrite``, replace the existing ones too if
    ``confirm`` (given their names) says yes."""
    if baseline.exists() and not baseline.is_dir():
        raise GuardInputError(f"BASELINE {str(baseline)!r} must be a directory of baselines")
    missing, existing, without_stack = plan_adoption(baseline, current)
    replace = overwrite and bool(existing) and confirm(existing)
    baseline.mkdir(parents=True, exist_ok=True)
    for name in missing + (existing if replace else []):
        shutil.copyfile(current / name, baseline / name)
    return Adoption(
        written=tuple(missing),
        kept=() if replace else tuple(existing),
        overwritten=tuple(existing) if replace else (),
        without_stack=tuple(without_stack),
    )


def _ask(names: list[str]) -> bool:
    print(f"Replace {len(names)} existing baseline(s): {', '.join(names)}?")
    print("This accepts every change the guard reports for them. Type 'overwrite' to go on:")
    return sys.stdin.isatty() and input("> ").strip() == "overwrite"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rds_ha.guard.adopt", description=__doc__.splitlines()[0]
    )
    parser.add_argument("baseline", type=Path, help="Directory of baselines (e.g. baselines).")
    parser.add_argument("current", type=Path, help="Cloud assembly (e.g. cdk.out).")
    parser.add_argument(
        "--overwrite", action="store_true", help="Also replace existing baselines (asks first)."
    )
    parser.add_argument("--yes", action="store_true", help="With --overwrite: do not ask.")
    args = parser.parse_args(argv)
    try:
        result = adopt_baselines(
            args.baseline,
            args.current,
            overwrite=args.overwrite,
            confirm=(lambda _names: True) if args.yes else _ask,
        )
    except GuardInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for name in result.written:
        print(f"adopted {args.baseline / name}")
    for name in result.overwritten:
        print(f"overwrote {args.baseline / name}")
    for name in result.kept:
        print(f"kept {args.baseline / name} (exists; --overwrite replaces it)")
    for name in result.without_stack:
        print(
            f"no stack for {args.baseline / name}: the guard reports it as stack-removed; "
            "delete the file if that environment is not yours"
        )
    if args.overwrite and result.kept:
        print("nothing overwritten: not confirmed", file=sys.stderr)
        return EXIT_DECLINED
    return 0


if __name__ == "__main__":
    sys.exit(main())
