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
WATCH_HANDLER = "statusmon.handlers.watch.handler"
DISCOVER_HANDLER = "statusmon.handlers.discover.handler"
OPS_HANDLER = "statusmon.handlers.ops.handler"
# Functions that publish alerts, and so receive the topic ARN.
DELIVERERS = {NOTIFY_HANDLER, REDRIVE_HANDLER}


def functions_by_handler(synth: Synth) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        fn["Properties"]["Handler"]: (logical_id, fn)
        for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
    }


def test_every_function_is_arm64_python_313_json_logs_and_traced_but_the_watch(profile: Synth) -> None:
    synth = profile
    # Given the synthesized stack (either profile)
    # When we look at each function
    functions = synth.resources("AWS::Lambda::Function")
    # Then all of them (two pollers, the notifier, the redrive, the watch, discovery, and without alarms
    # the failure summariser) share one runtime, architecture and logging set-up
    assert len(functions) == (7 if _has_summaries(synth) else 6)
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.13"  # the bytecode the asset ships is for 3.13
        assert props["Architectures"] == ["arm64"]
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        # And each is traced, except the watch (43,200 runs a month: X-Ray would bill $0.22) and the
        # failure summariser (as many when the watch fails at every run), whose Tracer is told so too
        variables = props["Environment"]["Variables"]
        if props["Handler"] in {WATCH_HANDLER, OPS_HANDLER}:
            assert "TracingConfig" not in props
            assert variables["POWERTOOLS_TRACE_DISABLED"] == "true"
        else:
            assert props["TracingConfig"] == {"Mode": "Active"}
            assert "POWERTOOLS_TRACE_DISABLED" not in variables
        log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        log_group = synth.json["Resources"][log_group_id]
        assert log_group["Properties"]["RetentionInDays"] == 30
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == metric_names.SERVICE_NAME
        assert props["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == metric_names.NAMESPACE


def _metrics_disabled(synth: Synth) -> set[str]:
    return {
        fn["Properties"]["Environment"]["Variables"]["POWERTOOLS_METRICS_DISABLED"]
        for fn in synth.resources("AWS::Lambda::Function").values()
    }


def test_custom_metrics_are_off_by_default_and_on_when_enabled(synth: Synth, everything: Synth) -> None:
    # Given the default profile: every function tells Powertools to print no metrics (none is billed)
    assert _metrics_disabled(synth) == {"true"}
    # And with custom_metrics on, every function emits them
    assert _metrics_disabled(everything) == {"false"}


def test_environment_variables_are_ones_the_settings_model_reads(profile: Synth) -> None:
    synth = profile
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
        if "ScheduleExpression" not in rule["Properties"]:
            continue  # the CloudTrail rule of discovery
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
    # And it has the notifier's environment (the same table, topic and alert settings), and where to
    # report the failing functions that recovered: the ops topic, after two quiet schedule periods
    notify = functions_by_handler(synth)[NOTIFY_HANDLER][1]
    assert props["Environment"]["Variables"] == {
        **notify["Properties"]["Environment"]["Variables"],
        "STATUSMON_OPS_TOPIC_ARN": _topic_ref(synth),
        "STATUSMON_OPS_RECOVERY_MINUTES": "10",
    }
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
    # And it is recoverable, and kept when the stack goes
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_table_is_encrypted_at_rest_with_an_aws_key_in_both_profiles(synth: Synth, everything: Synth) -> None:
    # Given the default profile: DynamoDB's AWS-owned key (CloudFormation spells it SSEEnabled false;
    # DynamoDB has no unencrypted tables), so no KMS request is billed
    assert synth.only("AWS::DynamoDB::Table")["Properties"]["SSESpecification"] == {"SSEEnabled": False}
    # And with customer_managed_key on: the AWS-managed key aws/dynamodb (KMS, no key of ours given)
    assert everything.only("AWS::DynamoDB::Table")["Properties"]["SSESpecification"] == {"SSEEnabled": True}


def test_notifier_reads_only_new_outbox_items_with_bounded_retries(profile: Synth) -> None:
    synth = profile
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
    assert mapping["StartingPosition"] == "TRIM_HORIZON"


def _topic_ref(synth: Synth) -> dict[str, str]:
    (topic_id,) = synth.resources("AWS::SNS::Topic")
    return {"Ref": topic_id}


def _has_summaries(synth: Synth) -> bool:
    return OPS_HANDLER in functions_by_handler(synth)


def test_by_default_failed_runs_go_to_the_summariser_and_stream_batches_to_the_alert_topic(
    synth: Synth,
) -> None:
    # Given the default profile (no alarm can publish to a topic under aws/sns)
    topic = _topic_ref(synth)
    functions = functions_by_handler(synth)
    summariser_id, summariser = functions[OPS_HANDLER]
    # Then a stream batch the notifier still fails after its retries is published to the topic
    mapping = synth.only("AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": topic}}
    # And each failed run of the asynchronously invoked functions (both pollers, the redrive, the
    # watch) and each discovery event that still failed after its retries goes to the summariser
    scheduled = {functions[h][0] for h in (*POLL_HANDLERS, REDRIVE_HANDLER, WATCH_HANDLER, DISCOVER_HANDLER)}
    configs = {
        c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
        for c in synth.resources("AWS::Lambda::EventInvokeConfig").values()
    }
    assert set(configs) == scheduled | {summariser_id}
    for logical_id in scheduled:
        assert configs[logical_id]["DestinationConfig"] == {
            "OnFailure": {"Destination": {"Fn::GetAtt": [summariser_id, "Arn"]}}
        }
    # And the summariser's own failures go to the topic as they are, never back to itself; it is
    # retried, and told where to publish
    assert configs[summariser_id]["DestinationConfig"] == {"OnFailure": {"Destination": topic}}
    assert configs[summariser_id]["MaximumRetryAttempts"] == 2
    assert summariser["Properties"]["Environment"]["Variables"]["STATUSMON_OPS_TOPIC_ARN"] == topic
    # And it runs only when a record arrives: no schedule, no rule
    assert summariser_id not in _schedules(synth)
    # And there is no queue to watch and no alarm to pay for
    assert synth.resources("AWS::SQS::Queue") == {}
    assert synth.resources("AWS::CloudWatch::Alarm") == {}


