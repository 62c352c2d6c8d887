"""One botocore session per process: every client statusmon makes and every PynamoDB model share it."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from botocore.session import Session

from statusmon.adapters import aws, sns
from statusmon.adapters.personalize import PersonalizeSource
from statusmon.adapters.rekognition import RekognitionSource
from statusmon.adapters.store import HistoryItem, OutboxItem, ServiceItem, StateItem, StatusStore
from statusmon.domain.vocabulary import Service
from statusmon.logic.alerts import SNS_CHANNEL
from tests.unit.factories import DATASET_ARN

MODELS = (StateItem, HistoryItem, ServiceItem, OutboxItem)


@pytest.fixture
def sessions_made(monkeypatch: pytest.MonkeyPatch) -> list[Session]:
    """The botocore sessions this thread makes from now on (moto's server threads make their own)."""
    made: list[Session] = []
    real_init = Session.__init__
    caller = threading.current_thread()

    def counting(self: Session, *args: Any, **kwargs: Any) -> None:
        if threading.current_thread() is caller:
            made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(Session, "__init__", counting)
    return made


def test_a_cold_process_makes_one_session_for_every_client_and_model(
    aws_endpoint: str, sessions_made: list[Session]
) -> None:
    # Given a process that has made no session yet (as a Lambda's first invocation)
    aws.session.cache_clear()
    sns._client.cache_clear()
    for model in MODELS:
        model._connection = None
    store = StatusStore(f"status-{uuid.uuid4().hex[:10]}")
    # When it sets up its table, calls through every model, publishes and makes both sources' clients
    store.ensure_table()
    assert store.load_service(Service.REKOGNITION) == {}
    assert store.history(DATASET_ARN) == []
    assert store.service_meta(Service.PERSONALIZE).baseline_at is None
    assert store.pending(SNS_CHANNEL) == []
    topic_arn = sns.ensure_topic(f"shared-{uuid.uuid4().hex[:8]}")
    sources = [RekognitionSource(), PersonalizeSource()]
    # Then one session served them all, and the four models share one DynamoDB client
    assert len(sessions_made) == 1
    assert sessions_made[0] is aws.session()
    assert len({id(model._get_connection().connection) for model in MODELS}) == 1
    assert len({id(model._get_connection().connection.client) for model in MODELS}) == 1
    loader = aws.session().get_component("data_loader")
    for client in (
        StateItem._get_connection().connection.client,
        sns._client(),
        *(s._client for s in sources),
    ):
        assert client._loader is loader
    assert topic_arn.startswith("arn:aws:sns:")


def test_rebinding_to_another_table_keeps_the_session(
    aws_endpoint: str, sessions_made: list[Session]
) -> None:
    # Given the store bound to one table, with its session made
    first = StatusStore(f"status-{uuid.uuid4().hex[:10]}")
    first.ensure_table()
    first.load_service(Service.REKOGNITION)
    made_before = len(sessions_made)
    # When a store for another table (the CLI's tests and the demo do this) is used
    second = StatusStore(f"status-{uuid.uuid4().hex[:10]}")
    second.ensure_table()
    second.load_service(Service.REKOGNITION)
    # Then the models point at the new table, on the same session, through one new connection
    assert all(model.Meta.table_name == second.table_name for model in MODELS)
    assert len({id(model._get_connection()) for model in MODELS}) == 1
    assert len(sessions_made) == made_before
    # And binding the same table again keeps the connection it has
    bound = StateItem._get_connection()
    StatusStore(second.table_name)
    assert StateItem._get_connection() is bound
