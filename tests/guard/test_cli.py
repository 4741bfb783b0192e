"""`rds-ha guard`: exit codes, text and JSON output, and bad paths."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from rds_ha.cli.app import app

runner = CliRunner()


def invoke(*args: str):
    # A wide terminal keeps rich from folding words across table cells and lines.
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


def test_identical_assemblies_exit_0(baseline, current, write_assembly):
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = invoke("guard", str(old), str(new))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Safe: no stateful resource is deleted or replaced "
        "(1 stack(s), 0 unsafe finding(s), 0 safe change(s))."
    ]


def test_in_place_change_is_counted_and_listed_only_with_verbose(baseline, current, write_assembly):
    current["Resources"]["Database"]["Properties"]["DBInstanceClass"] = "db.r7g.large"
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    quiet = invoke("guard", str(old), str(new))
    verbose = invoke("guard", str(old), str(new), "--verbose")

    assert quiet.exit_code == verbose.exit_code == 0, quiet.output
    assert quiet.output.splitlines() == [
        "Safe: no stateful resource is deleted or replaced "
        "(1 stack(s), 0 unsafe finding(s), 1 safe change(s)).",
        "1 safe change(s) not listed; --verbose lists them.",
    ]
    assert verbose.output.splitlines()[1].startswith(
        "ok in-place App-Prod/Database (AWS::RDS::DBInstance): "
    )
    assert verbose.output.splitlines()[1].endswith(
        "[DBInstanceClass: db.t4g.medium -> db.r7g.large]"
    )


def test_report_at_80_columns_is_one_whole_line_per_unsafe_finding(
    baseline, current, write_assembly
):
    # What a CI log shows: no table, no cell wrapped to a few characters, nothing cut.
    current["Resources"]["Database"]["Properties"]["StorageEncrypted"] = False
    for alarm in ("CpuAlarm",):
        current["Resources"][alarm]["Properties"]["Threshold"] = 99
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = runner.invoke(app, ["guard", str(old), str(new)], env={"COLUMNS": "80"})

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Unsafe: 1 finding(s) would delete, replace or unprotect")
    assert lines[0].endswith("(1 stack(s), 1 unsafe finding(s), 1 safe change(s)).")
    assert lines[1].startswith("UNSAFE replaced App-Prod/Database (AWS::RDS::DBInstance): would")
    assert lines[1].endswith("[StorageEncrypted: true -> false]")
    assert lines[2:] == ["1 safe change(s) not listed; --verbose lists them."]


def test_unsafe_change_exits_1_and_names_stack_resource_and_reason(
    baseline, current, write_assembly
):
    current["Resources"]["Database"]["Properties"]["StorageEncrypted"] = False
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = invoke("guard", str(old), str(new))

    assert result.exit_code == 1, result.output
    assert (
        "UNSAFE replaced App-Prod/Database (AWS::RDS::DBInstance): would be replaced: "
        "create-only property StorageEncrypted changed" in result.output
    )
    assert "Unsafe: 1 finding(s)" in result.output


def test_json_output_lists_findings_with_old_and_new(baseline, current, write_assembly):
    del current["Resources"]["Vault"]
    current["Resources"]["Key"]["DeletionPolicy"] = "Delete"
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = invoke("--output", "json", "guard", str(old), str(new))

    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    assert document["safe"] is False
    assert document["unsafe_count"] == 2
    assert document["stacks"] == ["App-Prod"]
    by_id = {finding["logical_id"]: finding for finding in document["findings"]}
    assert by_id["Vault"]["category"] == "removed"
    assert by_id["Vault"]["new"] is None
    assert by_id["Key"] == {
        "stack": "App-Prod",
        "logical_id": "Key",
        "resource_type": "AWS::KMS::Key",
        "category": "policy-weakened",
        "unsafe": True,
        "property": "DeletionPolicy",
        "old": "Retain",
        "new": "Delete",
        "message": "DeletionPolicy weakened from Retain to Delete",
    }


def test_json_output_of_a_safe_change_exits_0(baseline, current, write_assembly):
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = invoke("--output", "json", "guard", str(old), str(new))

    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "safe": True,
        "unsafe_count": 0,
        "stacks": ["App-Prod"],
        "findings": [],
    }


def test_single_template_files_are_compared_with_each_other(baseline, current, tmp_path):
    current["Resources"]["Logs"]["Properties"]["DeletionProtectionEnabled"] = False
    old = tmp_path / "old.json"
    new = tmp_path / "new.template.json"
    old.write_text(json.dumps(baseline))
    new.write_text(json.dumps(current))

    result = invoke("--output", "json", "guard", str(old), str(new))

    assert result.exit_code == 1, result.output
    [finding] = json.loads(result.output)["findings"]
    assert (finding["stack"], finding["category"]) == ("old", "protection-off")


def test_missing_baseline_exits_2_with_a_clear_message(current, write_assembly, tmp_path):
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = invoke("guard", str(tmp_path / "nope"), str(new))

    assert result.exit_code == 2
    assert f"BASELINE '{tmp_path / 'nope'}' does not exist" in result.output
    assert "expected a cloud assembly directory" in result.output


def test_directory_without_templates_exits_2(baseline, write_assembly, tmp_path):
    old = write_assembly("released", {"App-Prod": baseline})
    empty = tmp_path / "empty"
    empty.mkdir()

    result = invoke("guard", str(old), str(empty))

    assert result.exit_code == 2
    assert "CURRENT" in result.output
    assert "holds no *.template.json files" in result.output


def test_invalid_json_template_exits_2(baseline, write_assembly):
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {})
    (new / "App-Prod.template.json").write_text("{not json")

    result = invoke("guard", str(old), str(new))

    assert result.exit_code == 2
    assert "is not valid JSON" in result.output


def test_text_output_shows_values_that_look_like_rich_markup(baseline, current, write_assembly):
    baseline["Resources"]["CpuAlarm"]["Properties"]["AlarmDescription"] = "CPU [bold] over"
    current["Resources"]["CpuAlarm"]["Properties"]["AlarmDescription"] = "CPU [/] over"
    old = write_assembly("released", {"App-Prod": baseline})
    new = write_assembly("cdk.out", {"App-Prod": current})

    result = invoke("guard", str(old), str(new), "--verbose")

    assert result.exit_code == 0, result.output
    assert "CPU [bold] over -> CPU [/] over" in result.output


def test_a_template_file_compared_with_a_directory_exits_2(baseline, write_assembly):
    directory = write_assembly("cdk.out", {"App-Prod": baseline})
    template = directory / "App-Prod.template.json"

    result = invoke("guard", str(template), str(directory))

    assert result.exit_code == 2
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
    assert "must both be cloud assembly directories or both be single template files" in text