def test_with_alarms_failed_stream_batches_wait_in_a_dlq(everything: Synth) -> None:
    # Given every option on
    mapping = everything.only("AWS::Lambda::EventSourceMapping")["Properties"]
    # Then what the notifier still fails goes to the SQS DLQ (which an alarm watches, below)
    dlq_id = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert everything.json["Resources"][dlq_id]["Type"] == "AWS::SQS::Queue"
    # And a failed scheduled run is reported by its error alarm, not by a destination
    for config in everything.resources("AWS::Lambda::EventInvokeConfig").values():
        assert "DestinationConfig" not in config["Properties"]


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


def test_topic_is_encrypted_tls_only_and_mails_the_configured_addresses(profile: Synth) -> None:
    synth = profile
    # Given the alert topic (either profile)
    (topic_id, topic), *_ = synth.resources("AWS::SNS::Topic").items()
    # Then it is encrypted with a KMS key
    assert topic["Properties"]["KmsMasterKeyId"]
    # And it refuses publishing without TLS
    assert _denies_insecure_transport(synth, "AWS::SNS::TopicPolicy", "Topics", topic_id)
    # And each configured address is subscribed by email
    subscriptions = synth.resources("AWS::SNS::Subscription").values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == sorted(ALERT_EMAILS)
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}


def test_by_default_the_topic_key_is_aws_managed_and_no_key_is_billed(synth: Synth) -> None:
    # Given the default profile
    topic = synth.only("AWS::SNS::Topic")["Properties"]
    # Then the topic is under aws/sns (no monthly fee), and the stack has no key of its own
    assert json.dumps(topic["KmsMasterKeyId"]).endswith(':alias/aws/sns"]]}')
    assert synth.resources("AWS::KMS::Key") == {}


