"""Adopting baselines for a user's own environments (`make baselines`, rds_ha.guard.adopt)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from rds_ha.cli.app import app
from rds_ha.guard.adopt import EXIT_DECLINED, adopt_baselines, main
from rds_ha.guard.assembly import GuardInputError


def test_adopt_writes_only_the_missing_baselines_and_keeps_the_existing(
    baseline, current, write_assembly, tmp_path
):
    current["Resources"]["Database"]["Properties"]["DBInstanceClass"] = "db.r7g.large"
    baselines = write_assembly("baselines", {"rds-ha-dev": baseline, "acme-prod": baseline})
    before = (baselines / "acme-prod.template.json").read_bytes()
    cdk_out = write_assembly("cdk.out", {"acme-dev": current, "acme-prod": current})

    result = adopt_baselines(baselines, cdk_out)

    assert result.written == ("acme-dev.template.json",)
    assert result.kept == ("acme-prod.template.json",)
    assert result.overwritten == ()
    assert result.without_stack == ("rds-ha-dev.template.json",)
    assert json.loads((baselines / "acme-dev.template.json").read_text()) == current
    assert (baselines / "acme-prod.template.json").read_bytes() == before
    # Never deleted: removing a stack's baseline is a decision of its own.
    assert (baselines / "rds-ha-dev.template.json").exists()


def test_overwrite_replaces_existing_baselines_only_when_confirmed(
    baseline, current, write_assembly
):
    current["Resources"]["Database"]["Properties"]["DBInstanceClass"] = "db.r7g.large"
    baselines = write_assembly("baselines", {"acme-prod": baseline})
    cdk_out = write_assembly("cdk.out", {"acme-prod": current})
    asked: list[list[str]] = []

    declined = adopt_baselines(
        baselines, cdk_out, overwrite=True, confirm=lambda names: asked.append(names) or False
    )
    assert asked == [["acme-prod.template.json"]]
    assert declined.overwritten == ()
    assert json.loads((baselines / "acme-prod.template.json").read_text()) == baseline

    accepted = adopt_baselines(baselines, cdk_out, overwrite=True, confirm=lambda _names: True)
    assert accepted.overwritten == ("acme-prod.template.json",)
    assert json.loads((baselines / "acme-prod.template.json").read_text()) == current


def test_adopt_creates_the_baselines_directory_of_a_new_project(current, write_assembly, tmp_path):
    cdk_out = write_assembly("cdk.out", {"acme-dev": current})

    result = adopt_baselines(tmp_path / "baselines", cdk_out)

    assert result.written == ("acme-dev.template.json",)
    assert (tmp_path / "baselines" / "acme-dev.template.json").is_file()


def test_adopt_without_a_cloud_assembly_is_a_clear_error(tmp_path):
    with pytest.raises(GuardInputError, match=r"CURRENT '.*cdk.out' does not exist"):
        adopt_baselines(tmp_path / "baselines", tmp_path / "cdk.out")


def test_the_command_says_what_it_did_and_refuses_overwrite_without_a_terminal(
    baseline, current, write_assembly, capsys
):
    baselines = write_assembly("baselines", {"acme-prod": baseline, "rds-ha-dev": baseline})
    cdk_out = write_assembly("cdk.out", {"acme-prod": current, "acme-dev": current})

    assert main([str(baselines), str(cdk_out)]) == 0
    out = capsys.readouterr().out
    assert f"adopted {baselines / 'acme-dev.template.json'}" in out
    assert f"kept {baselines / 'acme-prod.template.json'} (exists; --overwrite replaces it)" in out
    assert "rds-ha-dev.template.json: the guard reports it as stack-removed" in out

    # pytest's stdin is not a terminal: nothing is confirmed, nothing overwritten.
    assert main([str(baselines), str(cdk_out), "--overwrite"]) == EXIT_DECLINED
    assert "nothing overwritten: not confirmed" in capsys.readouterr().err


def test_after_adopting_the_guard_tells_no_baseline_from_stack_removed(baseline, write_assembly):
    baselines = write_assembly("baselines", {"rds-ha-dev": baseline})
    cdk_out = write_assembly("cdk.out", {"acme-dev": baseline})
    runner = CliRunner()

    before = runner.invoke(app, ["guard", str(baselines), str(cdk_out)], env={"COLUMNS": "250"})
    assert before.exit_code == 1
    assert "UNSAFE stack-removed rds-ha-dev" in before.output
    assert "NOT COMPARED acme-dev" in before.output

    adopt_baselines(baselines, cdk_out)
    (baselines / "rds-ha-dev.template.json").unlink()  # not one of this user's environments
    after = runner.invoke(app, ["guard", str(baselines), str(cdk_out)], env={"COLUMNS": "250"})
    assert after.exit_code == 0, after.output
    assert "NOT COMPARED" not in after.output


def test_the_module_runs_as_a_script(current, write_assembly, tmp_path):
    cdk_out = write_assembly("cdk.out", {"acme-dev": current})
    result = subprocess.run(
        [sys.executable, "-m", "rds_ha.guard.adopt", str(tmp_path / "b"), str(cdk_out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "adopted" in result.stdout
