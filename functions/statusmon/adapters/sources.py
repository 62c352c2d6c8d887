"""What a source gives the sweep: one listing of a service, and optional details per resource."""

from __future__ import annotations

from dataclasses import dataclass, field

from statusmon.domain.model import Observation


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
