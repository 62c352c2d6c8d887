"""What a source gives the sweep: one listing of a service, and optional details per resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statusmon.domain.arns import MalformedArnError, ResourceArn, parse_resource_arn
from statusmon.domain.model import Observation
from statusmon.domain.vocabulary import ResourceType

_KIND_LABEL = {
    ResourceType.DATASET: "Custom Labels dataset",
    ResourceType.DATASET_IMPORT_JOB: "dataset import job",
}


@dataclass
class Listing:
    observations: list[Observation] = field(default_factory=list)
    # False when anything in it could not be read (a page, an item): then nothing may be deleted.
    complete: bool = True
    # The deadline came while it was paging (it is incomplete too).
    out_of_time: bool = False
    problems: list[str] = field(default_factory=list)
    # Listed, but unreadable as an item (an ARN without a status): not diffed, not deleted.
    unreadable: set[str] = field(default_factory=set)

    def problem(self, text: str) -> None:
        self.complete = False
        self.problems.append(text)

    def identify(
        self, item: Any, *, arn_key: str, status_key: str, kind: ResourceType, what: str
    ) -> tuple[ResourceArn, str] | None:
        """A listed item's parsed ARN and status, or None after recording what is wrong with it.

        An item without a usable ARN cannot even be named; one with an ARN but no status is
        unreadable: listed (so never deleted for it), not diffed.
        """
        arn = item.get(arn_key) if isinstance(item, dict) else None
        if not isinstance(arn, str) or not arn:
            self.problem(f"{what}: an item without its {arn_key}")
            return None
        try:
            parsed = parse_resource_arn(arn)
        except MalformedArnError:
            parsed = None
        if parsed is None or parsed.resource_type is not kind:
            self.problem(f"{what}: {arn!r} is not a {_KIND_LABEL[kind]} ARN")
            return None
        status = item.get(status_key)
        if not isinstance(status, str) or not status:
            self.problem(f"{what}: {arn} without its {status_key}")
            self.unreadable.add(arn)
            return None
        return parsed, status
