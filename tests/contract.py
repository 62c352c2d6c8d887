"""The external contract (DESIGN.md), written down once for the tests: never imported from the code."""

ALERT_FIELDS = frozenset(
    {
        "schema",
        "service",
        "resource_type",
        "resource_arn",
        "name",
        "parent_arn",
        "status",
        "previous_status",
        "reason",
        "severity",
        "detected_at",
        "details",
        "console_url",
    }
)

# Added after v1 (DESIGN.md allows new fields): what the reader should know beyond the reason, and a
# stable id per transition, to drop a repeat (SNS delivers at least once). ``truncated`` appears
# only on an alert cut to fit SNS's size limit. Issue 11 added the API operation a change came from,
# and for a DistributeDatasetEntries the other dataset of the pair (both null when unknown). Issue 12
# added the documentation page of the hints catalogue's entry (``docs_url``; ``hint`` then carries
# the entry's advice too) and, on stuck warnings only (null otherwise), since when the resource has
# been in flight (``stuck_since``).
ALERT_ADDED_FIELDS = frozenset(
    {"hint", "transition_id", "operation", "distributed_with", "docs_url", "stuck_since"}
)
