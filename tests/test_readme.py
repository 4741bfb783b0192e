"""The README's construct example keeps working."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _example() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- example: construct-usage.*?-->\n```python\n(.*?)```", readme, re.S)
    assert match, "README.md lost its construct-usage example"
    return match.group(1)


def test_readme_construct_example_synthesizes(tmp_path: Path) -> None:
    # The jsii runtime may already run in this worker, so CDK_OUTDIR would not reach it.
    code = _example().replace("cdk.App()", f"cdk.App(outdir={str(tmp_path)!r})")
    assert str(tmp_path) in code
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    template = json.loads((tmp_path / "Orders.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::RDS::DBInstance") == 1
    (instance,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance"]
    assert instance["Properties"]["DBInstanceClass"] == "db.r7g.large"
    assert instance["Properties"]["BackupRetentionPeriod"] == 14
    ingress = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"
    ]
    assert [rule["Properties"]["FromPort"] for rule in ingress] == [15432]
    assert "rds-db:connect" in json.dumps(template)
