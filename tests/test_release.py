"""The release checklist (`make release`) and the files a release carries."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    # Every case stops at a check before any step that changes something.
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["VERSION=1.x", "REASON=r"], "VERSION '1.x' is not X.Y.Z"),
        (["VERSION=9.9.9"], "REASON='why the baselines change' is required"),
        (["VERSION=9.9.9", "REASON=r"], "CHANGELOG.md has no '## [9.9.9]' section"),
    ],
)
def test_release_stops_at_the_first_unmet_step(args: list[str], message: str) -> None:
    result = _make("release", *args)
    assert result.returncode != 0
    assert message in result.stdout


def test_baseline_refresh_requires_a_reason() -> None:
    result = _make("baseline")
    assert result.returncode != 0
    assert "make baseline REASON=" in result.stdout


def test_changelog_has_an_unreleased_section_and_the_fallback_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    fallback = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools_scm"][
        "fallback_version"
    ]
    sections = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.MULTILINE)
    assert sections[0] == "Unreleased"
    assert fallback in sections
    assert "Keep a Changelog" in changelog


def test_license_is_the_apache_2_text_that_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
