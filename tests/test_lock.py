"""requirements/dev.lock is what `make setup` installs: it must still satisfy pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "dev.lock"


def _pins(path: Path) -> list[str]:
    # The header names the output file; the pins and their "via" lines are what matter.
    return [line for line in path.read_text().splitlines() if not line.startswith("#")]


def test_the_lock_is_current_with_pyproject(tmp_path: Path) -> None:
    # `make lock` keeps the pins that pyproject.toml still allows: on a current lock it changes
    # nothing, and a dependency added, removed or re-bounded without `make lock` shows here.
    copy = tmp_path / "dev.lock"
    shutil.copy(LOCK, copy)
    result = subprocess.run(
        ["make", "--no-print-directory", "lock", f"LOCK={copy}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _pins(copy) == _pins(LOCK), "requirements/dev.lock is stale: run `make lock`"


def test_the_lock_pins_every_package_to_one_version() -> None:
    pins = [line for line in _pins(LOCK) if line and not line.startswith(" ")]
    assert pins, "the lock pins nothing"
    assert all("==" in line for line in pins), [line for line in pins if "==" not in line]
    names = {line.split("==")[0].lower() for line in pins}
    assert {"aws-cdk-lib", "cfn-lint", "boto3", "cdk-nag", "pytest", "psycopg"} <= names
