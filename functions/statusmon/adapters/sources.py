"""What a source gives the sweep: one listing of a service, and optional details per resource."""

from __future__ import annotations

from dataclasses import dataclass, field

from statusmon.domain.model import Observation


@dataclass
class Listing:
    observations: list[Observation] = field(default_factory=list)
    # False when any page could not be read: then nothing may be marked deleted.
    complete: bool = True
    problems: list[str] = field(default_factory=list)
