"""Short ids: how the text a user types becomes one resource, or a clear refusal."""

from dataclasses import replace

import pytest

from statusmon.cli.ids import AmbiguousIdError, UnknownIdError, resolve, short_id
from statusmon.domain.arns import MalformedArnError
from statusmon.domain.model import ResourceState
from tests.unit.factories import DATASET_ARN, JOB_ARN, dataset, job, state

GROUP_DATASET = "arn:aws:personalize:eu-west-1:123456789012:dataset/retail/INTERACTIONS"
TRAIN = state(dataset("CREATE_FAILED"))
TEST = replace(TRAIN, resource_arn=DATASET_ARN.replace("/train/", "/test/"), name="shoes/test")
JOB = state(job("ACTIVE", parent_arn=GROUP_DATASET))
TABLE = [TRAIN, TEST, JOB]


def _dataset(project: str, kind: str, number: int, status: str = "CREATE_COMPLETE") -> ResourceState:
    arn = f"arn:aws:rekognition:us-east-1:123456789012:project/{project}/dataset/{kind}/{number}"
    return replace(TRAIN, resource_arn=arn, name=f"{project}/{kind}", status=status)


def test_the_ids_are_names_a_person_can_type() -> None:
    assert [short_id(s) for s in TABLE] == ["shoes/train", "shoes/test", "retail/interactions-2026-11-24"]
    # a job whose dataset was never recorded goes by its name alone
    assert short_id(state(job("ACTIVE"))) == "interactions-2026-11-24"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("shoes/train", DATASET_ARN),
        ("  shoes/train ", DATASET_ARN),
        ("retail/interactions-2026-11-24", JOB_ARN),
        ("interactions-2026-11-24", JOB_ARN),  # the job's name
        ("retail", JOB_ARN),  # the dataset group, which has one tracked job
        (DATASET_ARN, DATASET_ARN),
    ],
)
def test_a_unique_id_resolves_to_its_resource(given: str, expected: str) -> None:
    resolved = resolve(given, TABLE)
    assert resolved.arn == expected
    assert resolved.state is not None
    assert resolved.state.resource_arn == expected


def test_an_arn_resolves_even_when_it_is_not_tracked() -> None:
    # (history then says there is nothing recorded; a waiting command can wait for it to appear)
    untracked = DATASET_ARN.replace("shoes", "boots")
    assert resolve(untracked, TABLE).arn == untracked
    assert resolve(untracked, TABLE).state is None


def test_a_project_with_two_datasets_is_ambiguous() -> None:
    with pytest.raises(AmbiguousIdError) as caught:
        resolve("shoes", TABLE)
    assert caught.value.candidates == ["shoes/test", "shoes/train"]
    assert "'shoes' matches 2 tracked resources: shoes/test, shoes/train" in str(caught.value)


def test_a_full_id_wins_over_a_part_of_another() -> None:
    # Given a project named "train" too: "shoes/train" is still one full id
    table = [*TABLE, _dataset("train", "test", 7)]
    assert resolve("shoes/train", table).arn == DATASET_ARN
    with pytest.raises(AmbiguousIdError):
        resolve("train", table)  # the project train, or the train dataset of shoes


def test_a_recreated_project_means_the_live_dataset() -> None:
    # Given shoes deleted and created again: the old ARN stays in the table as DELETED
    old = _dataset("shoes", "train", 1, status="DELETED")
    assert resolve("shoes/train", [old, TRAIN]).arn == DATASET_ARN
    # And when nothing of that name is live, the ARNs are the only way to tell them apart
    with pytest.raises(AmbiguousIdError) as caught:
        resolve("shoes/train", [old, replace(TRAIN, status="DELETED")])
    assert caught.value.candidates == sorted([old.resource_arn, DATASET_ARN])


def test_the_same_id_in_both_services_lists_the_arns() -> None:
    # Given a Personalize dataset group "shoes" with a job named "train"
    job_arn = JOB_ARN.replace("interactions-2026-11-24", "train")
    twin = replace(
        JOB, resource_arn=job_arn, name="train", parent_arn=GROUP_DATASET.replace("retail", "shoes")
    )
    assert short_id(twin) == short_id(TRAIN)
    with pytest.raises(AmbiguousIdError) as caught:
        resolve("shoes/train", [TRAIN, twin])
    assert caught.value.candidates == sorted([DATASET_ARN, job_arn])


def test_a_long_list_of_candidates_is_cut() -> None:
    table = [_dataset(f"p{i:02d}", "train", i) for i in range(15)]
    with pytest.raises(AmbiguousIdError) as caught:
        resolve("train", table)
    assert len(caught.value.candidates) == 15
    assert str(caught.value).count("/train") == 10
    assert "and 5 more" in str(caught.value)


@pytest.mark.parametrize("given", ["boots/train", "shoe", "", "SHOES/TRAIN"])
def test_an_unknown_id_is_refused(given: str) -> None:
    with pytest.raises(UnknownIdError):
        resolve(given, TABLE)


def test_text_that_starts_like_an_arn_must_be_one() -> None:
    with pytest.raises(MalformedArnError):
        resolve("arn:aws:s3:::bucket", TABLE)
