"""Who may do what: each role's grants exactly, and the topic and key policies CloudWatch alarms rely on."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from infra.function import AccountArn, StatusmonFunction
from statusmon.adapters.table_schema import BY_SERVICE_INDEX, OPS_PK, OUTBOX_PK, WATCH_PK
from tests.infra.conftest import PROFILES, Synth, synthesize

NOTIFY_HANDLER = "statusmon.handlers.notify.handler"
REDRIVE_HANDLER = "statusmon.handlers.redrive.handler"
POLL_REKOGNITION = "statusmon.handlers.poll_rekognition.handler"
POLL_PERSONALIZE = "statusmon.handlers.poll_personalize.handler"
WATCH_HANDLER = "statusmon.handlers.watch.handler"
DISCOVER_HANDLER = "statusmon.handlers.discover.handler"
OPS_HANDLER = "statusmon.handlers.ops.handler"

LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
NO_CONDITION = ""
OUTBOX_ONLY = json.dumps({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [OUTBOX_PK]}})
# What only a scan or a batch could do: read or rewrite the table wholesale.
FORBIDDEN_TABLE_ACTIONS = {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"}


def account_arn(service: str, resource: str) -> str:
    return f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"


def render(value: Any, names: dict[str, str]) -> Any:
    """A template value as readable text: ``Table.Arn``, ``${AWS::Region}``; dicts and lists recursively."""
    if isinstance(value, list):
        return [render(v, names) for v in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            ref = value["Ref"]
            return "${" + ref + "}" if ref.startswith("AWS::") else names.get(ref, ref)
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            return f"{names.get(logical_id, logical_id)}.{attribute}"
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(render(part, names) for part in parts)
        return {key: render(v, names) for key, v in value.items()}
    return value


def names_for(synth: Synth, function: dict[str, Any] | None = None) -> dict[str, str]:
    """Readable names of the stack's one table and topic, its key and queue when it has them (and a
    function's own log group)."""
    names = {}
    for resource_type, name, required in (
        ("AWS::DynamoDB::Table", "Table", True),
        ("AWS::SNS::Topic", "Topic", True),
        ("AWS::KMS::Key", "TopicKey", False),
        ("AWS::SQS::Queue", "Dlq", False),
    ):
        found = list(synth.resources(resource_type))
        assert len(found) == 1 if required else len(found) <= 1, resource_type
        names.update(dict.fromkeys(found, name))
    names.update(
        dict.fromkeys(
            [
                logical_id
                for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
                if fn["Properties"]["Handler"] == OPS_HANDLER
            ],
            "Summariser",
        )
    )
    if function is not None:
        names[function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]] = "OwnLogGroup"
    return names


def functions_by_handler(synth: Synth) -> dict[str, dict[str, Any]]:
    return {fn["Properties"]["Handler"]: fn for fn in synth.resources("AWS::Lambda::Function").values()}


