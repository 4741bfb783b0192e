"""cdk.json configures every feature flag the installed aws-cdk-lib recommends, and the docs
(docs/development.md, "Feature flags") say why each one not at its recommended value is left out.

The flags come from aws-cdk-lib itself (``recommended-feature-flags.json`` in the jsii bundle the
Python package ships, the file ``cdk init`` writes into a new cdk.json), so an upgrade that adds
a flag fails here until the flag is decided."""

from __future__ import annotations

import json
import re
import tarfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECOMMENDED_MEMBER = "package/recommended-feature-flags.json"


def _recommended_flags() -> dict[str, Any]:
    dist = metadata.distribution("aws-cdk-lib")
    bundles = [f for f in dist.files or [] if f.name.endswith(".jsii.tgz")]
    assert len(bundles) == 1, f"expected one jsii bundle in aws-cdk-lib {dist.version}: {bundles}"
    with tarfile.open(dist.locate_file(bundles[0]), "r:gz") as bundle:
        member = bundle.extractfile(RECOMMENDED_MEMBER)
        assert member is not None, f"{RECOMMENDED_MEMBER} missing from aws-cdk-lib {dist.version}"
        flags: dict[str, Any] = json.load(member)
    return flags


@pytest.fixture(scope="module")
def recommended() -> dict[str, Any]:
    flags = _recommended_flags()
    assert len(flags) > 50  # the real list, not an empty or truncated file
    return flags


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    configured: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return configured


def _left_out_in_readme() -> set[str]:
    development = (ROOT / "docs" / "development.md").read_text()
    section = re.search(r"^## Feature flags\n(.*?)(?=^#|\Z)", development, re.S | re.M)
    assert section, "docs/development.md lost its Feature flags section"
    return set(re.findall(r"^- `([^`:]+:[^`:]+): [^`]+`:", section.group(1), re.M))


def test_every_recommended_flag_is_configured(recommended, context) -> None:
    unconfigured = sorted(set(recommended) - set(context))
    assert unconfigured == [], (
        "aws-cdk-lib knows feature flags cdk.json does not set; synth the app with each at its "
        "recommended value, diff the templates with baselines/ and set it in cdk.json (at the "
        "old value, listed in docs/development.md 'Feature flags', if it changes anything): "
        f"{unconfigured}"
    )


def test_cdk_json_sets_no_unknown_flag(recommended, context) -> None:
    flags = {key for key in context if key.startswith("@aws-cdk")}
    assert sorted(flags - set(recommended)) == []


def test_the_readme_lists_exactly_the_flags_not_at_their_recommended_value(
    recommended, context
) -> None:
    left_out = {key for key, value in recommended.items() if context.get(key) != value}
    assert _left_out_in_readme() == left_out


def test_left_out_flags_keep_the_old_behaviour(recommended, context) -> None:
    # A flag left out is set to its old (unset) behaviour, false, never to some third value.
    for flag in _left_out_in_readme():
        assert isinstance(recommended[flag], bool)
        assert context[flag] is (not recommended[flag])
