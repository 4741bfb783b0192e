"""A deploy rehearsal: the docs' bootstrap, deploy and destroy commands for dev (README.md and
docs/deploying.md, one command each wherever it is written), run as written
with the pinned CDK CLI against a local moto_server.

What it proves: the commands select the right stacks, bootstrap both regions, publish the assets
to the bootstrap buckets, deploy the DR stack before the main stack, deploy nothing the second
time, and destroy both stacks. What it cannot prove: moto's CloudFormation reports
CREATE_COMPLETE while skipping the resource types it does not model (the database, alarms,
backup plans, ...), so the assertions are on the CLI's flow, its exit codes and the stack
statuses, never on the resources.

The CLI synthesizes the app on every call. To keep this test short, the app is synthesized once
per distinct set of `-c` arguments (the documented dev commands share `-c env=dev`) with
`cdk synth <those arguments> --output DIR`, and each documented command then runs unchanged with
`--app DIR` appended. A command that lost its `-c env=dev` would get an assembly of every
environment and fail here on the other environments' accounts.

The commands that ask (the first deploy's security changes, destroy) run in a pseudo-terminal
and are answered "y", as an operator would.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from doc_blocks import all_blocks
from synth_helpers import offline_cli_env

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "111111111111"
REGION, DR_REGION = "eu-west-1", "eu-central-1"
STACK, DR_STACK = "rds-ha-dev", "rds-ha-dev-dr"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def readme_dev_commands() -> dict[str, list[str]]:
    """The docs' `cdk` commands for dev, by subcommand: exactly one distinct command each."""
    found: dict[str, set[str]] = {}
    for block in all_blocks("bash"):
        for line in block.text.replace("\\\n", " ").splitlines():
            if not line.strip().startswith("cdk "):
                continue
            words = shlex.split(line, comments=True)
            if "env=dev" in words:
                found.setdefault(words[1], set()).add(shlex.join(words))
    commands = {}
    for subcommand in ("bootstrap", "deploy", "destroy"):
        variants = sorted(found.get(subcommand, ()))
        assert len(variants) == 1, f"the docs: one `cdk {subcommand} ... env=dev`, got {variants}"
        commands[subcommand] = shlex.split(variants[0])
    return commands


def context_arguments(command: list[str]) -> list[str]:
    arguments = []
    for index, word in enumerate(command):
        if word in ("-c", "--context"):
            arguments += command[index : index + 2]
        elif word.startswith("--context="):
            arguments.append(word)
    return arguments


@dataclass
class Run:
    returncode: int
    output: str
    questions: list[str]


def run_in_terminal(command: list[str], env: dict[str, str], timeout: float = 180) -> Run:
    """Run in a pseudo-terminal; answer "y" to every (y/n) question, keeping what was asked."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=secondary, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    raw, questions = "", []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            raw += chunk.decode(errors="replace")
            text = ANSI.sub("", raw)
            while text.count("(y/n)") > len(questions):
                questions.append(text.split("(y/n)")[len(questions)].splitlines()[-1])
                os.write(primary, b"y\n")
        else:
            process.kill()
            pytest.fail(f"{shlex.join(command)} did not finish in {timeout}s:\n{ANSI.sub('', raw)}")
        returncode = process.wait(timeout=30)
    finally:
        os.close(primary)
    return Run(returncode, ANSI.sub("", raw), questions)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Fake credentials, no AWS configuration files, and a moto_server for the dev account."""
    if not CDK.exists():
        pytest.fail(f"{CDK} is missing: run `make setup`")
    home = tmp_path_factory.mktemp("home")
    port = _free_port()
    env = {
        **offline_cli_env(home),
        "TERM": "xterm",
        # moto's CloudFormation finds a template URL's bucket only when the host is localhost.
        "AWS_ENDPOINT_URL": f"http://localhost:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**env, "MOTO_ACCOUNT_ID": ACCOUNT},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"moto_server exited with {server.returncode}")
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


def _client(env: dict[str, str], service: str, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _status(env: dict[str, str], stack: str, region: str) -> str:
    try:
        described = _client(env, "cloudformation", region).describe_stacks(StackName=stack)
    except ClientError as error:
        if "does not exist" in str(error):
            return "absent"
        raise
    return described["Stacks"][0]["StackStatus"]


def _file_assets(assembly: Path) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for manifest in assembly.glob("*.assets.json"):
        for asset in json.loads(manifest.read_text())["files"].values():
            for destination in asset["destinations"].values():
                keys.setdefault(destination["region"], set()).add(destination["objectKey"])
    return keys


def test_readme_bootstrap_deploy_redeploy_and_destroy_of_dev(cli_env, tmp_path):
    commands = readme_dev_commands()
    assembly = tmp_path / "cdk.out"
    synth = subprocess.run(
        [str(CDK), "synth", *context_arguments(commands["deploy"]), "--output", str(assembly)],
        cwd=ROOT,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert synth.returncode == 0, synth.stderr
    assert sorted(p.name for p in assembly.glob("*.template.json")) == [
        f"{DR_STACK}.template.json",
        f"{STACK}.template.json",
    ]
    assert set(_file_assets(assembly)) == {REGION, DR_REGION}

    def readme(name: str) -> Run:
        command = commands[name]
        if context_arguments(command) != context_arguments(commands["deploy"]):
            pytest.fail(f"the docs: {shlex.join(command)} selects other stacks than deploy")
        return run_in_terminal([*command, "--app", str(assembly)], cli_env)

    bootstrap = readme("bootstrap")
    assert bootstrap.returncode == 0, bootstrap.output
    for region in (REGION, DR_REGION):
        assert f"Environment aws://{ACCOUNT}/{region} bootstrapped" in bootstrap.output
        assert _status(cli_env, "CDKToolkit", region) == "CREATE_COMPLETE"

    first = readme("deploy")
    assert first.returncode == 0, first.output
    # The DR stack first: the main stack depends on it.
    assert first.output.index(f"{DR_STACK}: deploying... [1/2]") < first.output.index(
        f"{STACK}: deploying... [2/2]"
    )
    # It showed the IAM and security-group changes and asked, once per stack.
    assert len(first.questions) == 2, first.output
    assert all("Do you wish to deploy these changes" in q for q in first.questions)
    assert _status(cli_env, DR_STACK, DR_REGION) == "CREATE_COMPLETE"
    assert _status(cli_env, STACK, REGION) == "CREATE_COMPLETE"
    # Every file asset of the assembly (templates, Lambda code) is in its bootstrap bucket.
    for region, expected in _file_assets(assembly).items():
        bucket = f"cdk-hnb659fds-assets-{ACCOUNT}-{region}"
        listed = _client(cli_env, "s3", region).list_objects_v2(Bucket=bucket)
        assert expected <= {item["Key"] for item in listed.get("Contents", [])}, region

    second = readme("deploy")
    assert second.returncode == 0, second.output
    assert f"{DR_STACK} (no changes)" in second.output
    assert f"{STACK} (no changes)" in second.output
    assert second.questions == []

    destroy = readme("destroy")
    assert destroy.returncode == 0, destroy.output
    assert len(destroy.questions) == 1
    assert destroy.output.index(f"{STACK}: destroyed") < destroy.output.index(
        f"{DR_STACK}: destroyed"
    )
    assert _status(cli_env, STACK, REGION) == "absent"
    assert _status(cli_env, DR_STACK, DR_REGION) == "absent"
