"""The filters' one predicate: which resources statusmon watches, by project or by Personalize dataset."""

from __future__ import annotations

from statusmon.domain.filters import Filters
from statusmon.domain.vocabulary import Service

SHOES_TRAIN = "arn:aws:rekognition:us-east-1:111122223333:project/shoes/dataset/train/1732449712345"
HATS_TEST = "arn:aws:rekognition:us-east-1:111122223333:project/hats/dataset/test/1732449733456"
JOB = "arn:aws:personalize:us-east-1:111122223333:dataset-import-job/shop-interactions-20261124"
SHOP_GROUP = "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop"
SHOP_INTERACTIONS = "arn:aws:personalize:us-east-1:111122223333:dataset/shop/INTERACTIONS"
SHOP_ITEMS = "arn:aws:personalize:us-east-1:111122223333:dataset/shop/ITEMS"
OTHER_INTERACTIONS = "arn:aws:personalize:us-east-1:111122223333:dataset/other/INTERACTIONS"


def test_without_filters_everything_is_included() -> None:
    # Given no filter
    filters = Filters()
    # Then every resource is included, even one that cannot be placed
    assert filters.verdict(Service.REKOGNITION, HATS_TEST, None) is True
    assert filters.verdict(Service.PERSONALIZE, JOB, None) is True
    assert filters.verdict(Service.REKOGNITION, "not an arn", None) is True


def test_a_dataset_is_placed_by_the_project_its_arn_names() -> None:
    # Given project_names = shoes
    filters = Filters.of(project_names=["shoes"])
    # Then the shoes dataset is included, the hats one excluded, a malformed ARN unknown
    assert filters.verdict(Service.REKOGNITION, SHOES_TRAIN, None) is True
    assert filters.verdict(Service.REKOGNITION, HATS_TEST, None) is False
    assert filters.verdict(Service.REKOGNITION, "arn:aws:rekognition:bad", None) is None
    # And a project filter says nothing about Personalize
    assert filters.verdict(Service.PERSONALIZE, JOB, None) is True


def test_an_import_job_is_placed_by_its_dataset_not_its_own_arn() -> None:
    # Given a filter on one dataset
    by_dataset = Filters.of(personalize_arns=[SHOP_INTERACTIONS])
    # Then a job of that dataset is included, a job of a sibling dataset excluded
    assert by_dataset.verdict(Service.PERSONALIZE, JOB, SHOP_INTERACTIONS) is True
    assert by_dataset.verdict(Service.PERSONALIZE, JOB, SHOP_ITEMS) is False
    # And a job whose dataset is not known cannot be placed (its ARN names no dataset)
    assert by_dataset.verdict(Service.PERSONALIZE, JOB, None) is None


def test_a_dataset_group_filter_includes_the_jobs_of_each_of_its_datasets() -> None:
    # Given a filter on the dataset group shop
    by_group = Filters.of(personalize_arns=[SHOP_GROUP])
    # Then jobs of every shop dataset are included, jobs of another group excluded
    assert by_group.verdict(Service.PERSONALIZE, JOB, SHOP_INTERACTIONS) is True
    assert by_group.verdict(Service.PERSONALIZE, JOB, SHOP_ITEMS) is True
    assert by_group.verdict(Service.PERSONALIZE, JOB, OTHER_INTERACTIONS) is False
    # And a group of the same name in another region or account is another group
    elsewhere = SHOP_INTERACTIONS.replace("us-east-1", "eu-west-1")
    assert by_group.verdict(Service.PERSONALIZE, JOB, elsewhere) is False
    other_account = SHOP_INTERACTIONS.replace("111122223333", "444455556666")
    assert by_group.verdict(Service.PERSONALIZE, JOB, other_account) is False
