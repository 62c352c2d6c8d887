"""Publishing to an encrypted SNS topic, by a function's role or by the Lambda service for it.

A topic under the AWS-managed key ``aws/sns`` takes messages from any principal of the account that
may ``sns:Publish`` (that key's policy allows every such caller through SNS), but not from CloudWatch
alarms or EventBridge, which the key policy cannot name. What Lambda publishes for a function (the
on-failure record of an asynchronous invocation or of a stream batch) goes out with the function's
role, so it reaches such a topic at no cost: that is how the default profile reports failures.
A customer-managed key has to let each publisher use it: :attr:`PublishTarget.key` says which one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import jsii
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from infra.function import StatusmonFunction

# What publishing to a topic under a customer-managed key needs of that key (no wildcard action).
TOPIC_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


class AsyncFailureDestination(Protocol):
    """Where Lambda sends the record of each failed asynchronous run of a function: the ops topic, or
    the failure summariser (infra/ops_summary.py)."""

    def async_failures_of(self, fn: StatusmonFunction) -> None: ...


@dataclass(frozen=True)
class PublishTarget:
    """A topic, and the customer-managed key its publishers must be allowed to use (None: no grant needed,
    or a key this stack does not know, such as that of a configured ``ops_topic_arn``)."""

    topic: sns.ITopic
    key: kms.IKey | None = None

    def allow_publish(self, fn: StatusmonFunction) -> None:
        # Not grant_publish: its kms:GenerateDataKey* wildcard is wider than publishing needs.
        fn.allow(["sns:Publish"], [self.topic.topic_arn])
        if self.key is not None:
            fn.allow(TOPIC_KEY_ACTIONS, [self.key.key_arn])

    def async_failures_of(self, fn: StatusmonFunction) -> None:
        """Lambda publishes a record of each asynchronous invocation of ``fn`` that failed (an error, a
        timeout, or an event dropped past its maximum age, after its retries) here, with ``fn``'s role
        (see :func:`send_async_failures`)."""
        send_async_failures(fn, self.topic.topic_arn)
        self.allow_publish(fn)

    def stream_failures_of(self, fn: StatusmonFunction) -> lambda_.IEventSourceDlq:
        """The on-failure destination of ``fn``'s stream event source: Lambda publishes each batch that
        failed past its retries here, with ``fn``'s role (granted here)."""
        self.allow_publish(fn)
        return _TopicOnFailure(self.topic.topic_arn)


@jsii.implements(lambda_.IEventSourceDlq)
class _TopicOnFailure:
    """CDK's SnsDlq would grant publishing through grant_publish (see allow_publish); this grants nothing."""

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn

    # jsii passes the mapping and its function positionally; the destination is all they need.
    def bind(self, target: object, target_handler: object) -> lambda_.DlqDestinationConfig:
        return lambda_.DlqDestinationConfig(destination=self.topic_arn)


def send_async_failures(fn: StatusmonFunction, destination_arn: str) -> None:
    """Make ``destination_arn`` the on-failure destination of ``fn``'s asynchronous invocations.

    ``fn``'s ``configure_async_invoke`` must have been called (it may be called only once, by the
    construct that knows the retries): the destination goes onto the config it made. Lambda sends the
    records with ``fn``'s role: the caller grants it what the destination needs.
    """
    invoke_config = fn.function.node.find_child("EventInvokeConfig").node.default_child
    assert isinstance(invoke_config, lambda_.CfnEventInvokeConfig)
    invoke_config.destination_config = lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
        on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=destination_arn)
    )
