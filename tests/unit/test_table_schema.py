from statusmon.adapters import table_schema as schema
from statusmon.adapters.store import HistoryItem, StateItem, history_sk


def test_models_use_the_spec_keys_and_indexes() -> None:
    # Given the PynamoDB models and the table spec everything else builds from
    state = StateItem._get_schema()
    # Then keys and indexes agree, so local tables and the CDK table fit the models
    assert {k["AttributeName"]: k["KeyType"] for k in state["key_schema"]} == {"pk": "HASH", "sk": "RANGE"}
    indexes = {
        i["index_name"]: {k["AttributeName"]: k["KeyType"] for k in i["key_schema"]}
        for i in state["global_secondary_indexes"]
    }
    assert indexes == {
        spec.name: {spec.partition_key: "HASH", spec.sort_key: "RANGE"} for spec in schema.TABLE.indexes
    }
    assert StateItem.Meta.stream_view_type == schema.TABLE.stream_view_type
    assert HistoryItem._ttl_attribute().attr_name == schema.TABLE.ttl_attribute


def test_create_table_kwargs_define_every_key_attribute() -> None:
    kwargs = schema.TABLE.create_table_kwargs("t")
    defined = {a["AttributeName"] for a in kwargs["AttributeDefinitions"]}
    used = {k["AttributeName"] for k in kwargs["KeySchema"]}
    for index in kwargs["GlobalSecondaryIndexes"]:
        used |= {k["AttributeName"] for k in index["KeySchema"]}
    assert defined == used
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"


def test_history_keys_sort_oldest_first() -> None:
    keys = [history_sk(v) for v in (1, 2, 10, 100)]
    assert keys == sorted(keys)


def test_the_stream_filter_keeps_only_new_outbox_items() -> None:
    assert schema.STREAM_FILTER_PATTERN == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {"pk": {"S": [schema.OUTBOX_PK]}}},
    }


def test_a_table_is_recognised_as_statusmon_by_its_keys_and_indexes() -> None:
    kwargs = schema.TABLE.create_table_kwargs("t")
    assert schema.TABLE.matches(kwargs)
    other = dict(kwargs, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    assert not schema.TABLE.matches(other)
    no_index = dict(kwargs, GlobalSecondaryIndexes=kwargs["GlobalSecondaryIndexes"][:1])
    assert not schema.TABLE.matches(no_index)
