"""The filters (``project_names``, ``personalize_filter_arns``): which resources statusmon watches.

One predicate for every way a resource enters: the sweep's listing asks the services for the
included resources only (DescribeProjects ``ProjectNames``, ListDatasetImportJobs per dataset);
CloudTrail discovery and the hot watch ask :meth:`Filters.verdict` before putting or keeping a
resource on the watch; the sweep asks it which recorded states its filtered listing can vouch for
(only those may be deleted when the listing misses them).

How a resource is placed:

* a Custom Labels dataset by its own ARN, which names its project (``project/NAME/dataset/...``);
* a Personalize import job by its dataset: its ARN (``dataset-import-job/NAME``) names neither the
  dataset nor the group, so the verdict needs the job's ``parent_arn``, the ``datasetArn`` that
  CreateDatasetImportJob was called with (CloudTrail's request parameters) and that
  DescribeDatasetImportJob returns. A dataset ARN (``dataset/GROUP/TYPE``) names its dataset group,
  so a filter on a group includes the jobs of each of its datasets, in the same partition, region
  and account.

Without a parent, an import job cannot be placed while Personalize filters are set: the verdict is
None (unknown), and each caller says what unknown means for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from statusmon.domain.arns import MalformedArnError, parse_resource_arn
from statusmon.domain.vocabulary import Service

_DATASET = re.compile(
    r"^arn:(?P<prefix>aws[a-z-]*:personalize:[a-z0-9-]+:\d{12}):"
    r"dataset/(?P<group>[a-zA-Z0-9][a-zA-Z0-9_-]*)/[A-Z_]+$"
)


@dataclass(frozen=True)
class Filters:
    """Empty sets: every resource of that service is included."""

    project_names: frozenset[str] = frozenset()
    personalize_arns: frozenset[str] = frozenset()

    @classmethod
    def of(cls, project_names: Iterable[str] = (), personalize_arns: Iterable[str] = ()) -> Filters:
        return cls(frozenset(project_names), frozenset(personalize_arns))

    def filters(self, service: Service) -> bool:
        """Whether any filter applies to ``service`` (else everything of it is included)."""
        if service is Service.REKOGNITION:
            return bool(self.project_names)
        return bool(self.personalize_arns)

    def verdict(self, service: Service, resource_arn: str, parent_arn: str | None) -> bool | None:
        """True: included; False: excluded; None: cannot tell (a malformed ARN, an import job whose
        dataset is not known)."""
        if not self.filters(service):
            return True
        if service is Service.REKOGNITION:
            try:
                project = parse_resource_arn(resource_arn).project
            except MalformedArnError:
                return None
            return project in self.project_names
        match = _DATASET.match(parent_arn or "")
        if match is None:
            return None
        group = f"arn:{match['prefix']}:dataset-group/{match['group']}"
        return parent_arn in self.personalize_arns or group in self.personalize_arns
