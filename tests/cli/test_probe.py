"""`rds-ha probe`: the loop with a fake connection and clock, the endpoint and login choice
against moto, the background probe.

moto models describe_db_instances/clusters/proxies and Secrets Manager; botocore signs the IAM
token locally, so it needs only the fake credentials of conftest. No test reaches a database
here (test_probe_live.py does, through a proxy it cuts).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from rds_ha.cli import ops_probe, probe_connect
from rds_ha.cli.errors import UnsafeOperationError
from rds_ha.cli.probe_connect import Auth, Endpoint, Tls

from .conftest import REGION, create_cluster, create_instance, plain

WALL = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)


class FakeDatabase:
    """A database that is down during [down_from, down_until) of a fake clock."""

    def __init__(self, down_from: float, down_until: float, connect_seconds: float = 0.0) -> None:
        self.now = 0.0
        self.down = (down_from, down_until)
        self.connect_seconds = connect_seconds
        self.opened = 0
        self.clock = ops_probe.Clock(
            monotonic=self.monotonic, sleep=self.sleep, utcnow=lambda: WALL
        )

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def is_down(self) -> bool:
        return self.down[0] <= self.now < self.down[1]

    def connect(self) -> FakeConnection:
        self.now += self.connect_seconds
        if self.is_down():
            raise ConnectionRefusedError(111, "Connection refused")
        self.opened += 1
        return FakeConnection(self)


class FakeConnection:
    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.born = database.now
        self.closed = False

    def select_one(self) -> None:
        db = self.database
        # A connection opened before the outage never works again, as after a failover.
        if db.is_down() or self.born < db.down[0] <= db.now:
            raise OSError("server closed the connection unexpectedly")

    def close(self) -> None:
        self.closed = True


# --- the loop ----------------------------------------------------------------------------------


def test_outage_is_measured_from_first_failed_query_to_first_success_after_it() -> None:
    db = FakeDatabase(down_from=1.0, down_until=2.5)
    changes: list[ops_probe.StateChange] = []
    report = ops_probe.run_probe(
        db.connect, duration_seconds=4.0, clock=db.clock, on_change=changes.append
    )
    assert report.queries == 16
    assert report.failed_queries == 6
    assert report.downtime_seconds == pytest.approx(1.5)
    assert report.longest_outage_seconds == pytest.approx(1.5)
    assert report.reconnects == 1
    assert dict(report.errors) == {"query/connection-lost": 1, "connect/refused": 5}
    assert report.first_failure == datetime(2026, 12, 1, 10, 0, 1, tzinfo=UTC)
    assert report.first_success_after_failure == datetime(2026, 12, 1, 10, 0, 2, 500000, UTC)
    assert not report.still_down
    assert [(c.up, c.elapsed_seconds) for c in changes] == [(True, 0.0), (False, 1.0), (True, 2.5)]
    assert changes[2].down_seconds == pytest.approx(1.5)


def test_report_json_has_utc_seconds_and_millisecond_durations() -> None:
    db = FakeDatabase(down_from=1.0, down_until=2.5)
    data = ops_probe.run_probe(db.connect, duration_seconds=4.0, clock=db.clock).as_dict()
    assert data["first_failure"] == "2026-12-01T10:00:01Z"
    assert data["first_success_after_failure"] == "2026-12-01T10:00:02Z"
    assert data["downtime_seconds"] == 1.5
    assert data["outages"] == [
        {
            "started": "2026-12-01T10:00:01Z",
            "ended": "2026-12-01T10:00:02Z",
            "seconds": 1.5,
            "failed_queries": 6,
            "errors": {"connect/refused": 5, "query/connection-lost": 1},
        }
    ]
    json.dumps(data)


def test_no_outage_reports_zero_downtime() -> None:
    db = FakeDatabase(down_from=99, down_until=100)
    report = ops_probe.run_probe(db.connect, duration_seconds=1.0, clock=db.clock)
    assert (report.queries, report.failed_queries, report.reconnects) == (4, 0, 0)
    assert report.as_dict()["downtime_seconds"] == 0.0
    assert report.first_failure is None


def test_slow_connect_attempts_follow_each_other_without_waiting_an_interval() -> None:
    # A dead endpoint that times out each connect after 2 s: the next attempt starts at once.
    db = FakeDatabase(down_from=0.0, down_until=5.0, connect_seconds=2.0)
    report = ops_probe.run_probe(db.connect, duration_seconds=7.0, clock=db.clock)
    assert report.errors["connect/refused"] == 2  # at 2 s and 4 s (after the 2 s timeouts)
    assert report.first_success is not None
    assert report.downtime_seconds == pytest.approx(6.0)  # from 0 to the answer at 6 s


def test_outage_open_at_the_end_is_reported_still_down() -> None:
    db = FakeDatabase(down_from=1.0, down_until=99)
    report = ops_probe.run_probe(db.connect, duration_seconds=3.0, clock=db.clock)
    assert report.still_down
    assert report.downtime_seconds == pytest.approx(2.0)
    assert report.as_dict()["outages"][0]["ended"] is None


def test_ctrl_c_ends_the_probe_with_a_report() -> None:
    db = FakeDatabase(down_from=99, down_until=100)

    def sleep(seconds: float) -> None:
        db.now += seconds
        if db.now >= 1.0:
            raise KeyboardInterrupt

    clock = ops_probe.Clock(monotonic=db.monotonic, sleep=sleep, utcnow=lambda: WALL)
    report = ops_probe.run_probe(db.connect, clock=clock)
    assert report.interrupted
    assert report.queries == 4


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ('connection to server at "10.0.0.5", port 5432 failed: Connection refused', "refused"),
        ('connection to server at "10.0.0.5", port 5432 failed: timeout expired', "timeout"),
        ("server closed the connection unexpectedly", "connection-lost"),
        ("consuming input failed: EOF detected", "connection-lost"),
        ("SSL SYSCALL error: EOF detected", "connection-lost"),
        ("FATAL:  the database system is shutting down", "not-accepting"),
        ('FATAL:  PAM authentication failed for user "app"', "auth"),
        ('could not translate host name "orders-db" to address', "dns"),
        ("server does not support SSL, but SSL was required", "tls"),
        ("failed: expected authentication request from server, but received H", "protocol"),
        ("(2003, \"Can't connect to MySQL server on '10.0.0.5' (timed out)\")", "timeout"),
        ("(2013, 'Lost connection to MySQL server during query')", "connection-lost"),
        ("(2006, 'MySQL server has gone away')", "connection-lost"),
        ("(1045, \"Access denied for user 'app'@'10.0.0.9'\")", "auth"),
        ('(2026, "SSL is required but the server doesn\'t support it")', "tls"),
    ],
)
def test_driver_errors_are_counted_by_kind(message: str, kind: str) -> None:
    assert ops_probe.error_kind(Exception(message)) == kind


def test_unknown_errors_keep_their_type() -> None:
    assert ops_probe.error_kind(ValueError("odd")) == "other:ValueError"


# --- endpoint and login ------------------------------------------------------------------------


class FakeDriver:
    """Stands in for psycopg/PyMySQL: records the connect arguments, answers SELECT 1."""

    def __init__(self) -> None:
        self.params: list[dict[str, Any]] = []

    def open(self, params: dict[str, Any]) -> Any:
        self.params.append(params)
        return self

    def select_one(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> FakeDriver:
    fake = FakeDriver()
    monkeypatch.setitem(probe_connect.OPENERS, probe_connect.POSTGRESQL, fake.open)
    monkeypatch.setitem(probe_connect.OPENERS, probe_connect.MYSQL, fake.open)
    return fake


def test_instance_is_probed_at_its_endpoint_with_an_iam_token(
    rds: Any, driver: FakeDriver, invoke: Any
) -> None:
    create_instance(rds, EnableIAMDatabaseAuthentication=True, Port=15432, DBName="orders")
    address = rds.describe_db_instances()["DBInstances"][0]["Endpoint"]["Address"]
    result = invoke(
        "--output", "json", "probe", "orders-db", "--duration", "0.2", "--interval-ms", "100"
    )
    assert result.exit_code == 0, result.output
    params = driver.params[0]
    assert (params["host"], params["port"], params["user"]) == (address, 15432, "app")
    assert params["dbname"] == "orders"
    assert params["password"].startswith(f"{address}:15432/?Action=connect&DBUser=app&X-Amz-")
    assert params["sslmode"] == "require"
    assert params["connect_timeout"] == 2
    # The pre-flight connection, then the probe's own: each gets a fresh token.
    assert len(driver.params) == 2
    data = json.loads(result.stdout)
    assert data["target"]["auth"] == "iam"
    assert data["target"]["tls"] == "require"
    assert data["failed_queries"] == 0
    assert "not verified (sslmode=require)" in result.stderr
    assert "probe: up at +" in result.stderr


def test_ca_bundle_turns_on_verify_full(
    rds: Any, driver: FakeDriver, invoke: Any, tmp_path: Path
) -> None:
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text("not read by the fake driver")
    create_instance(rds, EnableIAMDatabaseAuthentication=True)
    result = invoke("probe", "orders-db", "--ca-bundle", str(bundle), "--duration", "0.1")
    assert result.exit_code == 0, result.output
    assert driver.params[0]["sslmode"] == "verify-full"
    assert driver.params[0]["sslrootcert"] == str(bundle)
    assert "warning" not in result.stderr
    assert "Client-visible downtime: none" in plain(result.stdout)


def test_cluster_without_iam_logs_in_with_the_secret_and_refuses_iam(
    rds: Any, driver: FakeDriver, invoke: Any
) -> None:
    create_cluster(rds, "payments")
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(
        Name="payments-master", SecretString='{"username": "owner", "password": "s3cret"}'
    )["ARN"]
    refused = invoke("probe", "payments", "--auth", "iam")
    assert refused.exit_code == 2
    assert (
        "--auth iam: cluster payments does not have IAM database authentication enabled"
        in plain(refused.output)
    )
    result = invoke("probe", "payments", "--secret-arn", arn, "--duration", "0.1")
    assert result.exit_code == 0, result.output
    cluster = rds.describe_db_clusters()["DBClusters"][0]
    params = driver.params[0]
    assert (params["host"], params["user"], params["password"]) == (
        cluster["Endpoint"],
        "owner",
        "s3cret",
    )


class IamCluster:
    """moto's RDS, except that its clusters report IAM database authentication on: moto refuses
    EnableIAMDatabaseAuthentication on a Multi-AZ DB cluster ("currently not supported", a check
    older than RDS's support: CreateDBCluster documents it "Valid for ... Multi-AZ DB clusters")
    and ignores it in ModifyDBCluster."""

    def __init__(self, moto_client: Any) -> None:
        self._moto = moto_client

    def describe_db_clusters(self, **kwargs: Any) -> dict[str, Any]:
        found = self._moto.describe_db_clusters(**kwargs)
        for cluster in found["DBClusters"]:
            cluster["IAMDatabaseAuthenticationEnabled"] = True
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._moto, name)


def test_cluster_with_iam_is_probed_with_an_iam_token_by_default(
    rds: Any, driver: FakeDriver, invoke: Any, use_client: Any
) -> None:
    create_cluster(rds, "payments")
    use_client("rds", IamCluster(rds))
    endpoint = rds.describe_db_clusters()["DBClusters"][0]["Endpoint"]

    result = invoke("--output", "json", "probe", "payments", "--duration", "0.1")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["target"]["auth"] == "iam"
    assert driver.params[0]["password"].startswith(f"{endpoint}:")
    assert "Action=connect&DBUser=app&X-Amz-" in driver.params[0]["password"]


def test_proxy_endpoint_and_family_come_from_describe_db_proxies(
    rds: Any, driver: FakeDriver, invoke: Any
) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=az)["Subnet"][
            "SubnetId"
        ]
        for n, az in ((1, "us-east-1a"), (2, "us-east-1b"))
    ]
    endpoint = rds.create_db_proxy(
        DBProxyName="orders-proxy",
        EngineFamily="MYSQL",
        Auth=[
            {
                "AuthScheme": "SECRETS",
                "SecretArn": "arn:aws:secretsmanager:x",
                "IAMAuth": "REQUIRED",
            }
        ],
        RoleArn="arn:aws:iam::123456789012:role/proxy",
        VpcSubnetIds=subnets,
    )["DBProxy"]["Endpoint"]
    result = invoke("probe", "--proxy", "orders-proxy", "--user", "app", "--duration", "0.1")
    assert result.exit_code == 0, result.output
    params = driver.params[0]
    assert (params["host"], params["port"]) == (endpoint, 3306)
    assert params["password"].startswith(f"{endpoint}:3306/?Action=connect&DBUser=app")
    assert isinstance(params["ssl"], ssl.SSLContext)
    missing = invoke("probe", "--proxy", "nope")
    assert missing.exit_code == 2
    assert "no RDS Proxy with that name" in plain(missing.output)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "name one thing to probe"),
        (["orders-db", "--host", "db.local"], "got DB_ID and --host"),
        (["--host", "db.local"], "--host needs --engine"),
        (["orders-db", "--port", "5432"], "--port and --engine go with --host"),
        (["--host", "db.local", "--engine", "postgres", "--user", "u", "--no-tls"], "clear text"),
        (
            ["--host", "db.local", "--engine", "oracle", "--user", "u"],
            "speaks PostgreSQL, MySQL and MariaDB",
        ),
        (["--host", "db.local", "--engine", "mysql"], "--user: no default user"),
        (
            ["--host", "db.local", "--engine", "mysql", "--user", "u", "--ca-bundle", "/nope.pem"],
            "no such file",
        ),
    ],
)
def test_contradictory_or_unsafe_options_exit_2(
    args: list[str], message: str, invoke: Any, driver: FakeDriver
) -> None:
    result = invoke("probe", *args)
    assert result.exit_code == 2, result.output
    assert message in plain(result.output)
    assert driver.params == []


def test_instance_without_iam_auth_falls_back_to_its_master_secret() -> None:
    endpoint = Endpoint(
        source="instance",
        name="orders-db",
        engine="postgres",
        host="h",
        port=5432,
        user="app",
        iam_auth=False,
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1",
    )
    target = probe_connect.choose_target(
        endpoint, auth=None, secret_arn=None, user=None, database=None, ca_bundle=None, no_tls=False
    )
    assert (target.auth, target.secret_arn, target.tls) == (
        Auth.SECRET,
        endpoint.secret_arn,
        Tls.REQUIRE,
    )
    assert target.database == "postgres"


def test_unreachable_endpoint_exits_1_before_measuring(invoke: Any) -> None:
    # A closed local port: the real driver is refused at once.
    result = invoke(
        "probe", "--host", "127.0.0.1", "--port", "9", "--engine", "postgres", "--user", "u",
        "--auth", "none", "--no-tls",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    text = plain(result.output)
    assert "cannot connect to postgres at 127.0.0.1:9" in text
    assert "refused" in text and "Nothing was measured" in text


def test_cli_startup_does_not_import_the_drivers() -> None:
    probe = "import sys, rds_ha.cli.app; print(sorted({'psycopg', 'pymysql'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- probing while another operation runs ------------------------------------------------------


class SwitchableDatabase:
    """Real time, fake connection: down while ``down`` is set."""

    def __init__(self) -> None:
        self.down = threading.Event()

    def connect(self) -> SwitchableDatabase:
        if self.down.is_set():
            raise ConnectionRefusedError(111, "Connection refused")
        return self

    def select_one(self) -> None:
        if self.down.is_set():
            raise OSError("server closed the connection unexpectedly")

    def close(self) -> None:
        pass


def test_probe_while_reports_the_downtime_an_operation_causes() -> None:
    db = SwitchableDatabase()

    def operation() -> str:
        db.down.set()
        time.sleep(0.3)
        db.down.clear()
        return "failed over"

    result, report = ops_probe.probe_while(
        db.connect, operation, interval_seconds=0.02, wait_up_seconds=1.0
    )
    assert result == "failed over"
    assert len(report.outages) == 1
    assert report.downtime_seconds == pytest.approx(0.3, abs=0.1)
    assert not report.still_down


def test_background_probe_stop_waits_for_the_database_to_answer_again() -> None:
    db = SwitchableDatabase()
    probe = ops_probe.BackgroundProbe(db.connect, interval_seconds=0.02).start()
    assert probe.wait_until_up(1.0)
    db.down.set()
    threading.Timer(0.2, db.down.clear).start()
    time.sleep(0.05)
    report = probe.stop(wait_up_seconds=2.0)
    assert not report.still_down
    assert report.downtime_seconds == pytest.approx(0.2, abs=0.1)
    with pytest.raises(RuntimeError, match="not started"):
        ops_probe.BackgroundProbe(db.connect).stop()


def test_choose_target_rejects_a_missing_secret() -> None:
    endpoint = Endpoint(source="cluster", name="payments", engine="postgres", host="h", port=5432)
    with pytest.raises(UnsafeOperationError, match="pass --secret-arn"):
        probe_connect.choose_target(
            endpoint, auth=None, secret_arn=None, user="u", database=None, ca_bundle=None,
            no_tls=False,
        )  # fmt: skip
