"""Short ids: the ID column of ``statusmon status``, accepted wherever a command names one resource.

A Custom Labels dataset's id is ``PROJECT/TYPE`` (``shoes/train``); a Personalize import job's is
``DATASET_GROUP/JOB`` (``retail/interactions-2026-11``), or the job name alone when its dataset is
not recorded. Both services keep those names unique in an account and region, so within one table
a full id names one resource, with two exceptions the rules below handle: a project or job deleted
and created again under the same name (its old ARN stays in the table as ``DELETED``), and the
unlikely Custom Labels project and Personalize dataset group of the same name with a job called
``train`` or ``test``.

What a user may type, tried in this order:

1. a resource ARN: that resource, tracked or not (``history`` then says it has nothing recorded);
2. a full id;
3. the first or last part of one: a project or dataset group (``shoes``), a job name.

When several tracked resources match, the one not ``DELETED`` wins if it is alone; otherwise the id
is ambiguous and the error lists the candidates (by ARN where their ids are the same).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from statusmon.domain.arns import dataset_group_of, parse_resource_arn
from statusmon.domain.model import ResourceState
from statusmon.domain.vocabulary import Phase, Service

# How many candidates an ambiguity error names before it counts the rest.
LISTED = 10


class UnknownIdError(ValueError):
    """No tracked resource has that id."""


class AmbiguousIdError(ValueError):
    """Several tracked resources match the id; ``candidates`` are their ids (or ARNs)."""

    def __init__(self, text: str, candidates: list[str]) -> None:
        self.candidates = candidates
        shown = ", ".join(candidates[:LISTED])
        more = f" and {len(candidates) - LISTED} more" if len(candidates) > LISTED else ""
        super().__init__(
            f"{text!r} matches {len(candidates)} tracked resources: {shown}{more}; give one of them"
        )


@dataclass(frozen=True)
class Resolved:
    """What an id named: the resource's ARN, and its current state when the table has one."""

    arn: str
    state: ResourceState | None


class Named(Protocol):
    """What an id is made of: a recorded state, or a hot watch entry."""

    @property
    def service(self) -> Service: ...
    @property
    def name(self) -> str: ...
    @property
    def parent_arn(self) -> str | None: ...


def short_id(state: Named) -> str:
    if state.service is Service.PERSONALIZE:
        group = dataset_group_of(state.parent_arn)
        return f"{group}/{state.name}" if group else state.name
    return state.name


def is_arn(text: str) -> bool:
    return text.strip().startswith("arn:")


def resolve(text: str, states: Sequence[ResourceState]) -> Resolved:
    """The resource ``text`` names among ``states`` (the whole table); see the module's rules.

    Raises :class:`UnknownIdError`, :class:`AmbiguousIdError`, or ``MalformedArnError`` for
    text that starts like an ARN and is not one of a dataset or an import job.
    """
    text = text.strip()
    by_arn = {state.resource_arn: state for state in states}
    if is_arn(text):
        arn = parse_resource_arn(text).arn
        return Resolved(arn, by_arn.get(arn))
    if not text:
        raise UnknownIdError("an empty id: give an id from `statusmon status`, or an ARN")
    ids = {state.resource_arn: short_id(state) for state in states}
    matches = [s for s in states if ids[s.resource_arn] == text] or [
        s for s in states if text in _ends(ids[s.resource_arn])
    ]
    live = [s for s in matches if s.phase is not Phase.DELETED]
    chosen = matches if len(matches) == 1 else live
    if len(chosen) == 1:
        return Resolved(chosen[0].resource_arn, chosen[0])
    if not matches:
        raise UnknownIdError(
            f"no tracked resource has the id {text!r}: `statusmon status` lists the ids (or give the ARN)"
        )
    raise AmbiguousIdError(text, _candidates(matches, ids))


def _ends(full_id: str) -> tuple[str, ...]:
    first, _, last = full_id.partition("/")
    return (first, last) if last else ()


def _candidates(matches: list[ResourceState], ids: dict[str, str]) -> list[str]:
    repeated = Counter(ids[s.resource_arn] for s in matches)
    names = [ids[s.resource_arn] if repeated[ids[s.resource_arn]] == 1 else s.resource_arn for s in matches]
    return sorted(names)