def grants(synth: Synth, function: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(resource, condition) -> actions, over every policy of the function's role (all Allow)."""
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synth.json["Resources"][role_id]["Properties"]
    assert not role.get("ManagedPolicyArns"), "roles carry no managed policies"
    assert not role.get("Policies"), "roles carry no inline policies besides their default policy"
    names = names_for(synth, function)
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            resources = statement["Resource"]
            condition = statement.get("Condition")
            condition_text = json.dumps(render(condition, names)) if condition else NO_CONDITION
            for resource in resources if isinstance(resources, list) else [resources]:
                key = (render(resource, names), condition_text)
                found[key] |= {actions} if isinstance(actions, str) else set(actions)
    return dict(found)


BY_SERVICE = (f"Table.Arn/index/{BY_SERVICE_INDEX.name}", NO_CONDITION)
OWN_LOGS = {("OwnLogGroup.Arn", NO_CONDITION): LOG_ACTIONS}
# The deliverers: outbox items only, and the state-change events on the account's default bus only.
OUTBOX = {
    ("Table.Arn", OUTBOX_ONLY): {"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
    (account_arn("events", "event-bus/default"), NO_CONDITION): {"events:PutEvents"},
}
# Publishing: to the topic; under the customer-managed key, also its two data-key actions. In the default
# profile every function publishes, Lambda's records of its failures if nothing else (aws/sns needs no grant).
PUBLISH = {("Topic", NO_CONDITION): {"sns:Publish"}}
PUBLISH_UNDER_KEY = {**PUBLISH, ("TopicKey.Arn", NO_CONDITION): {"kms:GenerateDataKey", "kms:Decrypt"}}


def only_partitions(*keys: str) -> str:
    return json.dumps({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": sorted(keys)}})


def like_partitions(*keys: str) -> str:
    return json.dumps({"ForAllValues:StringLike": {"dynamodb:LeadingKeys": sorted(keys)}})


def recorder(*services: str) -> dict[tuple[str, str], set[str]]:
    """A function that records transitions of ``services``: each item action on those services'
    partitions only (their states and history, their bookkeeping and marks), the watch list, and
    new outbox items (put, never claimed or deleted)."""
    states = [f"RES#arn:*:{service}:*" for service in services]
    bookkeeping = [f"SVC#{service}" for service in services]
    return {
        ("Table.Arn", like_partitions(*states)): {"dynamodb:GetItem"},
        ("Table.Arn", like_partitions(*states, *bookkeeping, OUTBOX_PK)): {"dynamodb:PutItem"},
        ("Table.Arn", like_partitions(*states, *bookkeeping, WATCH_PK)): {"dynamodb:UpdateItem"},
        ("Table.Arn", only_partitions(WATCH_PK)): {"dynamodb:DeleteItem"},
        ("Table.Arn", only_partitions(*bookkeeping, WATCH_PK)): {"dynamodb:Query"},
    }


POLL_DYNAMO = {
    POLL_REKOGNITION: {**recorder("rekognition"), BY_SERVICE: {"dynamodb:Query"}},
    POLL_PERSONALIZE: {**recorder("personalize"), BY_SERVICE: {"dynamodb:Query"}},
}
STREAM = {
    # ListStreams is the DynamoDB event source's; IAM grants it on "*" only.
    ("*", NO_CONDITION): XRAY_ACTIONS | {"dynamodb:ListStreams"},
    ("Table.StreamArn", NO_CONDITION): {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    },
}
POLLERS = {
    POLL_REKOGNITION: {
        **OWN_LOGS,
        ("*", NO_CONDITION): XRAY_ACTIONS | {"rekognition:DescribeProjects"},
        (account_arn("rekognition", "project/*/dataset/*/*"), NO_CONDITION): {
            "rekognition:DescribeDataset",
            "rekognition:ListDatasetEntries",
        },
        **POLL_DYNAMO[POLL_REKOGNITION],
    },
    POLL_PERSONALIZE: {
        **OWN_LOGS,
        ("*", NO_CONDITION): XRAY_ACTIONS | {"personalize:ListDatasetImportJobs", "personalize:ListDatasets"},
        (account_arn("personalize", "dataset-import-job/*"), NO_CONDITION): {
            "personalize:DescribeDatasetImportJob"
        },
        **POLL_DYNAMO[POLL_PERSONALIZE],
    },
}
# The hot watch: the pollers' Describe calls (no listing), single items, and Query of the watch list and
# the services' bookkeeping only; no X-Ray (it is not traced).
WATCH = {
    **OWN_LOGS,
    **{key: actions for key, actions in POLLERS[POLL_REKOGNITION].items() if key[0].startswith("arn:")},
    **{key: actions for key, actions in POLLERS[POLL_PERSONALIZE].items() if key[0].startswith("arn:")},
    **recorder("rekognition", "personalize"),
}
# Discovery: one UpdateItem per resource, in the watch list's partition only.
DISCOVER = {
    **OWN_LOGS,
    ("*", NO_CONDITION): XRAY_ACTIONS,
    ("Table.Arn", only_partitions(WATCH_PK)): {"dynamodb:UpdateItem"},
}
# Without alarms, Lambda sends each failed asynchronous run's record to the failure summariser, with the
# failed function's role.
TO_SUMMARISER = {("Summariser.Arn", NO_CONDITION): {"lambda:InvokeFunction"}}
# The summariser: its functions' episodes only (read one, put it conditionally); publish its summaries,
# and Lambda publishes its own failed records, to the topic. Untraced: no X-Ray.
SUMMARISER = {
    **OWN_LOGS,
    ("Table.Arn", only_partitions(OPS_PK)): {"dynamodb:GetItem", "dynamodb:PutItem"},
    **PUBLISH,
}
# The redrive's recovery check: every episode (one Query), and close one (a conditional put).
RECOVERY_CHECK = {("Table.Arn", only_partitions(OPS_PK)): {"dynamodb:Query", "dynamodb:PutItem"}}
EXPECTED_GRANTS = {
    "default": {
        **{handler: {**grants, **TO_SUMMARISER} for handler, grants in POLLERS.items()},
        WATCH_HANDLER: {**WATCH, **TO_SUMMARISER},
        DISCOVER_HANDLER: {**DISCOVER, **TO_SUMMARISER},
        NOTIFY_HANDLER: {**OWN_LOGS, **STREAM, **OUTBOX, **PUBLISH},
        REDRIVE_HANDLER: {
            **OWN_LOGS,
            ("*", NO_CONDITION): XRAY_ACTIONS,
            **OUTBOX,
            **RECOVERY_CHECK,
            **PUBLISH,
            **TO_SUMMARISER,
        },
        OPS_HANDLER: SUMMARISER,
    },
    # Alarms report failures: no summariser, the pollers publish nothing, the notifier's failed batches
    # go to the DLQ.
    "everything": {
        **POLLERS,
        WATCH_HANDLER: WATCH,
        DISCOVER_HANDLER: DISCOVER,
        NOTIFY_HANDLER: {
            **OWN_LOGS,
            **STREAM,
            ("Dlq.Arn", NO_CONDITION): {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
            **OUTBOX,
            **PUBLISH_UNDER_KEY,
        },
        REDRIVE_HANDLER: {**OWN_LOGS, ("*", NO_CONDITION): XRAY_ACTIONS, **OUTBOX, **PUBLISH_UNDER_KEY},
    },
}


@pytest.mark.parametrize(
    ("profile_name", "handler"),
    [(name, handler) for name in PROFILES for handler in sorted(EXPECTED_GRANTS[name])],
)
def test_each_role_allows_exactly_its_actions_on_exactly_its_resources(
    request: pytest.FixtureRequest, profile_name: str, handler: str
) -> None:
    # Given one function of the stack, in one profile
    synth: Synth = request.getfixturevalue("synth" if profile_name == "default" else "everything")
    function = functions_by_handler(synth)[handler]
    # When we collect what its role allows, by resource and condition
    found = grants(synth, function)
    # Then it is exactly what its code (and Lambda, for its failure records) calls: nothing more,
    # nothing on a wider resource
    assert found == EXPECTED_GRANTS[profile_name][handler]


@pytest.mark.parametrize("profile_name", PROFILES)
def test_every_function_has_its_expected_grants(request: pytest.FixtureRequest, profile_name: str) -> None:
    # Given the functions of either profile
    synth: Synth = request.getfixturevalue("synth" if profile_name == "default" else "everything")
    # Then each one is covered by the exact-grant test above (a new function needs its own entry)
    assert set(functions_by_handler(synth)) == set(EXPECTED_GRANTS[profile_name])


def test_poll_functions_touch_only_the_table_and_its_by_service_index(profile: Synth) -> None:
    synth = profile
    # Given each poll function's DynamoDB grants
    for handler in (POLL_REKOGNITION, POLL_PERSONALIZE):
        dynamo = {
            key: actions
            for key, actions in grants(synth, functions_by_handler(synth)[handler]).items()
            if any(a.startswith("dynamodb:") for a in actions)
        }
        # Then they read and write single items of their own service's partitions (states, history,
        # bookkeeping and marks), the watch list, put outbox items, and query by_service; nothing else
        assert dynamo == POLL_DYNAMO[handler], handler


def test_deliverers_touch_outbox_items_only(profile: Synth) -> None:
    synth = profile
    # Given the notifier and the redrive
    for handler in (NOTIFY_HANDLER, REDRIVE_HANDLER):
        found = grants(synth, functions_by_handler(synth)[handler])
        # When we keep their grants on the table's items (not its stream)
        on_items = {key: actions for key, actions in found.items() if key[0] == "Table.Arn"}
        # Then every one is conditioned on the partition key OUTBOX (and, for the redrive of a stack that
        # summarises failures, OPS: its recovery check)
        outbox = {
            ("Table.Arn", OUTBOX_ONLY): {"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
        }
        summarised = handler == REDRIVE_HANDLER and OPS_HANDLER in functions_by_handler(synth)
        assert on_items == ({**outbox, **RECOVERY_CHECK} if summarised else outbox), handler


def test_no_role_touches_items_of_the_table_without_naming_their_partitions(profile: Synth) -> None:
    synth = profile
    # Given every grant of every role on the table itself (not its indexes or stream)
    for handler, function in functions_by_handler(synth).items():
        for (resource, condition), actions in grants(synth, function).items():
            if resource != "Table.Arn":
                continue
            # Then each is conditioned on dynamodb:LeadingKeys, over every item the request touches
            (operator,) = json.loads(condition)
            assert operator in {"ForAllValues:StringEquals", "ForAllValues:StringLike"}, (handler, actions)
            assert list(json.loads(condition)[operator]) == ["dynamodb:LeadingKeys"], (handler, actions)


def test_no_role_can_scan_batch_or_use_a_wildcard_action(profile: Synth) -> None:
    synth = profile
    # Given every policy of the stack
    for policy in synth.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = {actions} if isinstance(actions, str) else set(actions)
            # Then no statement scans or batches, and none names actions by wildcard
            assert not actions & FORBIDDEN_TABLE_ACTIONS, statement
            assert not any("*" in action for action in actions), statement


def _cloudwatch_alarms_condition() -> dict[str, Any]:
    return {
        "StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"},
        "ArnLike": {"aws:SourceArn": account_arn("cloudwatch", "alarm:*")},
    }


def test_by_default_the_topic_policy_only_denies_publishing_without_tls(synth: Synth) -> None:
    # Given the default profile's topic policy: nothing to allow, every publisher is in the account
    (policy,) = synth.resources("AWS::SNS::TopicPolicy").values()
    (statement,) = render(policy["Properties"]["PolicyDocument"]["Statement"], names_for(synth))
    # Then it is the TLS Deny alone
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_topic_policy_lets_this_accounts_alarms_publish_and_denies_publishing_without_tls(
    everything: Synth,
) -> None:
    synth = everything
    # Given the alert topic's policy under the customer-managed key (enforce_ssl replaces the SNS
    # default policy with it)
    (topic_id,) = synth.resources("AWS::SNS::Topic")
    (policy,) = synth.resources("AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    names = names_for(synth)
    statements = {s["Effect"]: render(s, names) for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    # Then it has exactly two statements: the TLS Deny for everyone
    assert set(statements) == {"Deny", "Allow"}
    deny = statements["Deny"]
    assert deny["Principal"] == "*"
    assert deny["Action"] == "sns:Publish"
    assert deny["Resource"] == "Topic"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # And an Allow for CloudWatch to publish, for this account's alarms only
    allow = statements["Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Resource"] == "Topic"
    assert allow["Condition"] == _cloudwatch_alarms_condition()


def test_topic_key_lets_this_accounts_alarms_encrypt_and_nothing_else_outside_the_account(
    everything: Synth,
) -> None:
    synth = everything
    # Given the topic's key policy
    key = synth.only("AWS::KMS::Key")["Properties"]
    statements = render(key["KeyPolicy"]["Statement"], names_for(synth))
    # Then the account administers it (the CDK default), and CloudWatch may use it for this
    # account's alarms only, to encrypt what it publishes
    principals = [s["Principal"] for s in statements]
    assert principals == [
        {"AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"},
        {"Service": "cloudwatch.amazonaws.com"},
    ]
    cloudwatch = statements[1]
    assert cloudwatch["Effect"] == "Allow"
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Resource"] == "*"
    assert cloudwatch["Condition"] == _cloudwatch_alarms_condition()


def test_a_wildcard_resource_cannot_be_allowed_without_its_acknowledgement() -> None:
    # Given a statusmon function
    stack = cdk.Stack(cdk.App())
    fn = StatusmonFunction(
        stack,
        "Fn",
        code=lambda_.Code.from_inline("def handler(event, context): return {}"),
        handler="index.handler",
        description="test",
        environment={},
        timeout=cdk.Duration.seconds(3),
        log_retention=logs.RetentionDays.ONE_DAY,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    # When a grant on "*" or an ARN pattern goes through the plain allow
    # Then it is refused: only allow_unscoped / allow_pattern add such a statement, with its reason
    with pytest.raises(ValueError, match="allow_pattern or allow_unscoped"):
        fn.allow(["rekognition:DescribeProjects"], ["*"])
    with pytest.raises(ValueError, match="allow_pattern or allow_unscoped"):
        fn.allow(["rekognition:DescribeDataset"], [AccountArn("rekognition", "project/*").arn])


@pytest.mark.parametrize(
    ("bus", "granted_on"),
    [
        ("pipelines", account_arn("events", "event-bus/pipelines")),
        (
            "arn:aws:events:eu-west-1:210987654321:event-bus/central",
            "arn:aws:events:eu-west-1:210987654321:event-bus/central",
        ),
    ],
)
def test_events_go_to_the_configured_bus_only(tmp_path: Path, bus: str, granted_on: str) -> None:
    # Given a stack configured with another event bus, by name or by ARN
    synth = synthesize(tmp_path, event_bus=bus)
    for handler in (NOTIFY_HANDLER, REDRIVE_HANDLER):
        function = functions_by_handler(synth)[handler]
        # Then its deliverers may put events on that bus and no other, and are told its name
        puts = {key for key, actions in grants(synth, function).items() if "events:PutEvents" in actions}
        assert puts == {(granted_on, NO_CONDITION)}, handler
        assert function["Properties"]["Environment"]["Variables"]["STATUSMON_EVENT_BUS_NAME"] == bus


def test_the_chat_topic_is_published_to_by_the_deliverers_only_and_named_to_every_function(
    tmp_path: Path,
) -> None:
    # Given a stack with the chat topic on
    synth = synthesize(tmp_path, chat_topic=True)
    (chat_id,) = [
        logical_id
        for logical_id, topic in synth.resources("AWS::SNS::Topic").items()
        if topic["Properties"]["DisplayName"] == "statusmon chat notifications"
    ]
    assert synth.json["Outputs"]["ChatTopicArn"]["Value"] == {"Ref": chat_id}
    publishers = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            if {"Ref": chat_id} in resources:
                assert statement["Action"] == "sns:Publish"
                publishers |= {role["Ref"] for role in policy["Properties"]["Roles"]}
    by_handler = functions_by_handler(synth)
    # Then only the notifier and the redrive may publish to it
    assert publishers == {
        by_handler[handler]["Properties"]["Role"]["Fn::GetAtt"][0]
        for handler in (NOTIFY_HANDLER, REDRIVE_HANDLER)
    }
    # And every function knows it (the sweeps and the watch render chat notifications only then)
    for handler, function in by_handler.items():
        assert function["Properties"]["Environment"]["Variables"]["STATUSMON_CHAT_TOPIC_ARN"] == {
            "Ref": chat_id
        }, handler


def test_without_the_chat_topic_no_function_is_told_of_one(synth: Synth) -> None:
    assert "ChatTopicArn" not in synth.json["Outputs"]
    for handler, function in functions_by_handler(synth).items():
        assert "STATUSMON_CHAT_TOPIC_ARN" not in function["Properties"]["Environment"]["Variables"], handler
