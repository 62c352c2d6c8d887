"""In Lambda botocore is the runtime's, not the pinned one: what statusmon needs of it is checked."""

from __future__ import annotations

import botocore
import pytest

from statusmon.adapters import aws
from statusmon.adapters.answers import BEFORE_PARSE_SINCE, guard
from statusmon.adapters.errors import AwsError


@pytest.mark.parametrize("version", ["1.35.16", "1.40.4", "1.44.5", "2.0.0"])
def test_a_botocore_that_emits_before_parse_gets_the_answer_check(
    monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    # Given a runtime's botocore of that version
    monkeypatch.setattr(botocore, "__version__", version)
    # When a source client is guarded, then its answers are checked before botocore parses them
    client = guard(aws.create_client("rekognition", region="us-east-1"))
    assert client.meta.events._emitter._unique_id_handlers.get("statusmon-answers")


@pytest.mark.parametrize("version", ["1.34.0", "1.35.15", "1.9.99"])
def test_an_older_botocore_is_refused_rather_than_trusted(
    monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    # Given a runtime's botocore older than the before-parse event (it would take the hook, never call it)
    monkeypatch.setattr(botocore, "__version__", version)
    # When a source client is guarded, then the sweep stops with one line saying why
    with pytest.raises(AwsError) as raised:
        guard(aws.create_client("rekognition", region="us-east-1"))
    message = str(raised.value)
    assert message.startswith(f"botocore {version} cannot check answers")
    assert ".".join(map(str, BEFORE_PARSE_SINCE)) in message
    assert "\n" not in message
