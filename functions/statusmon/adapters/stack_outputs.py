"""The deployed stack's outputs (CloudFormation DescribeStacks): how the CLI finds the table and topic."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from statusmon.adapters.aws import create_client
from statusmon.adapters.errors import NotFoundError, error_code, translate

# Output keys the stack defines (infra/stack.py) and the CLI reads.
TABLE_NAME = "TableName"
TOPIC_ARN = "TopicArn"
REQUIRED_OUTPUTS = (TABLE_NAME, TOPIC_ARN)


class StackNotFoundError(NotFoundError, ValueError):
    """No stack of that name in this account and region."""


class StackOutputMissingError(NotFoundError, ValueError):
    """The stack exists but lacks an output statusmon needs (not deployed yet, or not statusmon's)."""


def outputs_of(
    stack_name: str, client: Any = None, *, required: tuple[str, ...] = REQUIRED_OUTPUTS
) -> dict[str, str]:
    """The stack's outputs by key; raises if a ``required`` one is absent or the stack is missing."""
    cloudformation = client or create_client("cloudformation")
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        # DescribeStacks answers a missing stack with the generic ValidationError code.
        if error_code(exc) == "ValidationError":
            raise StackNotFoundError(
                f"stack {stack_name!r} not found in this account and region: deploy it (`npx cdk deploy`) "
                "or pass the right --stack, AWS_REGION and credentials"
            ) from None
        raise translate(exc, f"describing stack {stack_name}") from exc
    except BotoCoreError as exc:
        raise translate(exc, f"describing stack {stack_name}") from exc
    if not stacks:
        raise StackNotFoundError(f"stack {stack_name!r} not found in this account and region")
    stack = stacks[0]
    outputs = {str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in stack.get("Outputs", [])}
    missing = [key for key in required if not outputs.get(key)]
    if missing:
        raise StackOutputMissingError(
            f"stack {stack_name!r} ({stack.get('StackStatus', '?')}) has no {', '.join(missing)} output: "
            "is it a statusmon stack, and has its deployment finished?"
        )
    return outputs
