"""`cdk bootstrap` + `cdk deploy` of the real app into moto server's CloudFormation.

What moto cannot show (so this test does not claim it): it skips alarms, topic/queue policies,
email subscriptions, async invoke configs, TTL and PITR, it stores IAM and key policies without
evaluating them, and it cannot run the functions. And it
records no outputs for a stack created through a change set, which is `cdk deploy`'s default:
hence `--method=direct` (CreateStack) here; a real deployment uses change sets as usual.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from statusmon.adapters.stack_outputs import outputs_of
from statusmon.adapters.table_schema import STREAM_FILTER_PATTERN, TABLE
from tests.conftest import moto_process
from tests.infra.conftest import ROOT

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
STACK = "statusmon-moto"


@pytest.fixture(scope="module")
def cloudformation_endpoint() -> Iterator[str]:
    """A moto server of its own: the deployed stack must not leak into other tests' moto state."""
    with moto_process(host="localhost") as url:
        yield url


def _cdk(endpoint: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "CDK_"))}
    env |= {
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Tried to parse AWS:UserWarning")  # moto: resource types it skips
def test_deploy_creates_the_table_and_the_outputs_the_cli_reads(
    cloudformation_endpoint: str, tmp_path: Path
) -> None:
    # Given a bootstrapped (moto) account
    # (run outside the project: with a cdk.json around, bootstrap would synthesize the app into ./cdk.out)
    bootstrap = _cdk(cloudformation_endpoint, "bootstrap", f"aws://{ACCOUNT}/{REGION}", cwd=tmp_path)
    assert bootstrap.returncode == 0, bootstrap.stderr[-3000:]
    # When the app is deployed as a throwaway stack (real arm64 bundling, cdk-nag on)
    context = json.dumps({"stack_name": STACK, "throwaway": True, "alert_emails": ["ops@example.com"]})
    deploy = _cdk(
        cloudformation_endpoint,
        "deploy",
        STACK,
        "--method=direct",
        "--require-approval=never",
        "--output",
        str(tmp_path / "cdk.out"),
        "--context",
        f"statusmon={context}",
        cwd=ROOT,
    )
    assert deploy.returncode == 0, deploy.stderr[-3000:]

    # Then outputs_of finds the table and topic, as `statusmon status --stack` will
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=cloudformation_endpoint, region_name=REGION)  # type: ignore[call-overload]

    outputs = outputs_of(STACK, client("cloudformation"))
    # (the default profile: no DLQ, no dashboard, so no DlqUrl or DashboardUrl)
    assert set(outputs) == {"TableName", "TopicArn"}
    # And the table exists with the keys, indexes and stream of table_schema.TABLE
    table = client("dynamodb").describe_table(TableName=outputs["TableName"])["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == [TABLE.partition_key, TABLE.sort_key]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == sorted(
        i.name for i in TABLE.indexes
    )
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": TABLE.stream_view_type}
    # And the notifier listens to that stream with the outbox-item filter
    (mapping,) = client("lambda").list_event_source_mappings()["EventSourceMappings"]
    assert mapping["EventSourceArn"] == table["LatestStreamArn"]
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == STREAM_FILTER_PATTERN
    # And the two pollers, the notifier, the redrive, the hot watch, discovery and the failure summariser
    # exist
    handlers = {f["Handler"] for f in client("lambda").list_functions()["Functions"]}
    assert {"statusmon.handlers.notify.handler", "statusmon.handlers.redrive.handler"} <= handlers
    assert len(handlers) == 7
    # And four schedules invoke them: each poller's and the redrive's at the configured rate, the
    # watch's every minute; and one rule matches the CloudTrail records of the calls discovery watches
    rules = client("events").list_rules()["Rules"]
    schedules = sorted(r["ScheduleExpression"] for r in rules if "ScheduleExpression" in r)
    assert schedules == ["rate(1 minute)"] + ["rate(5 minutes)"] * 3
    (calls,) = [json.loads(r["EventPattern"]) for r in rules if "EventPattern" in r]
    assert calls["detail-type"] == ["AWS API Call via CloudTrail"]
    # And the topic is the encrypted one the outputs name, under the AWS-managed key by default
    topic = client("sns").get_topic_attributes(TopicArn=outputs["TopicArn"])
    assert topic["Attributes"]["KmsMasterKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/sns"
    # And the statusmon command, given only the stack name, reads the deployed (empty) table
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STATUSMON_"))}
    env |= {
        "AWS_ENDPOINT_URL": cloudformation_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "PYTHONPATH": str(ROOT / "functions"),
    }
    status = subprocess.run(
        [sys.executable, "-m", "statusmon.cli.main", "status", "--stack", STACK, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) == []
    missing = subprocess.run(
        [sys.executable, "-m", "statusmon.cli.main", "status", "--stack", "no-such-stack"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("statusmon: error: stack 'no-such-stack' not found")
