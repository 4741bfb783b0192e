"""The installed `rds-ha` console script against a moto_server on 127.0.0.1: doctor, restore and
scale-up as an operator runs them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from .conftest import REGION, create_instance, moto_key

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    executable = shutil.which("moto_server", path=str(BIN)) or shutil.which("moto_server")
    if executable is None:
        pytest.fail("moto_server is not installed (moto[server] is a dev dependency)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def rds_ha(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "TERMINAL_WIDTH": "200",
    }
    return subprocess.run(
        [str(BIN / "rds-ha"), *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_doctor_restore_and_scale_up_through_the_console_script(moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    rds = boto3.client("rds", region_name=REGION)
    create_instance(rds, KmsKeyId=moto_key())

    doctor = rds_ha(
        moto_server, "--output", "json", "doctor", "orders-db", "--skip", "pending-maintenance"
    )
    checks = {c["check"]: c["status"] for c in json.loads(doctor.stdout)["checks"]}
    assert doctor.returncode == 1  # no alarms and no event subscription yet
    assert checks["multi-az"] == "warn"  # moto reports no SecondaryAvailabilityZone
    assert (checks["alarms"], checks["event-subscription"]) == ("fail", "fail")

    restore = rds_ha(
        moto_server,
        "--output",
        "json",
        "restore",
        "orders-db",
        "--target",
        "orders-restored",
        "--latest",
        "--yes",
    )
    assert restore.returncode == 0, restore.stderr
    assert json.loads(restore.stdout)["endpoint"].startswith("orders-restored.")
    again = rds_ha(
        moto_server, "restore", "orders-db", "--target", "orders-restored", "--latest", "--yes"
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr

    scale = rds_ha(moto_server, "scale-up", "orders-db", "--to", "db.r6g.xlarge", "--now", "--yes")
    assert scale.returncode == 0, scale.stderr
    assert "orders-db now runs db.r6g.xlarge" in scale.stdout
    described = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert described["DBInstanceClass"] == "db.r6g.xlarge"
    refused = rds_ha(moto_server, "scale-up", "orders-db", "--to", "db.r6g.large", "--yes")
    assert refused.returncode == 2

    # moto_server answers describe_pending_maintenance_actions with an HTML 500 page: the CLI
    # reports it as a failed AWS call, without a traceback.
    maintenance = rds_ha(moto_server, "maintenance", "orders-db")
    assert maintenance.returncode == 1
    assert "AWS call failed" in maintenance.stderr
    assert "Traceback" not in maintenance.stderr
