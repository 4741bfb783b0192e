"""The library lives under constructs/ without shadowing the CDK `constructs` package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import constructs

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import constructs, rds_ha; print(constructs.__file__); print(constructs.Construct.__name__)"
)


def test_there_is_no_constructs_init_in_the_repository() -> None:
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_constructs_is_the_real_package_in_the_test_session() -> None:
    assert constructs.__file__ is not None
    assert "site-packages" in constructs.__file__
    assert hasattr(constructs, "Construct")


def test_constructs_is_the_real_package_where_app_py_runs() -> None:
    # app.py runs with the repository root first on sys.path, like `python -c` in that folder.
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    path, name = result.stdout.split()
    assert "site-packages" in path
    assert name == "Construct"


def test_cli_startup_loads_neither_aws_cdk_nor_cfn_lint() -> None:
    # Both take longer to import than the whole CLI; commands load them only when they need them.
    probe = "import sys, rds_ha.cli.app; print(sorted({'aws_cdk', 'cfnlint'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
