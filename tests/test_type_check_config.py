"""mypy reads only the aws_cdk modules pyproject.toml lists (the rest would take it most of a
minute): every aws_cdk module the type-checked code imports must be on that list, or its types
would silently be Any."""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MYPY = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def _followed() -> set[str]:
    followed: set[str] = set()
    for override in MYPY["overrides"]:
        if override.get("follow_imports") == "normal":
            followed |= set(override["module"])
    return followed


def _is_followed(module: str, followed: set[str]) -> bool:
    parts = module.split(".")
    prefixes = {".".join(parts[:n]) + ".*" for n in range(1, len(parts))}
    return module in followed or bool(prefixes & followed)


def _aws_cdk_submodules() -> set[str]:
    spec = importlib.util.find_spec("aws_cdk")
    assert spec is not None and spec.submodule_search_locations
    location = Path(next(iter(spec.submodule_search_locations)))
    return {path.name for path in location.iterdir() if (path / "__init__.py").exists()}


def _imported_aws_cdk_modules(paths: list[Path]) -> dict[str, str]:
    """Each aws_cdk module imported by the files under ``paths`` -> one file that imports it."""
    submodules = _aws_cdk_submodules()
    found: dict[str, str] = {}
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*.py"))]
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
                if node.module == "aws_cdk":
                    names += [f"aws_cdk.{a.name}" for a in node.names if a.name in submodules]
            for name in names:
                if name == "aws_cdk" or name.startswith("aws_cdk."):
                    found.setdefault(name, str(file))
    return found


def test_every_aws_cdk_module_the_code_imports_is_type_checked() -> None:
    followed = _followed()
    imported = _imported_aws_cdk_modules([ROOT / path for path in MYPY["files"]])
    assert "aws_cdk.aws_rds" in imported
    missing = {m: f for m, f in imported.items() if not _is_followed(m, followed)}
    assert not missing, (
        f"add to the follow_imports = 'normal' override in pyproject.toml: {missing}"
    )


def test_the_followed_list_names_no_module_that_does_not_exist() -> None:
    submodules = _aws_cdk_submodules()
    listed = {m for m in _followed() if m.startswith("aws_cdk.") and not m.endswith(".*")}
    unknown = sorted(m for m in listed if m.removeprefix("aws_cdk.") not in submodules)
    assert not unknown


def test_a_module_off_the_list_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "uses_glue.py"
    source.write_text("from aws_cdk import aws_glue as glue\nimport aws_cdk.aws_athena\n")
    imported = _imported_aws_cdk_modules([source])
    followed = _followed()
    assert sorted(m for m in imported if not _is_followed(m, followed)) == [
        "aws_cdk.aws_athena",
        "aws_cdk.aws_glue",
    ]
