"""What users and the functions depend on in the synthesized template (one synth per session)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from statusmon import metric_names
from statusmon.adapters.table_schema import STREAM_FILTER_PATTERN, TABLE
from statusmon.settings import env_names, load_settings
from tests.infra.conftest import ALERT_EMAILS, Synth, synthesize

POLL_HANDLERS = ("statusmon.handlers.poll_rekognition.handler", "statusmon.handlers.poll_personalize.handler")
NOTIFY_HANDLER = "statusmon.handlers.notify.handler"
REDRIVE_HANDLER = "statusmon.handlers.redrive.handler"
# Functions that publish alerts, and so receive the topic ARN.
DELIVERERS = {NOTIFY_HANDLER, REDRIVE_HANDLER}


def functions_by_handler(synth: Synth) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        fn["Properties"]["Handler"]: (logical_id, fn)
        for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
    }


def test_every_function_is_arm64_python_313_json_logs_and_traced(synth: Synth) -> None:
    # Given the synthesized stack
    # When we look at each function
    functions = synth.resources("AWS::Lambda::Function")
    # Then all four (two pollers, the notifier, the redrive) share one runtime, architecture, logging
    # and tracing set-up
    assert len(functions) == 4
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.13"  # the bytecode the asset ships is for 3.13
        assert props["Architectures"] == ["arm64"]
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["TracingConfig"] == {"Mode": "Active"}
        log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        log_group = synth.json["Resources"][log_group_id]
        assert log_group["Properties"]["RetentionInDays"] == 30
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == metric_names.SERVICE_NAME
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == metric_names.NAMESPACE


def test_environment_variables_are_ones_the_settings_model_reads(synth: Synth) -> None:
    # Given every function of the stack
    table_ref = {"Ref": next(iter(synth.resources("AWS::DynamoDB::Table")))}
    topic_ref = {"Ref": next(iter(synth.resources("AWS::SNS::Topic")))}
    for handler, (_, fn) in functions_by_handler(synth).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        # When we keep the statusmon variables
        ours = {name for name in variables if not name.startswith("POWERTOOLS_")}
        # Then each is a settings field, and nothing else is set
        assert ours <= env_names(), handler
        assert all(name.startswith("STATUSMON_") for name in ours)
        # And the table name is on every function, the topic ARN on the two that publish
        assert variables["STATUSMON_TABLE_NAME"] == table_ref
        if handler in DELIVERERS:
            assert variables["STATUSMON_TOPIC_ARN"] == topic_ref
        else:
            assert "STATUSMON_TOPIC_ARN" not in variables


def _schedules(synth: Synth) -> dict[str, str]:
    """Function logical id -> the schedule expression of the rule that invokes it."""
    schedules = {}
    for rule in synth.resources("AWS::Events::Rule").values():
        (target,) = rule["Properties"]["Targets"]
        schedules[target["Arn"]["Fn::GetAtt"][0]] = rule["Properties"]["ScheduleExpression"]
    return schedules


def test_poll_functions_run_on_the_configured_rate_one_at_a_time(synth: Synth) -> None:
    # Given the default schedule rate in cdk.json (5 minutes)
    functions = functions_by_handler(synth)
    # When we follow each rule to its target
    schedules = _schedules(synth)
    # Then each poll function has its own rule at that rate, and reserved concurrency 1
    for handler in POLL_HANDLERS:
        logical_id, fn = functions[handler]
        assert schedules[logical_id] == "rate(5 minutes)"
        assert fn["Properties"]["ReservedConcurrentExecutions"] == 1
    # And the notifier is not scheduled
    assert functions[NOTIFY_HANDLER][0] not in schedules
    # And a failed sweep is not retried: the next one catches up
    synth.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 300}
    )


def test_redrive_delivers_the_pending_outbox_on_the_polling_schedule(synth: Synth) -> None:
    # Given the redrive function
    logical_id, fn = functions_by_handler(synth)[REDRIVE_HANDLER]
    props = fn["Properties"]
    # Then a rule invokes it at the polling rate, one run at a time, not retried (the next run is)
    assert _schedules(synth)[logical_id] == "rate(5 minutes)"
    assert props["ReservedConcurrentExecutions"] == 1
    (invoke_config,) = [
        c["Properties"]
        for c in synth.resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": logical_id}
    ]
    assert invoke_config["MaximumRetryAttempts"] == 0
    # And it has the notifier's environment: the same table, topic and alert settings
    notify = functions_by_handler(synth)[NOTIFY_HANDLER][1]
    assert props["Environment"]["Variables"] == notify["Properties"]["Environment"]["Variables"]
    # And a run ends before the next one is due
    assert props["Timeout"] <= 300
    # And it does not read the stream
    mapping = synth.only("AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["FunctionName"] != {"Ref": logical_id}


def test_table_keys_indexes_stream_ttl_and_protection(synth: Synth) -> None:
    # Given the status table
    table = synth.only("AWS::DynamoDB::Table")
    props = table["Properties"]
    # Then its keys, indexes, TTL and stream come from table_schema.TABLE
    assert props["KeySchema"] == [
        {"AttributeName": TABLE.partition_key, "KeyType": "HASH"},
        {"AttributeName": TABLE.sort_key, "KeyType": "RANGE"},
    ]
    indexes = {
        index["IndexName"]: [key["AttributeName"] for key in index["KeySchema"]]
        for index in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {index.name: [index.partition_key, index.sort_key] for index in TABLE.indexes}
    assert props["StreamSpecification"] == {"StreamViewType": TABLE.stream_view_type}
    assert props["TimeToLiveSpecification"] == {"AttributeName": TABLE.ttl_attribute, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # And it is encrypted, recoverable, and kept when the stack goes
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_notifier_reads_only_new_outbox_items_with_bounded_retries_and_a_dlq(synth: Synth) -> None:
    # Given the notifier's event source mapping
    mapping = synth.only("AWS::Lambda::EventSourceMapping")["Properties"]
    # Then it filters with table_schema.STREAM_FILTER_PATTERN
    (criterion,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(criterion["Pattern"]) == STREAM_FILTER_PATTERN
    # And reports partial batch failures, bisects, retries a bounded number of times, for a bounded age
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600
    # And sends what still fails to the DLQ
    dlq_id = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert synth.json["Resources"][dlq_id]["Type"] == "AWS::SQS::Queue"
    assert mapping["StartingPosition"] == "TRIM_HORIZON"


def _denies_insecure_transport(synth: Synth, policy_type: str, target_key: str, target_id: str) -> bool:
    for policy in synth.resources(policy_type).values():
        targets = policy["Properties"][target_key]
        if {"Ref": target_id} not in targets:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                return True
    return False


def test_topic_is_kms_encrypted_tls_only_and_mails_the_configured_addresses(synth: Synth) -> None:
    # Given the alert topic
    (topic_id, topic), *_ = synth.resources("AWS::SNS::Topic").items()
    key_id = topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    # Then it is encrypted with a rotated customer key that CloudWatch alarms may use
    key = synth.json["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    principals = [s.get("Principal", {}).get("Service") for s in key["KeyPolicy"]["Statement"]]
    assert "cloudwatch.amazonaws.com" in principals
    # And it refuses publishing without TLS
    assert _denies_insecure_transport(synth, "AWS::SNS::TopicPolicy", "Topics", topic_id)
    # And each configured address is subscribed by email
    subscriptions = synth.resources("AWS::SNS::Subscription").values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == sorted(ALERT_EMAILS)
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}


def test_dlq_is_encrypted_and_tls_only(synth: Synth) -> None:
    # Given every queue of the stack (the notifier's DLQ)
    queues = synth.resources("AWS::SQS::Queue")
    assert queues
    for queue_id, queue in queues.items():
        # Then it is encrypted at rest and refuses requests without TLS
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert _denies_insecure_transport(synth, "AWS::SQS::QueuePolicy", "Queues", queue_id)


def _alarms_by_metric(synth: Synth) -> dict[str, list[dict[str, Any]]]:
    alarms: dict[str, list[dict[str, Any]]] = {}
    for alarm in synth.resources("AWS::CloudWatch::Alarm").values():
        alarms.setdefault(alarm["Properties"]["MetricName"], []).append(alarm["Properties"])
    return alarms


def test_alarms_cover_errors_dlq_and_stale_sweeps_and_notify_the_alert_topic(synth: Synth) -> None:
    # Given no ops topic configured
    topic_ref = {"Ref": next(iter(synth.resources("AWS::SNS::Topic")))}
    # When we group the alarms by metric
    alarms = _alarms_by_metric(synth)
    # Then each function has an error alarm, the DLQ one on depth above zero, each service a staleness one
    assert len(alarms["Errors"]) == len(synth.resources("AWS::Lambda::Function")) == 4
    (dlq_alarm,) = alarms["ApproximateNumberOfMessagesVisible"]
    assert dlq_alarm["Threshold"] == 0
    assert dlq_alarm["ComparisonOperator"] == "GreaterThanThreshold"
    stale = alarms[metric_names.SWEEP_SUCCEEDED]
    assert sorted(
        next(d["Value"] for d in a["Dimensions"] if d["Name"] == metric_names.SOURCE_DIMENSION) for a in stale
    ) == ["personalize", "rekognition"]
    for alarm in stale:
        # No successful sweep in three schedule periods, no data counting as failure
        assert alarm["Namespace"] == metric_names.NAMESPACE
        assert {"Name": "service", "Value": metric_names.SERVICE_NAME} in alarm["Dimensions"]
        assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (300, 3, 3)
        assert alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["Threshold"] == 1
        assert alarm["TreatMissingData"] == "breaching"
    # And every alarm notifies the alert topic
    for group in alarms.values():
        for alarm in group:
            assert alarm["AlarmActions"] == [topic_ref]


def test_outputs_are_the_ones_the_cli_reads(synth: Synth) -> None:
    # Given the template's outputs
    outputs = synth.json["Outputs"]
    # Then they carry exactly these keys
    assert {"TableName", "TopicArn", "DlqUrl", "DashboardUrl"} <= set(outputs)
    table_id = next(iter(synth.resources("AWS::DynamoDB::Table")))
    assert outputs["TableName"]["Value"] == {"Ref": table_id}
    assert outputs["TopicArn"]["Value"] == {"Ref": next(iter(synth.resources("AWS::SNS::Topic")))}


def test_dashboard_shows_sweeps_transitions_alerts_calls_and_durations(synth: Synth) -> None:
    # Given the dashboard body (a JSON string with tokens joined in)
    body = synth.only("AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"]
    text = json.dumps(body)
    # Then it graphs the statusmon metrics users look at
    for name in (
        metric_names.SWEEP_SUCCEEDED,
        metric_names.TRANSITIONS,
        metric_names.ALERTS_SENT,
        metric_names.AWS_CALLS,
        metric_names.SWEEP_DURATION,
        "Duration",
    ):
        assert name in text, name


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """A second configuration: one service, an hourly rate, an ops topic, a throwaway stack, filters."""
    return synthesize(
        tmp_path_factory.mktemp("variant"),
        services=["personalize"],
        schedule_rate="1 hour",
        ops_topic_arn="arn:aws:sns:us-east-1:123456789012:ops",
        throwaway=True,
        personalize_filter_arns=["arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"],
        log_retention_days=7,
    )


def test_a_disabled_service_has_no_function_rule_or_alarm(variant: Synth) -> None:
    # Given only personalize enabled
    handlers = {fn["Properties"]["Handler"] for fn in variant.resources("AWS::Lambda::Function").values()}
    # Then there is no Rekognition poller, and both rules (the poller's, the redrive's) run hourly
    assert handlers == {NOTIFY_HANDLER, REDRIVE_HANDLER, "statusmon.handlers.poll_personalize.handler"}
    rules = variant.resources("AWS::Events::Rule").values()
    assert [r["Properties"]["ScheduleExpression"] for r in rules] == ["rate(1 hour)"] * 2
    # And staleness is judged over three hours
    (stale,) = _alarms_by_metric(variant)[metric_names.SWEEP_SUCCEEDED]
    assert (stale["Period"], stale["EvaluationPeriods"]) == (3600, 3)


def test_a_configured_ops_topic_receives_the_alarms(variant: Synth) -> None:
    # Given an ops topic ARN in the context
    # Then every alarm notifies it, not the alert topic
    for group in _alarms_by_metric(variant).values():
        for alarm in group:
            assert alarm["AlarmActions"] == ["arn:aws:sns:us-east-1:123456789012:ops"]


def test_a_throwaway_stack_deletes_its_table_and_filters_reach_the_poller(variant: Synth) -> None:
    # Given throwaway: true
    table = variant.only("AWS::DynamoDB::Table")
    # Then the table goes with the stack
    assert table["DeletionPolicy"] == "Delete"
    # And the dataset-group filter and log retention reach the function and its log group
    variant.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "statusmon.handlers.poll_personalize.handler",
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "STATUSMON_PERSONALIZE_FILTER_ARNS": (
                            "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
                        )
                    }
                )
            },
        },
    )
    assert {
        g["Properties"]["RetentionInDays"] for g in variant.resources("AWS::Logs::LogGroup").values()
    } == {7}


def test_configured_values_reach_the_functions_as_settings_they_parse(tmp_path) -> None:
    # Given a stack configured with filters and non-default alert options
    projects = ["shoes", "boots"]
    groups = ["arn:aws:personalize:us-east-1:123456789012:dataset-group/retail"]
    synth = synthesize(
        tmp_path,
        project_names=projects,
        personalize_filter_arns=groups,
        alert_recoveries=True,
        alert_warnings=False,
        history_retention_days=30,
    )
    for handler, (_, fn) in functions_by_handler(synth).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        literal = {k: v for k, v in variables.items() if k.startswith("STATUSMON_") and isinstance(v, str)}
        # When a function parses its environment with the settings model
        settings = load_settings({**literal, "STATUSMON_TABLE_NAME": "from-ref"})
        # Then it gets exactly what cdk.json said
        assert settings.project_names == projects, handler
        assert settings.personalize_filter_arns == groups, handler
        assert (settings.alert_recoveries, settings.alert_warnings) == (True, False), handler
        assert settings.history_retention_days == 30, handler
