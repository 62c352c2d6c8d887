"""10,000 datasets and 10,000 import jobs: fast to seed, each page answered in milliseconds."""

from __future__ import annotations

import time
from typing import Any

from statusmon_emulator import Emulator


def test_ten_thousand_of_each_page_quickly(emu: Emulator, rek: Any, per: Any) -> None:
    # Given 5,000 projects with TRAIN and TEST datasets (10,000 datasets) and 10,000 import jobs
    started = time.perf_counter()
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
    seeding = time.perf_counter() - started

    # When the last page of each listing is read after walking to it
    def walk(call: Any, token_in: str, token_out: str, **params: Any) -> tuple[int, float]:
        count, slowest, token = 0, 0.0, None
        while True:
            began = time.perf_counter()
            page = call(**params, **({token_in: token} if token else {}))
            slowest = max(slowest, time.perf_counter() - began)
            count += 1
            token = page.get(token_out)
            if not token:
                return count, slowest

    project_pages, slowest_projects = walk(rek.describe_projects, "NextToken", "NextToken", MaxResults=100)
    job_pages, slowest_jobs = walk(per.list_dataset_import_jobs, "nextToken", "nextToken", maxResults=100)

    # Then seeding took about a second and every page came back well under 100 ms
    assert seeding < 5
    assert (project_pages, job_pages) == (50, 100)
    assert slowest_projects < 0.1
    assert slowest_jobs < 0.1
