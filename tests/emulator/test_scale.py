"""10,000 datasets and 10,000 import jobs: seeded in bulk and listed whole, page by page.

How fast is measured by `make bench`, not asserted here (a loaded machine must not fail the tests).
"""

from __future__ import annotations

from typing import Any

from statusmon_emulator import Emulator


def test_ten_thousand_of_each_are_listed_whole_in_pages_of_100(emu: Emulator, rek: Any, per: Any) -> None:
    # Given 5,000 projects with TRAIN and TEST datasets (10,000 datasets) and 10,000 import jobs
    emu.seed(
        rekognition={
            "projects": [
                {
                    "name": f"p{i:05d}",
                    "datasets": [{"type": "TRAIN"}, {"type": "TEST", "status": "UPDATE_FAILED"}],
                }
                for i in range(5000)
            ]
        },
        personalize={
            "dataset_groups": [
                {
                    "name": f"g{g}",
                    "datasets": [
                        {"type": "Interactions", "import_jobs": [{"name": f"j{g}-{i}"} for i in range(1000)]}
                    ],
                }
                for g in range(10)
            ]
        },
    )

    # When each listing is walked to its last page
    def walk(call: Any, token_in: str, token_out: str, items: str, **params: Any) -> tuple[int, int]:
        pages, seen, token = 0, 0, None
        while True:
            page = call(**params, **({token_in: token} if token else {}))
            pages += 1
            seen += len(page[items])
            token = page.get(token_out)
            if not token:
                return pages, seen

    projects = walk(rek.describe_projects, "NextToken", "NextToken", "ProjectDescriptions", MaxResults=100)
    jobs = walk(per.list_dataset_import_jobs, "nextToken", "nextToken", "datasetImportJobs", maxResults=100)

    # Then every project and job is listed, 100 to a page
    assert projects == (50, 5000)
    assert jobs == (100, 10_000)
