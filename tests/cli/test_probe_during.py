"""`failover --probe` and `scale-up --probe`: the downtime clients saw while the operation ran,
measured with a fake driver (no network) that fails for a known interval."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from rds_ha.cli import ops_failover, ops_scale, probe_connect

from .conftest import create_cluster, create_instance, plain

DOWN_SECONDS = 0.3
PROBE = ("--probe", "--auth", "none", "--no-tls", "--interval-ms", "50")


class OutageDriver:
    """Stands in for psycopg: answers SELECT 1 except while ``down`` is set."""

    def __init__(self) -> None:
        self.down = threading.Event()
        self.params: list[dict[str, Any]] = []
        self.refuse_all = False

    def open(self, params: dict[str, Any]) -> OutageDriver:
        self.params.append(params)
        if self.refuse_all or self.down.is_set():
            raise ConnectionRefusedError(111, "Connection refused")
        return self

    def select_one(self) -> None:
        if self.down.is_set():
            raise OSError("server closed the connection unexpectedly")

    def close(self) -> None:
        pass

    def outage(self) -> None:
        """Down now, up again DOWN_SECONDS later (real time: the probe runs in a thread). The
        operation (its waits run on the tests' fake clock) lasts a third of the outage in real
        time, so it ends while clients are still down, as RDS may report a failover done."""
        self.down.set()
        threading.Timer(DOWN_SECONDS, self.down.clear).start()
        time.sleep(DOWN_SECONDS / 3)


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> OutageDriver:
    fake = OutageDriver()
    monkeypatch.setitem(probe_connect.OPENERS, probe_connect.POSTGRESQL, fake.open)
    return fake


def test_failover_probe_reports_the_downtime_clients_saw(rds, invoke, driver, monkeypatch):
    create_cluster(rds)
    start = ops_failover.start_failover

    def failover_and_drop(*args: Any) -> None:
        start(*args)
        driver.outage()

    monkeypatch.setattr(ops_failover, "start_failover", failover_and_drop)

    result = invoke("--output", "json", "failover", "orders", "--yes", *PROBE)

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["writer_after"] == "orders-b"  # moto failed the cluster over
    probe = report["probe"]
    assert probe["target"]["name"] == "orders"
    assert len(probe["outages"]) == 1
    assert probe["downtime_seconds"] == pytest.approx(DOWN_SECONDS, abs=0.15)
    assert probe["still_down"] is False
    assert probe["first_failure"] and probe["first_success_after_failure"]
    assert "probe: DOWN at" in result.stderr and "probe: up at" in result.stderr


def test_failover_probe_text_report_has_the_downtime(rds, invoke, driver, monkeypatch):
    create_cluster(rds)
    start = ops_failover.start_failover
    monkeypatch.setattr(ops_failover, "start_failover", lambda *a: (start(*a), driver.outage()))

    result = invoke("failover", "orders", "--yes", *PROBE)

    assert result.exit_code == 0, result.output
    text = plain(result.stdout)
    assert "Failover of orders complete" in text
    assert "Client-visible downtime: 0." in text and "in 1 outage(s)" in text
    assert "first failed query:" in text


def test_failover_probe_that_cannot_connect_changes_nothing(rds, invoke, driver):
    create_cluster(rds)
    driver.refuse_all = True

    result = invoke("failover", "orders", "--yes", *PROBE)

    assert result.exit_code == 1
    assert "cannot connect to postgres at" in plain(result.stderr)
    assert "Nothing was changed." in plain(result.stderr)
    cluster = rds.describe_db_clusters(DBClusterIdentifier="orders")["DBClusters"][0]
    writer = [
        m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"] if m["IsClusterWriter"]
    ]
    assert writer == ["orders-a"]


def test_login_options_without_probe_are_refused(rds, invoke):
    result = invoke("failover", "orders", "--yes", "--user", "app", "--interval-ms", "100")

    assert result.exit_code == 2
    assert "--user, --interval-ms go(es) with --probe" in plain(result.stderr)


def test_dry_run_with_probe_lists_the_probe_in_the_plan_and_connects_to_nothing(
    rds, invoke, driver
):
    create_cluster(rds)

    result = invoke("--output", "json", "failover", "orders", "--dry-run", *PROBE)

    assert result.exit_code == 0, result.output
    assert "probe SELECT 1 every 50 ms on postgres at" in result.stdout
    assert driver.params == []


def test_scale_up_probe_reports_the_downtime_of_the_class_change(rds, invoke, driver, monkeypatch):
    create_instance(rds)
    apply = ops_scale.apply_scale

    def drop_and_apply(*args: Any, **kwargs: Any) -> dict[str, Any]:
        driver.outage()
        return apply(*args, **kwargs)

    monkeypatch.setattr(ops_scale, "apply_scale", drop_and_apply)

    result = invoke(
        "--output", "json", "scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now", "--yes",
        *PROBE,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["database"], report["instance_class"]) == ("orders-db", "db.r6g.xlarge")
    assert report["probe"]["downtime_seconds"] == pytest.approx(DOWN_SECONDS, abs=0.15)
    assert len(report["probe"]["outages"]) == 1


def test_scale_up_probe_needs_now(rds, invoke):
    create_instance(rds)

    result = invoke("scale-up", "orders-db", "--to", "db.r6g.xlarge", "--yes", *PROBE)

    assert result.exit_code == 2
    assert "--probe needs --now" in plain(result.stderr)
