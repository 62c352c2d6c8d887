import pytest

from statusmon.domain.vocabulary import DELETED, Phase, Service, is_failed, phase


@pytest.mark.parametrize(
    ("service", "status", "expected"),
    [
        (Service.REKOGNITION, "CREATE_IN_PROGRESS", Phase.IN_FLIGHT),
        (Service.REKOGNITION, "UPDATE_IN_PROGRESS", Phase.IN_FLIGHT),
        (Service.REKOGNITION, "DELETE_IN_PROGRESS", Phase.IN_FLIGHT),
        (Service.REKOGNITION, "CREATE_COMPLETE", Phase.COMPLETE),
        (Service.REKOGNITION, "UPDATE_COMPLETE", Phase.COMPLETE),
        (Service.REKOGNITION, "CREATE_FAILED", Phase.FAILED),
        (Service.REKOGNITION, "UPDATE_FAILED", Phase.FAILED),
        (Service.PERSONALIZE, "CREATE PENDING", Phase.IN_FLIGHT),
        (Service.PERSONALIZE, "CREATE IN_PROGRESS", Phase.IN_FLIGHT),
        (Service.PERSONALIZE, "ACTIVE", Phase.COMPLETE),
        (Service.PERSONALIZE, "CREATE FAILED", Phase.FAILED),
        (Service.PERSONALIZE, DELETED, Phase.DELETED),
    ],
)
def test_each_documented_status_has_its_phase(service: Service, status: str, expected: Phase) -> None:
    assert phase(service, status) is expected


def test_personalize_spelling_is_not_rekognition_spelling() -> None:
    # Given the two services spell "create failed" differently
    # Then each is failed only for its own service
    assert is_failed(Service.PERSONALIZE, "CREATE FAILED")
    assert not is_failed(Service.PERSONALIZE, "CREATE_FAILED")
    assert is_failed(Service.REKOGNITION, "CREATE_FAILED")
    assert not is_failed(Service.REKOGNITION, "CREATE FAILED")


def test_unknown_and_missing_statuses_are_unknown() -> None:
    assert phase(Service.REKOGNITION, "SOMETHING_NEW") is Phase.UNKNOWN
    assert phase(Service.PERSONALIZE, None) is Phase.UNKNOWN
