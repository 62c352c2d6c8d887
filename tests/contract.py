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
