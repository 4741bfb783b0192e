"""Reading synthesized templates: a cloud assembly directory (``cdk.out``) or one template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEMPLATE_SUFFIX = ".template.json"


class GuardInputError(ValueError):
    """A path given to the guard is missing or does not hold CloudFormation templates."""


def stack_name_of(template_path: Path) -> str:
    """``cdk.out/Prod-Database.template.json`` -> ``Prod-Database``."""
    name = template_path.name
    return name[: -len(TEMPLATE_SUFFIX)] if name.endswith(TEMPLATE_SUFFIX) else template_path.stem


def load_template(path: Path) -> dict[str, Any]:
    try:
        template = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GuardInputError(f"cannot read template {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise GuardInputError(f"template {path} is not valid JSON: {error}") from error
    if not isinstance(template, dict) or not isinstance(template.get("Resources", {}), dict):
        raise GuardInputError(
            f"template {path} is not a CloudFormation template: expected a JSON object "
            "with a 'Resources' object"
        )
    return template


def load_assembly(path: Path, *, label: str) -> dict[str, dict[str, Any]]:
    """Templates keyed by their path relative to ``path`` (the file name for a flat ``cdk.out``).

    ``label`` names the argument in error messages (``BASELINE``, ``CURRENT``).
    """
    if path.is_file():
        return {path.name: load_template(path)}
    if not path.is_dir():
        raise GuardInputError(
            f"{label} {str(path)!r} does not exist: expected a cloud assembly directory "
            f"(e.g. cdk.out) or a single *{TEMPLATE_SUFFIX} file"
        )
    files = sorted(path.rglob(f"*{TEMPLATE_SUFFIX}"))
    if not files:
        raise GuardInputError(
            f"{label} {str(path)!r} holds no *{TEMPLATE_SUFFIX} files: expected a synthesized "
            "cloud assembly (run `cdk synth` first)"
        )
    return {file.relative_to(path).as_posix(): load_template(file) for file in files}
