"""Which API operation a change came from: what alerts and events say in ``operation``.

Neither service says it. statusmon knows it from two places:

* CloudTrail discovery (:mod:`statusmon.logic.discover`) saw the call that started the work, and
  wrote it on the resource's watch entry; a sweep or the watch that records the resource's
  transitions while the entry lasts (until the resource settles) copies it into the state's
  details, with, for a DistributeDatasetEntries, the other dataset of the pair (``distributed_with``);
* the status sequence: a dataset's ``CREATE_*`` statuses come from CreateDataset, and an import
  job is made by one CreateDatasetImportJob. A dataset's ``UPDATE_*`` statuses come from either
  UpdateDatasetEntries or DistributeDatasetEntries, which only CloudTrail tells apart: without it,
  ``operation`` is null for them.
"""

from __future__ import annotations

from dataclasses import replace

from statusmon.domain.model import DISTRIBUTED_WITH, OPERATION, Transition, WatchEntry
from statusmon.domain.vocabulary import Phase, ResourceType

CREATE_DATASET = "CreateDataset"
UPDATE_DATASET_ENTRIES = "UpdateDatasetEntries"
DISTRIBUTE_DATASET_ENTRIES = "DistributeDatasetEntries"
CREATE_DATASET_IMPORT_JOB = "CreateDatasetImportJob"
OPERATIONS = (CREATE_DATASET, UPDATE_DATASET_ENTRIES, DISTRIBUTE_DATASET_ENTRIES, CREATE_DATASET_IMPORT_JOB)
# Which statuses each dataset operation moves through (a discovered operation never labels others).
_STATUS_PREFIX = {
    CREATE_DATASET: "CREATE_",
    UPDATE_DATASET_ENTRIES: "UPDATE_",
    DISTRIBUTE_DATASET_ENTRIES: "UPDATE_",
}


def operation_of(transition: Transition) -> str | None:
    """The operation the transition's new status comes from, where statusmon knows it."""
    state = transition.new
    if state.resource_type is ResourceType.DATASET_IMPORT_JOB:
        return CREATE_DATASET_IMPORT_JOB if state.phase is not Phase.DELETED else None
    recorded = state.details.get(OPERATION)
    if isinstance(recorded, str) and recorded in OPERATIONS:
        return recorded
    if state.status.startswith("CREATE_"):
        return CREATE_DATASET
    return None


def distributed_with(transition: Transition) -> str | None:
    """For a DistributeDatasetEntries change, the other dataset of the pair."""
    other = transition.new.details.get(DISTRIBUTED_WITH)
    if not isinstance(other, str) or operation_of(transition) != DISTRIBUTE_DATASET_ENTRIES:
        return None
    return other


def with_operation(transition: Transition, entry: WatchEntry | None) -> Transition:
    """The transition with what its watch entry knows of the operation, in its details (so the state,
    its history, its alert and its event all carry it)."""
    if entry is None or not entry.operation:
        return transition
    state = transition.new
    prefix = _STATUS_PREFIX.get(entry.operation)
    if prefix is None or state.resource_type is not ResourceType.DATASET:
        return transition
    if not state.status.startswith(prefix):
        return transition
    details = {**state.details, **entry.operation_details()}
    return replace(transition, new=replace(state, details=details))
