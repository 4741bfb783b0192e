"""`rds-ha probe` against the real PostgreSQL and MariaDB of this machine, through a TCP proxy
that the test cuts for a known interval (tcp_proxy.py): the measured downtime must match it.

Needs PostgreSQL on 127.0.0.1:5432 (trust authentication, database `test`) and MariaDB on
127.0.0.1:3306 (root without a password, database `test`); each test skips, saying so, where
its server is not running. RDS_HA_TEST_PG_USER names the PostgreSQL user (default postgres).
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any

import pytest

from rds_ha.cli import ops_probe, probe_connect
from rds_ha.cli.probe_connect import Auth, Tls

from .conftest import plain
from .tcp_proxy import CuttableProxy

PG_USER = os.environ.get("RDS_HA_TEST_PG_USER", "postgres")
SERVERS = {
    "postgres": ("127.0.0.1", 5432, PG_USER, "PostgreSQL (trust authentication, database test)"),
    "mariadb": ("127.0.0.1", 3306, "root", "MariaDB (root without a password, database test)"),
}
CUT_SECONDS = 1.5
# The probe notices a cut at its next query and a restore at the next one after it.
TOLERANCE_SECONDS = 0.5


def _require(engine: str) -> tuple[str, int, str]:
    host, port, user, what = SERVERS[engine]
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError as error:
        pytest.skip(f"needs {what} on {host}:{port} ({error}); start it to run this test")
    return host, port, user


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_measured_downtime_matches_the_cut(engine: str, invoke: Any) -> None:
    host, port, user = _require(engine)
    with CuttableProxy(host, port) as proxy:
        # The cut comes once the probe is logged in and has had answers to its first queries.
        cut, cutter = proxy.cut_for(CUT_SECONDS, after=0.2, after_replies=3)
        started = time.monotonic()
        result = invoke(
            "--output", "json", "probe", "--host", "127.0.0.1", "--port", str(proxy.port),
            "--engine", engine, "--user", user, "--database", "test", "--auth", "none",
            "--no-tls", "--duration", "3.0",
        )  # fmt: skip
        cutter.join()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert cut.started > started
    assert len(report["outages"]) == 1, report
    assert report["downtime_seconds"] == pytest.approx(cut.seconds, abs=TOLERANCE_SECONDS)
    assert report["longest_outage_seconds"] == report["downtime_seconds"]
    assert report["reconnects"] == 1
    assert not report["still_down"]
    # The open connection breaks first, then new ones are refused until the proxy listens again.
    assert report["errors"]["query/connection-lost"] == 1
    assert report["errors"]["connect/refused"] >= 3
    assert report["first_failure"] <= report["first_success_after_failure"]
    lines = result.stderr.splitlines()
    assert any(line.startswith("probe: DOWN at +") for line in lines)
    assert any(" down (1 reconnect(s) so far)" in line for line in lines)


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_tls_is_required_by_default_and_refused_by_a_server_without_it(
    engine: str, invoke: Any
) -> None:
    # The local servers have no TLS, so the default (require) must refuse them, never fall back.
    host, port, user = _require(engine)
    result = invoke(
        "probe", "--host", host, "--port", str(port), "--engine", engine, "--user", user,
        "--database", "test", "--auth", "none", "--duration", "0.5",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "tls:" in plain(result.output)
    assert "Nothing was measured" in plain(result.output)


def test_background_probe_measures_an_operation_on_a_real_database() -> None:
    host, port, user = _require("postgres")
    with CuttableProxy(host, port) as proxy:
        endpoint = probe_connect.host_endpoint("127.0.0.1", proxy.port, "postgres")
        target = probe_connect.choose_target(
            endpoint, auth=Auth.NONE, secret_arn=None, user=user, database="test",
            ca_bundle=None, no_tls=True,
        )  # fmt: skip
        assert target.tls is Tls.OFF

        def operation() -> float:
            # Stands in for a failover: the endpoint is gone for a while, then answers again.
            time.sleep(0.3)
            proxy.cut()
            time.sleep(1.0)
            proxy.restore()
            return 1.0

        cut_seconds, report = ops_probe.probe_while(
            probe_connect.connector(target, lambda: None), operation, wait_up_seconds=2.0
        )
    assert report.downtime_seconds == pytest.approx(cut_seconds, abs=TOLERANCE_SECONDS)
    assert report.reconnects == 1
    assert not report.still_down
