"""What every command does the same way: global options anywhere, --version, help at 80 columns,
JSON errors, the confirmation rules, progress without a terminal and the timing of changes."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta

import pytest
import typer.main
from rich.console import Console
from typer.testing import CliRunner

from rds_ha.cli import waiting
from rds_ha.cli.app import app, hoist_global_options
from rds_ha.cli.context import CliContext
from rds_ha.cli.output import Timing

from .conftest import KMS_KEY, create_cluster, create_instance, instance_ids, moto_key, plain

# Every command the app registers (the help test runs each), read from the app itself so a new
# command cannot be left out.
COMMANDS = sorted(typer.main.get_group(app).commands)


def snapshot_ids(rds) -> list[str]:
    snapshots = rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return [s["DBSnapshotIdentifier"] for s in snapshots]


ROLE = "arn:aws:iam::123456789012:role/rds-s3-export"
UTC_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# --- 1. global options before or after the command ---------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--output", "json", "doctor", "orders-db", "--skip", "pending-maintenance"],
        ["doctor", "orders-db", "--output", "json", "--skip", "pending-maintenance"],
        ["doctor", "orders-db", "--skip", "pending-maintenance", "--output=json"],
    ],
)
def test_output_option_works_before_and_after_the_command(rds, invoke, args):
    create_instance(rds)

    result = invoke(*args, "--region", "us-east-1")

    assert "No such option" not in result.output
    assert json.loads(result.stdout)["database"] == "orders-db"


def test_region_and_profile_after_the_command_reach_the_session(rds, invoke):
    # A profile that does not exist proves --profile was read (moto does not model profiles).
    create_instance(rds)

    result = invoke("doctor", "orders-db", "--region", "us-east-1", "--profile", "no-such")

    assert result.exit_code == 2
    assert "--profile" in result.stderr and "no-such" in result.stderr


def test_hoisting_leaves_arguments_after_a_double_dash_alone():
    args = ["guard", "a", "--output", "json", "--", "--region", "x"]

    assert hoist_global_options(args) == ["--output", "json", "guard", "a", "--", "--region", "x"]


# --- 2. --version -----------------------------------------------------------------------------


def test_version_prints_the_package_version(invoke):
    result = invoke("--version")

    assert result.exit_code == 0
    assert re.fullmatch(r"rds-ha \d+\.\d+\.\d+\S*\n", result.stdout)


# --- 3. help at 80 columns ---------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_fits_80_columns_whole_and_lists_the_exit_codes(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80"})

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = result.stdout
    assert "…" not in text and "<bool>" not in text and "<str>" not in text
    for code, meaning in [("0", "success"), ("2", "bad input"), ("3", "declined")]:
        assert re.search(rf"^\s+{code}\s+{meaning}", text, re.M), text


def test_help_shows_whole_option_names_and_flags_without_negations():
    result = CliRunner().invoke(app, ["scale-up", "--help"], env={"COLUMNS": "80"})

    assert "--allow-downsize " in result.stdout and "--include-pending " in result.stdout
    assert "--no-allow-downsize" not in result.stdout
    assert "--to CLASS" in result.stdout and "--timeout SECONDS" in result.stdout


def test_top_level_help_shows_each_command_summary_whole():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "80"})

    assert "(use it..." not in result.stdout
    assert "exit 1 if any check fails (use it to gate CI)." in plain(result.stdout)


# --- 6. errors as JSON with --output json --------------------------------------------------------


def test_refusal_with_output_json_is_a_json_error_on_stdout(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("failover", "orders-db", "--yes", "--output", "json")

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "refused"
    assert error["exit_code"] == 2
    assert "single-AZ" in error["message"]
    assert error["hint"]
    assert instance_ids(rds) == ["orders-db"]


def test_usage_error_with_output_json_is_a_json_error_on_stdout(invoke):
    result = invoke("--output", "json", "doctor", "orders-db", "--no-such-option")

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "usage"
    assert "--no-such-option" in error["message"]


def test_failed_doctor_with_output_json_keeps_one_document_on_stdout(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("--output", "json", "doctor", "orders-db", "--skip", "pending-maintenance")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["passed"] is False  # the report, not an error object
    assert "check(s) failed" in result.stderr


def test_text_mode_errors_stay_on_stderr(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("failover", "orders-db", "--yes")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: orders-db is single-AZ")


# --- 7. confirmation without a terminal, and a declined prompt -------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["failover", "orders"],
        ["restore", "orders-db", "--target", "orders-copy", "--latest"],
        ["scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now"],
        ["maintenance", "orders-db", "--apply", "immediate"],
        ["protect", "some-stack"],
        ["snapshot", "orders-db", "--export-to", "b-u-c", "--role", ROLE, "--kms-key", KMS_KEY],
    ],
)
def test_without_a_terminal_and_without_yes_nothing_is_called_and_exit_is_2(
    invoke, monkeypatch, args
):
    # Every AWS client is a trap: the refusal must come before the first call.
    def no_aws(self: CliContext, service: str) -> None:
        raise AssertionError(f"called AWS ({service}) before refusing")

    monkeypatch.setattr(CliContext, "client", no_aws)

    result = invoke(*args)

    assert result.exit_code == 2, result.output
    assert "pass --yes" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert "Aborted" not in result.output


def test_a_single_az_snapshot_without_a_terminal_is_refused_before_the_snapshot(rds, invoke):
    create_instance(rds, MultiAZ=False)

    result = invoke("snapshot", "orders-db")

    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert snapshot_ids(rds) == []


def test_declined_prompt_exits_3_and_says_nothing_was_changed(rds, invoke, interactive):
    create_instance(rds, MultiAZ=False)

    result = invoke("snapshot", "orders-db", input="n\n")

    assert result.exit_code == 3
    assert "declined at the confirmation prompt; nothing was changed" in result.stderr
    assert snapshot_ids(rds) == []


def test_end_of_input_at_the_prompt_counts_as_declined(rds, invoke, interactive):
    create_instance(rds, MultiAZ=False)

    result = invoke("snapshot", "orders-db", input="")

    assert result.exit_code == 3
    assert "Aborted" not in result.output
    assert snapshot_ids(rds) == []


def test_dry_run_needs_no_terminal(rds, invoke):
    create_instance(rds)

    result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarge", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was changed." in result.stdout


# --- 4. progress without a terminal -------------------------------------------------------------


def test_wait_without_a_terminal_prints_plain_progress_lines_at_a_steady_interval(fake_clock):
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=False, width=80)
    states = iter(["creating 10%"] * 8 + ["creating 60%"] * 3 + ["available"])
    timer = waiting.Timer(
        sleep=fake_clock.sleep, clock=fake_clock.clock, poll_seconds=15, progress_seconds=60
    )

    waiting.wait_for(
        "snapshot orders-1",
        lambda: ((status := next(states)) == "available", status),
        timeout_seconds=3600,
        timer=timer,
        console=console,
    )

    assert stream.getvalue().splitlines() == [
        "snapshot orders-1: creating 10% (waiting, 0s elapsed)",
        "snapshot orders-1: creating 10% (waiting, 1m 00s elapsed)",
        "snapshot orders-1: creating 60% (waiting, 2m 00s elapsed)",
        "snapshot orders-1: available (done, 2m 45s elapsed)",
    ]


def test_snapshot_in_a_pipe_reports_its_wait_on_stderr(rds, invoke):
    create_instance(rds)

    result = invoke("--output", "json", "snapshot", "orders-db", "--snapshot-id", "s1")

    assert result.exit_code == 0, result.output
    assert "snapshot s1: available (done, 0s elapsed)" in result.stderr
    json.loads(result.stdout)  # stdout holds only the result


# --- 8. start, end and duration of every change --------------------------------------------


def test_timing_reports_utc_to_the_second_and_a_duration_that_agrees(fake_clock):
    start = datetime.fromisoformat("2026-11-24T20:55:20.244836+01:00")
    timing = Timing.begin(start, fake_clock.clock)
    fake_clock.sleep(61.6)

    times = timing.end()

    assert times["duration_seconds"] == 62
    assert times["finished_at"] - times["started_at"] == timedelta(seconds=62)
    assert times["started_at"].isoformat() == "2026-11-24T19:55:20+00:00"


def _assert_timed(report: dict) -> None:
    assert UTC_SECOND.match(report["started_at"]), report
    assert UTC_SECOND.match(report["finished_at"]), report
    assert isinstance(report["duration_seconds"], int)
    started = datetime.fromisoformat(report["started_at"])
    finished = datetime.fromisoformat(report["finished_at"])
    assert (finished - started).total_seconds() == report["duration_seconds"]


def test_snapshot_and_restore_report_start_end_and_duration(rds, invoke):
    create_instance(rds, KmsKeyId=moto_key())

    snapshot = invoke("--output", "json", "snapshot", "orders-db", "--snapshot-id", "s1")
    restore = invoke(
        "--output", "json", "restore", "orders-db", "--target", "copy", "--latest", "--yes"
    )
    text = invoke("snapshot", "orders-db", "--snapshot-id", "s2")

    assert snapshot.exit_code == restore.exit_code == text.exit_code == 0, restore.output
    _assert_timed(json.loads(snapshot.stdout))
    report = json.loads(restore.stdout)
    _assert_timed(report)
    assert UTC_SECOND.match(report["restore_time"])
    assert re.search(r"Started \S+Z, finished \S+Z \(0s, 0 s\)\.", text.stdout)


def test_cluster_failover_reports_completion_timing_and_the_cluster_impact(rds, invoke):
    # moto models a DB cluster failover (the writer moves to the reader).
    create_cluster(rds, "payments")

    plan = invoke("failover", "payments", "--dry-run")
    result = invoke("failover", "payments", "--yes")
    report = invoke("--output", "json", "failover", "payments", "--yes")

    assert "typically under 35 seconds" in plain(plan.stdout)
    assert result.exit_code == 0, result.output
    assert "Failover of payments complete in 0s: writer payments-a" in plain(result.stdout)
    assert "Failed over" not in result.stdout
    _assert_timed(json.loads(report.stdout))


def test_scale_up_reports_start_end_and_duration(rds, invoke):
    create_instance(rds)

    result = invoke(
        "--output", "json", "scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now", "--yes"
    )

    assert result.exit_code == 0, result.output
    _assert_timed(json.loads(result.stdout))
