"""What a new user tried (issue 20), each ending in one line that says what to do and an exit code
that matches the outcome: the real ``statusmon`` command against moto server and the emulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from statusmon.cli import completion
from statusmon_local import pipeline
from tests.e2e.conftest import ROOT, Result, World, base_env, one_line_error, run_command, run_statusmon

DONE = 3600  # longer than every emulated lifecycle
DEAD = "http://127.0.0.1:9"  # nothing listens on the discard port
FAST = ("--interval", "0.2", "--timeout", "60")
NOT_A_REGION = "region 'mars-1' ({where}) is not a known AWS region: use one such as us-east-1"


def _last_line(result: Result) -> str:
    assert "Traceback" not in result.err, result.err
    return result.err.strip().splitlines()[-1]


def _no_endpoint(env: dict[str, str]) -> dict[str, str]:
    """As a user with nothing configured for a local endpoint, and no proxy between us and AWS."""
    cut = ("AWS_ENDPOINT_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
    return {k: v for k, v in env.items() if not k.startswith(cut)} | {"AWS_MAX_ATTEMPTS": "1"}


# --- local-setup with no local endpoint -----------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "remote"),
    [
        (
            {},
            "dynamodb (https://dynamodb.us-east-1.amazonaws.com) and sns (https://sns.us-east-1.amazonaws.com)",
        ),
        ({"AWS_ENDPOINT_URL_DYNAMODB": "moto"}, "sns (https://sns.us-east-1.amazonaws.com)"),
    ],
)
def test_local_setup_refuses_to_create_anything_in_aws_unless_told(
    cli_env: dict[str, str], moto_url: str, tmp_path: Path, local: dict[str, str], remote: str
) -> None:
    # Given credentials and a region, and no local endpoint (or one for DynamoDB only); every
    # request that did leave would go through a proxy that is not there, and fail otherwise
    env = _no_endpoint(cli_env) | dict.fromkeys(local, moto_url) | {"HTTPS_PROXY": DEAD}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    # When the user runs local-setup
    result = run_statusmon("local-setup", env=env)
    # Then it refuses in one line naming what would be AWS itself and the two ways on, and exits 2
    assert result.code == 2
    assert one_line_error(result) == (
        f"statusmon: error: local-setup is for local endpoints, and {remote} would be AWS itself: "
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5000 (moto server), or pass --aws to create the "
        "table and topic in your AWS account"
    )
    assert result.out == ""
    # And --aws is the explicit way to go to AWS: it does try (here it finds no way out)
    told = run_statusmon("local-setup", "--aws", env=env)
    assert told.code == 1
    assert one_line_error(told).startswith("statusmon: error: creating ")


def test_local_setup_takes_an_endpoint_from_the_aws_config_file(
    cli_env: dict[str, str], moto_url: str, tmp_path: Path
) -> None:
    # Given a local endpoint set the other standard way: endpoint_url in the profile
    config = tmp_path / "config"
    config.write_text(f"[default]\nendpoint_url = {moto_url}\n")
    env = _no_endpoint(cli_env) | {
        "AWS_CONFIG_FILE": str(config),
        "STATUSMON_TABLE_NAME": f"cfg-{uuid.uuid4().hex[:8]}",
    }
    # When local-setup runs
    result = run_statusmon("local-setup", env=env)
    # Then it goes ahead, on that endpoint
    assert result.code == 0, result.err
    assert f"export STATUSMON_TABLE_NAME={env['STATUSMON_TABLE_NAME']}" in result.out
    tables = run_command(
        sys.executable,
        "-c",
        f"import boto3; print(boto3.client('dynamodb', 'us-east-1', endpoint_url='{moto_url}')"
        ".list_tables()['TableNames'])",
        env=cli_env,
    )
    assert env["STATUSMON_TABLE_NAME"] in tables.out


# --- sweep --hot with the emulator down -----------------------------------------------------------


def test_hot_sweep_with_the_sources_down_fails_as_sweep_does(world: World) -> None:
    # Given a dataset recorded in flight (so on the hot watch's list)
    arn = pipeline.create_dataset(pipeline.create_project("down"), "TRAIN", None)
    world.sweep()
    # When the emulator cannot be reached
    down = {
        **world.env,
        "AWS_ENDPOINT_URL_REKOGNITION": DEAD,
        "AWS_ENDPOINT_URL_PERSONALIZE": DEAD,
        "AWS_MAX_ATTEMPTS": "1",
    }
    hot = run_statusmon("sweep", "--hot", env=down)
    full = run_statusmon("sweep", env=down)
    # Then both exit 1, their last line naming what could not be reached
    assert (hot.code, full.code) == (1, 1)
    assert _last_line(hot) == (
        f"statusmon: error: no resource in flight could be described: cannot reach {DEAD}/: "
        "is the service running, and is AWS_ENDPOINT_URL right?"
    )
    assert _last_line(full).startswith(f"statusmon: error: no source could be read: cannot reach {DEAD}/")
    # And the dataset is still tracked as it was
    status = json.loads(run_statusmon("status", "--json", env=world.env).out)
    assert [row["status"] for row in status if row["resource_arn"] == arn] == ["CREATE_IN_PROGRESS"]


def test_hot_sweep_with_nothing_in_flight_says_no_service_was_asked(world: World) -> None:
    # Given nothing in flight, and the emulator unreachable
    down = {**world.env, "AWS_ENDPOINT_URL_REKOGNITION": DEAD, "AWS_ENDPOINT_URL_PERSONALIZE": DEAD}
    # When the user runs the hot sweep
    result = run_statusmon("sweep", "--hot", env=down)
    # Then it did its work (exit 0), and says it tells nothing of the services, and what does
    assert result.code == 0, result.err
    assert "nothing in flight, so no service was asked; `statusmon sweep` reads every source" in (
        result.err.splitlines()
    )


# --- a region that is not one ---------------------------------------------------------------------


@pytest.mark.parametrize(("where", "given"), [("--region", ("--region", "mars-1")), ("AWS_REGION", ())])
def test_an_unknown_region_is_named_locally(
    cli_env: dict[str, str], where: str, given: tuple[str, ...]
) -> None:
    # Given a local endpoint (moto server answers an unknown region with a 500) and the region
    # as a flag or as AWS_REGION
    env = {**cli_env, "STATUSMON_TABLE_NAME": "t", "AWS_MAX_ATTEMPTS": "1"}
    if not given:
        env["AWS_REGION"] = "mars-1"
    # When the user asks for the status
    result = run_statusmon("status", *given, env=env)
    # Then the one line names the region, where it came from, and what to use instead
    line = one_line_error(result)
    assert result.code == 1
    assert line.startswith("statusmon: error: " + NOT_A_REGION.format(where=where))
    assert line.endswith("what failed: reading current states (table 't') failed: 500")


def test_an_unknown_region_is_named_against_aws(cli_env: dict[str, str], tmp_path: Path) -> None:
    # Given no endpoint: botocore makes a host for the region, which does not resolve
    env = _no_endpoint(cli_env) | {"STATUSMON_TABLE_NAME": "t", "AWS_CONFIG_FILE": str(tmp_path / "none")}
    # When the user asks for the status there
    result = run_statusmon("--region", "mars-1", "status", env=env)
    # Then the line says it is the region, before what failed
    line = one_line_error(result)
    assert result.code == 1
    assert line.startswith("statusmon: error: " + NOT_A_REGION.format(where="--region"))
    assert "what failed: cannot reach https://dynamodb.mars-1.amazonaws.com/" in line


def test_a_known_region_is_not_blamed_for_an_unreachable_endpoint(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "STATUSMON_TABLE_NAME": "t", "AWS_ENDPOINT_URL": DEAD, "AWS_MAX_ATTEMPTS": "1"}
    line = one_line_error(run_statusmon("status", "--region", "eu-west-1", env=env))
    assert line.startswith(f"statusmon: error: cannot reach {DEAD}/")
    assert "region" not in line


# --- wait in local mode ---------------------------------------------------------------------------


def test_wait_in_local_mode_sweeps_itself_until_the_dataset_completes(world: World) -> None:
    # Given a dataset just created against the emulator, not swept by anyone yet
    pipeline.put_object(pipeline.IMAGE_BUCKET, "local/train.manifest", pipeline.good_manifest(5))
    pipeline.create_dataset(pipeline.create_project("local"), "TRAIN", "local/train.manifest")
    # When the user waits for it by its short id, and it completes meanwhile
    waiting = subprocess.Popen(
        [sys.executable, "-m", "statusmon.cli.main", "wait", "local/train", *FAST],
        env=world.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert waiting.stderr is not None
    first = waiting.stderr.readline()
    world.emulator.advance(DONE)
    out, err = waiting.communicate(timeout=60)
    # Then the wait said it sweeps (nothing else does here), saw the change, and exits 0
    assert waiting.returncode == 0, first + err
    assert first.startswith(
        "waiting for local/train: reading the status table after a sweep (a local endpoint: nothing "
        "else sweeps it) every 0.2 s"
    )
    assert "CREATE_IN_PROGRESS → CREATE_COMPLETE" in out
    assert err.strip().endswith("done: local/train is CREATE_COMPLETE")
    # And what it recorded alerted nobody (a completion) but reached the table as a sweep would
    history = json.loads(run_statusmon("history", "local/train", "--json", env=world.env).out)
    assert [entry["status"] for entry in history] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]


def test_wait_in_local_mode_never_speaks_of_a_monitor(world: World) -> None:
    # Given an ARN the service does not have (a typo)
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/typo/dataset/train/1"
    # When the user waits for it briefly
    result = run_statusmon("wait", arn, "--interval", "0.2", "--timeout", "1", env=world.env)
    # Then it says the sweep did not find it, times out (exit 2), and no line mentions a monitor
    assert result.code == 2
    assert f"{arn} is not in the status table yet: this sweep did not find it" in result.err
    assert "monitor" not in result.err
    assert (
        _last_line(result)
        == f"statusmon: timeout: {arn} is not in the status table yet after 1 s (--timeout)"
    )


def test_wait_in_local_mode_with_the_emulator_down_fails_at_once(world: World) -> None:
    down = {**world.env, "AWS_ENDPOINT_URL_REKOGNITION": DEAD, "AWS_ENDPOINT_URL_PERSONALIZE": DEAD}
    result = run_statusmon("wait", "shoes/train", *FAST, env={**down, "AWS_MAX_ATTEMPTS": "1"})
    assert result.code == 1
    assert one_line_error(result).startswith(
        f"statusmon: error: the sweep could read no source: cannot reach {DEAD}/"
    )


def test_wait_with_no_sweep_leaves_the_sweeping_to_the_monitor(world: World) -> None:
    # Given a dataset nobody swept; When the user waits with --no-sweep (a monitor sweeps this table)
    pipeline.create_dataset(pipeline.create_project("nosweep"), "TRAIN", None)
    result = run_statusmon("wait", "nosweep/train", "--no-sweep", *FAST, env=world.env)
    # Then the table does not know the id: nothing swept it
    assert result.code == 2
    assert "no tracked resource" in one_line_error(result)


# --- numbers that are not -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--failed-within", "nan"), "--failed-within is in hours, more than 0 and at most 87600"),
        (("--failed-within", "1e300"), "--failed-within is in hours, more than 0 and at most 87600"),
        (("--failed-within", "inf"), "--failed-within is in hours, more than 0 and at most 87600"),
        (("--interval", "nan"), "--interval is in seconds, from 1 to 86400"),
        (("--interval", "1e300"), "--interval is in seconds, from 1 to 86400"),
    ],
)
def test_watch_refuses_numbers_a_clock_cannot_take(
    cli_env: dict[str, str], args: tuple[str, str], expected: str
) -> None:
    result = run_statusmon("watch", "--once", *args, env={**cli_env, "STATUSMON_TABLE_NAME": "t"})
    assert result.code == 2
    assert one_line_error(result) == f"statusmon: error: {expected}"


@pytest.mark.parametrize("value", ["nan", "1e300", "31d", "721h"])
def test_wait_refuses_durations_a_clock_cannot_take(cli_env: dict[str, str], value: str) -> None:
    result = run_statusmon("wait", "x/y", "--interval", value, env={**cli_env, "STATUSMON_TABLE_NAME": "t"})
    assert result.code == 2
    assert _last_line(result).startswith(
        f"statusmon wait: error: argument --interval: {value!r} is not a duration"
    )


# --- history of an untracked ARN ------------------------------------------------------------------


@pytest.mark.parametrize("form", [(), ("--json",), ("--output", "text")])
def test_history_of_an_untracked_arn_fails_the_same_in_every_form(
    world: World, form: tuple[str, ...]
) -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/never"
    result = run_statusmon("history", arn, *form, env=world.env)
    # Then exit 1 and one line, whatever the output form; nothing on stdout for a script to misread
    assert result.code == 1
    assert one_line_error(result) == (
        f"statusmon: error: no history for {arn}: it is not tracked (see `statusmon status`)"
    )
    assert result.out == ""


# --- the emulator's command line ------------------------------------------------------------------


def test_emulator_on_a_busy_port_names_it_and_the_way_out(cli_env: dict[str, str]) -> None:
    # Given a port something already listens on
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # When the user starts the emulator on it
        result = run_statusmon("emulator", "--port", str(port), env=cli_env)
    # Then one line names the port and what to do, exit 1
    assert result.code == 1
    assert result.err.splitlines() == [
        f"statusmon emulator: error: port {port} on 127.0.0.1 is in use (another emulator, or moto "
        "server?): pick another with --port, or --port 0 for a free one"
    ]


def test_emulator_help_explains_every_option(cli_env: dict[str, str]) -> None:
    result = run_statusmon("emulator", "--help", env=cli_env)
    assert result.code == 0, result.err
    for option, words in (
        ("--host", "address to listen on"),
        ("--region", "region in the ARNs"),
        ("--account-id", "account id in the ARNs"),
    ):
        assert words in result.out.split(option, 2)[-1], option


# --- a command's unknown option -------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [("status", "--nope"), ("--nope", "status"), ("status", "--failed", "stray")]
)
def test_an_unknown_option_shows_the_command_s_usage(cli_env: dict[str, str], argv: tuple[str, ...]) -> None:
    result = run_statusmon(*argv, env=cli_env)
    assert result.code == 2
    assert result.err.startswith("usage: statusmon status [-h]")
    assert "[--failed]" in result.err
    unknown = " ".join(a for a in argv if a not in {"status", "--failed"})
    assert _last_line(result) == (
        f"statusmon status: error: unrecognized arguments: {unknown} "
        "(`statusmon status --help` lists its options)"
    )


# --- make dist ------------------------------------------------------------------------------------


def test_make_dist_builds_from_a_python_build_environment_only() -> None:
    # Given `make dist` as it would run from nothing (-B: every step out of date), printed (-n)
    planned = run_command("make", "-n", "-B", "dist", env=dict(os.environ), cwd=ROOT)
    assert planned.code == 0, planned.err
    steps = planned.out.splitlines()
    # Then it makes a venv of its own from requirements-dist.txt, and builds and checks with it
    assert any("-m venv .venv-dist" in step for step in steps)
    assert any("-m pip install" in step and "-r requirements-dist.txt" in step for step in steps)
    assert any(step.startswith(".venv-dist/bin/python -m build") for step in steps)
    # And nothing of the development environment: no npm, no dev lock, no .venv/
    assert not [s for s in steps if "npm" in s or "requirements-dev" in s or ".venv/" in s]


def test_the_dist_lock_pins_what_the_tests_build_with() -> None:
    # The install tests build with the dev venv: the same build, setuptools and twine as `make dist`
    def pins(name: str) -> dict[str, str]:
        lines = (line.split(";")[0].strip() for line in (ROOT / name).read_text().splitlines())
        return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))

    dist, dev = pins("requirements-dist.txt"), pins("requirements-dev.txt")
    assert {name: dev[name] for name in ("build", "setuptools", "twine")} == {
        name: dist[name] for name in ("build", "setuptools", "twine")
    }
    assert "aws-cdk-lib" not in dist


# --- shell completion in a fresh home -------------------------------------------------------------


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_the_completion_install_line_works_in_a_fresh_home(shell: str, tmp_path: Path) -> None:
    # Given a home with nothing in it, and this venv's statusmon on the PATH
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])}
    env["PYTHONPATH"] = base_env("http://unused")["PYTHONPATH"]
    line = completion.install_line(shell)
    # When the user pastes the install line (as `statusmon completion --help` gives it)
    help_text = run_statusmon("completion", "--help", env=env).out
    assert line in " ".join(help_text.split())
    installed = run_command("bash", "-c", line, env=env)
    # Then it succeeds and leaves the shell's script where the shell looks
    assert installed.code == 0, installed.err
    folder = Path(completion.COMPLETION_DIRS[shell].replace("~", str(home)))
    [script] = list(folder.iterdir())
    assert "statusmon" in script.read_text()
    if shell != "bash":
        return
    # And bash, given the file, registers the completion; with bash-completion, it finds it itself
    loaded = run_command("bash", "-c", f"source {script} && complete -p statusmon", env=env)
    assert "_python_argcomplete statusmon" in loaded.out, loaded.err
    loader = Path("/usr/share/bash-completion/bash_completion")
    if not loader.exists():
        pytest.skip("bash-completion is not installed here: its lazy loading is not run")
    found = run_command(
        "bash", "-c", f"source {loader}; __load_completion statusmon && complete -p statusmon", env=env
    )
    assert "_python_argcomplete statusmon" in found.out, found.err
