"""The library lives under constructs/ without shadowing the CDK `constructs` package."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import constructs
import pytest

import rds_ha
from rds_ha.cli import entry

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


def test_app_py_synth_loads_neither_boto3_nor_cdk_pipelines() -> None:
    # boto3 is for the CLI and the Lambda handlers, CDK Pipelines only for a [pipeline] table:
    # both are slow to import, and app.py imports its stacks on every synth.
    probe = (
        "import sys, app; print(sorted({'boto3', 'botocore', 'aws_cdk.pipelines'} & "
        "set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_app_py_uses_only_the_librarys_public_api() -> None:
    # import-linter checks the stacks package (pyproject.toml); app.py is a module, checked here.
    library = [m for m in _imported_modules(ROOT / "app.py") if m.split(".")[0] == "rds_ha"]
    assert library == ["rds_ha"]


def test_every_public_name_is_importable_from_rds_ha() -> None:
    for name in rds_ha.__all__:
        assert getattr(rds_ha, name) is not None, name
    for name in ("DatabaseBackups", "SnapshotExport", "DatabaseAlarms", "HighlyAvailableDatabase"):
        assert name in rds_ha.__all__


def test_console_script_without_the_cli_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name in {"typer", "rich"} else real_find_spec(name, *args)

    monkeypatch.setattr(entry.importlib.util, "find_spec", find_spec)
    with pytest.raises(SystemExit) as exit_:
        entry.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "missing: typer, rich" in err
    assert "pip install 'cdk-rds-ha[cli]'" in err


def test_console_script_runs_the_cli_when_the_extra_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from rds_ha.cli.entry import main; main()", "--version"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rds-ha ")


def test_the_console_script_is_the_entry_that_checks_for_the_extra() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"rds-ha": "rds_ha.cli.entry:main"}
