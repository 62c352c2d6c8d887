"""outputs_of: the CLI finds the table and topic of a deployed stack (CloudFormation on moto server)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from statusmon.adapters.errors import AwsError
from statusmon.adapters.stack_outputs import StackNotFoundError, StackOutputMissingError, outputs_of


@pytest.fixture
def cloudformation(moto_url: str) -> Any:
    return boto3.client("cloudformation", endpoint_url=moto_url, region_name="us-east-1")


def _create(cloudformation: Any, outputs: dict[str, Any]) -> str:
    name = f"statusmon-{uuid.uuid4().hex[:8]}"
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def test_outputs_of_a_statusmon_stack(cloudformation: Any) -> None:
    # Given a deployed stack with the TableName and TopicArn outputs
    name = _create(
        cloudformation,
        {"TableName": {"Value": "statusmon-table"}, "TopicArn": {"Value": {"Ref": "Topic"}}},
    )
    # When its outputs are read
    outputs = outputs_of(name, cloudformation)
    # Then both come back by key
    assert outputs["TableName"] == "statusmon-table"
    assert outputs["TopicArn"].startswith("arn:aws:sns:us-east-1:")


def test_a_missing_stack_is_one_clear_line(cloudformation: Any) -> None:
    # Given no stack of that name
    # When its outputs are read
    with pytest.raises(StackNotFoundError) as caught:
        outputs_of("no-such-stack", cloudformation)
    # Then the error names it and says what to do, on one line; the CLI's handlers catch either base
    assert "'no-such-stack' not found" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, AwsError)


def test_a_stack_without_the_outputs_is_one_clear_line(cloudformation: Any) -> None:
    # Given a stack that is not statusmon's
    name = _create(cloudformation, {"Other": {"Value": "x"}})
    # When its outputs are read
    with pytest.raises(StackOutputMissingError, match=r"has no TableName, TopicArn output"):
        outputs_of(name, cloudformation)


class _FailingClient:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def describe_stacks(self, **_: Any) -> Any:
        raise self.error


def test_access_denied_and_an_unreachable_endpoint_are_our_errors() -> None:
    # Given CloudFormation refusing the call, then an endpoint that does not answer
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeStacks")
    unreachable = EndpointConnectionError(endpoint_url="http://localhost:1")
    # When the outputs are read
    # Then each becomes a one-line AwsError that is not a missing stack
    with pytest.raises(AwsError, match="access denied") as caught:
        outputs_of("statusmon", _FailingClient(denied))
    assert not isinstance(caught.value, StackNotFoundError)
    with pytest.raises(AwsError, match="cannot reach http://localhost:1"):
        outputs_of("statusmon", _FailingClient(unreachable))


def test_an_empty_answer_is_a_missing_stack() -> None:
    # Given a DescribeStacks answer without stacks
    class Empty:
        def describe_stacks(self, **_: Any) -> Any:
            return {"Stacks": []}

    # Then it is reported as a missing stack
    with pytest.raises(StackNotFoundError):
        outputs_of("statusmon", Empty())