def test_a_customer_managed_key_encrypts_the_topic_and_cloudwatch_may_use_it(everything: Synth) -> None:
    # Given customer_managed_key on
    topic = everything.only("AWS::SNS::Topic")["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    # Then the topic is encrypted with a rotated customer key that CloudWatch alarms may use
    key = everything.json["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    principals = [s.get("Principal", {}).get("Service") for s in key["KeyPolicy"]["Statement"]]
    assert "cloudwatch.amazonaws.com" in principals


def test_dlq_is_encrypted_and_tls_only(everything: Synth) -> None:
    synth = everything
    # Given every queue of the stack (the notifier's DLQ, there with alarms)
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


def test_alarms_cover_errors_dlq_and_stale_sweeps_and_notify_the_alert_topic(everything: Synth) -> None:
    synth = everything
    # Given alarms, custom metrics and the customer-managed key on, and no ops topic configured
    topic_ref = {"Ref": next(iter(synth.resources("AWS::SNS::Topic")))}
    # When we group the alarms by metric
    alarms = _alarms_by_metric(synth)
    # Then each function has an error alarm, the DLQ one on depth above zero, each service a staleness one
    assert len(alarms["Errors"]) == len(synth.resources("AWS::Lambda::Function")) == 6
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


def test_outputs_are_the_ones_the_cli_reads(synth: Synth, everything: Synth) -> None:
    for profile, extra in ((synth, set()), (everything, {"DlqUrl", "DashboardUrl"})):
        # Given the template's outputs
        outputs = profile.json["Outputs"]
        # Then the table and topic are always there; the DLQ and dashboard when they exist
        assert set(outputs) == {"TableName", "TopicArn"} | extra
        table_id = next(iter(profile.resources("AWS::DynamoDB::Table")))
        assert outputs["TableName"]["Value"] == {"Ref": table_id}
        assert outputs["TopicArn"]["Value"] == {"Ref": next(iter(profile.resources("AWS::SNS::Topic")))}


def test_no_dashboard_by_default(synth: Synth) -> None:
    assert synth.resources("AWS::CloudWatch::Dashboard") == {}


def test_dashboard_shows_sweeps_transitions_alerts_calls_and_durations(everything: Synth) -> None:
    # Given the dashboard body (a JSON string with tokens joined in)
    body = everything.only("AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"]
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


OPS_TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Another configuration: one service, an hourly rate, an ops topic taking alarms (with custom
    metrics, so staleness ones too; no customer-managed key), a throwaway stack, filters."""
    return synthesize(
        tmp_path_factory.mktemp("variant"),
        services=["personalize"],
        schedule_rate="1 hour",
        ops_topic_arn=OPS_TOPIC,
        alarms=True,
        custom_metrics=True,
        throwaway=True,
        personalize_filter_arns=["arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"],
        log_retention_days=7,
    )


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Options picked one by one: a dashboard without custom metrics, the customer-managed key
    without alarms, and an ops topic."""
    return synthesize(
        tmp_path_factory.mktemp("mixed"),
        dashboard=True,
        customer_managed_key=True,
        ops_topic_arn=OPS_TOPIC,
    )


def test_a_disabled_service_has_no_function_rule_or_alarm(variant: Synth) -> None:
    # Given only personalize enabled
    handlers = {fn["Properties"]["Handler"] for fn in variant.resources("AWS::Lambda::Function").values()}
    # Then there is no Rekognition poller, and both schedules (the poller's, the redrive's) run hourly;
    # the watch's runs every minute whatever the rate
    assert handlers == {
        NOTIFY_HANDLER,
        REDRIVE_HANDLER,
        WATCH_HANDLER,
        DISCOVER_HANDLER,
        "statusmon.handlers.poll_personalize.handler",
    }
    rules = variant.resources("AWS::Events::Rule").values()
    assert sorted(r["Properties"].get("ScheduleExpression", "") for r in rules) == [
        "",
        "rate(1 hour)",
        "rate(1 hour)",
        "rate(1 minute)",
    ]
    # And discovery listens to Personalize's calls only; the watch may describe its import jobs only
    (pattern,) = [r["Properties"]["EventPattern"] for r in rules if "EventPattern" in r["Properties"]]
    assert pattern["source"] == ["aws.personalize"]
    assert pattern["detail"]["eventName"] == ["CreateDatasetImportJob"]
    watch_text = json.dumps(
        [
            p["Properties"]["PolicyDocument"]
            for p in variant.resources("AWS::IAM::Policy").values()
            if "HotWatch" in json.dumps(p["Properties"]["Roles"])
        ]
    )
    assert "personalize:DescribeDatasetImportJob" in watch_text
    assert "rekognition:" not in watch_text
    # And staleness is judged over three hours
    (stale,) = _alarms_by_metric(variant)[metric_names.SWEEP_SUCCEEDED]
    assert (stale["Period"], stale["EvaluationPeriods"]) == (3600, 3)


def test_a_configured_ops_topic_receives_the_alarms(variant: Synth) -> None:
    # Given an ops topic ARN in the context
    # Then every alarm notifies it, not the alert topic
    for group in _alarms_by_metric(variant).values():
        for alarm in group:
            assert alarm["AlarmActions"] == [OPS_TOPIC]
    # And the alert topic keeps aws/sns: no key is needed for alarms that go elsewhere
    assert variant.resources("AWS::KMS::Key") == {}


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


def test_a_dashboard_without_custom_metrics_graphs_lambdas_own_metrics(mixed: Synth) -> None:
    # Given a dashboard but no custom metrics
    text = json.dumps(mixed.only("AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"])
    # Then it graphs the functions' invocations, durations and errors, and no statusmon metric
    for name in ("Invocations", "Duration", "Errors", "Throttles"):
        assert name in text, name
    for name in (metric_names.SWEEP_SUCCEEDED, metric_names.TRANSITIONS, metric_names.ALERTS_SENT):
        assert name not in text, name
    # And there is no alarm and no DLQ: failures go to the ops topic as Lambda's records
    assert mixed.resources("AWS::CloudWatch::Alarm") == {}
    assert mixed.resources("AWS::SQS::Queue") == {}
    assert set(mixed.json["Outputs"]) == {"TableName", "TopicArn", "DashboardUrl"}


def test_failure_summaries_go_to_the_ops_topic_when_one_is_configured(mixed: Synth) -> None:
    # Given an ops topic and no alarms
    functions = functions_by_handler(mixed)
    summariser_id = functions[OPS_HANDLER][0]
    # Then failed stream batches, the summariser's own failures, its summaries and the redrive's
    # recovery messages go there, not to the alert topic
    mapping = mixed.only("AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": OPS_TOPIC}}
    configs = {
        c["Properties"]["FunctionName"]["Ref"]: c["Properties"]
        for c in mixed.resources("AWS::Lambda::EventInvokeConfig").values()
    }
    assert len(configs) == 6
    assert configs.pop(summariser_id)["DestinationConfig"] == {"OnFailure": {"Destination": OPS_TOPIC}}
    for config in configs.values():
        assert config["DestinationConfig"] == {
            "OnFailure": {"Destination": {"Fn::GetAtt": [summariser_id, "Arn"]}}
        }
    for handler in (OPS_HANDLER, REDRIVE_HANDLER):
        variables = functions[handler][1]["Properties"]["Environment"]["Variables"]
        assert variables["STATUSMON_OPS_TOPIC_ARN"] == OPS_TOPIC, handler
    # And the alert topic is under the stack's own key all the same
    topic = mixed.only("AWS::SNS::Topic")["Properties"]
    assert topic["KmsMasterKeyId"]["Fn::GetAtt"][0] in mixed.resources("AWS::KMS::Key")
